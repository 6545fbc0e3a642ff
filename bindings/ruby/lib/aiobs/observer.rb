# frozen_string_literal: true

require_relative "native"

module Aiobs
  # The session API of the user documentation (`observer.observe`, `end`, `flush`, labels).
  # Every method is safe from any thread or fiber; failures raise Aiobs::Error subclasses.
  class Observer
    # Starts a session and makes it active; returns its id.
    def observe(session_name: nil, labels: {})
      Native.observe(session_name, labels)
    end

    # Ends the active session (nothing happens without one).
    def end
      Native.end_session
      nil
    end

    # Writes everything recorded since the last flush to `path`, else LLM_OBS_OUT, else
    # ./llm_observability.json, and returns the absolute path written. Other Ruby threads run
    # while the file is written.
    def flush(path = nil)
      Native.flush(path&.to_s)
    end

    def add_label(key, value)
      Native.add_label(key.to_s, value.to_s)
      nil
    end

    def set_labels(labels, merge: true)
      Native.set_labels(labels.to_h { |key, value| [key.to_s, value.to_s] }, merge)
      nil
    end

    def remove_label(key)
      Native.remove_label(key.to_s)
      nil
    end

    # The active session's labels, system labels included, as a Hash of strings.
    def get_labels # rubocop:disable Naming/AccessorMethodName -- the documented name
      Native.labels
    end

    # Counters of the core (events held and dropped, open spans, flushes, …) as a Hash.
    def stats
      Native.stats
    end

    # Flushes (and ends the active session) when the program exits, in this process only: a
    # forked child that inherits the hook does not write its parent's file. Opt-in, once.
    def flush_at_exit(path = nil)
      return if @flush_at_exit

      @flush_at_exit = true
      pid = Process.pid
      at_exit do
        next unless Process.pid == pid

        begin
          self.end
          flush(path)
        rescue Error => e
          warn "aiobs: flush at exit failed: #{e.message}"
        end
      end
      nil
    end
  end
end
