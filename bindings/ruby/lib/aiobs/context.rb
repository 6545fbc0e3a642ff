# frozen_string_literal: true

module Aiobs
  # The span each fiber is inside, so nesting follows the Ruby call stack per fiber. The core is
  # always told the parent explicitly: OS threads mean nothing to fibers, and fibers switch
  # without the core knowing.
  module Context
    STACK = :__aiobs_span_stack # fiber-local: Thread#[] is per fiber
    RESUMER = :__aiobs_resumer_span # thread-wide: Thread#thread_variable_get
    CURRENT = Object.new.freeze # as a parent: whatever current_span_id is when the span opens

    class << self
      # The innermost span of the current fiber (whose stack a caller may already hold), else
      # (inside an enumerator's fiber with no span of its own) the span of the fiber that
      # resumed it with `next`, else nil.
      def current_span_id(stack = Thread.current[STACK])
        stack&.last || Thread.current.thread_variable_get(RESUMER)
      end

      # The current fiber's stack of open spans, innermost last.
      def stack
        Thread.current[STACK] ||= []
      end

      # Runs the block (which resumes an enumerator's fiber) with the caller's span visible to
      # that fiber, so a client that reads HTTP inside `Enumerator#next` (the openai gem does)
      # still nests its calls under the caller's span.
      def resuming
        parent = current_span_id
        thread = Thread.current
        previous = thread.thread_variable_get(RESUMER)
        return yield if parent.equal?(previous)

        thread.thread_variable_set(RESUMER, parent)
        begin
          yield
        ensure
          thread.thread_variable_set(RESUMER, previous)
        end
      end
    end

    # Prepended to Enumerator: the span of whoever calls `next` is captured before the
    # enumerator's fiber runs.
    module EnumeratorResume
      def next
        Context.resuming { super }
      end

      def next_values
        Context.resuming { super }
      end

      def peek
        Context.resuming { super }
      end

      def peek_values
        Context.resuming { super }
      end
    end
  end
end
