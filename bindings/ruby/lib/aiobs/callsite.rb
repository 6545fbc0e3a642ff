# frozen_string_literal: true

module Aiobs
  # Where the program made a call: the first frame outside aiobs, net/http, Faraday and the
  # client gems, as `{"file", "line", "function"}` with the file relative to the working folder.
  module Callsite
    # Sources of libraries whose frames are never the callsite: path prefixes computed at load,
    # plus installed gems by name.
    LIBRARY_PREFIXES = [File.expand_path("..", __dir__) + File::SEPARATOR].freeze
    LIBRARY_GEMS = %r{/gems/(?:openai|ruby-openai|faraday|faraday-[a-z_]+|gemini-ai|ruby-gemini|net-http|
                              net-http-persistent|connection_pool|typhoeus|ethon|excon|httpx)-\d}x.freeze
    NEAR = 8 # most calls find the program within these frames
    FRAMES = 32 # enough for the deepest client stacks seen; deeper callers give no callsite

    @prefixes = LIBRARY_PREFIXES.dup
    # Source path => its name relative to the working folder when its frames are the program's,
    # else false. Paths repeat, and this is the hot part of every captured call: cached.
    @program_paths = {}

    class << self
      # Adds the folder or file a library's sources live under (e.g. net/http once loaded).
      def skip_library(path_prefix)
        @prefixes = (@prefixes + [path_prefix]).uniq.freeze
        @program_paths = {}
      end

      # The caller's location as the core's callsite object, or nil when none is found.
      def find
        from(caller_locations(2, NEAR)) || from(caller_locations(2 + NEAR, FRAMES - NEAR))
      end

      def of(location)
        { "file" => relative(location.path), "line" => location.lineno, "function" => location.base_label }
      end

      # The callsite of a method's definition (what the user documentation gives traced functions).
      def of_method(method)
        file, line = method.source_location
        file && { "file" => relative(file), "line" => line, "function" => method.name.to_s }
      end

      private

      def from(locations)
        locations&.each do |location|
          file = program_file(location.path)
          return { "file" => file, "line" => location.lineno, "function" => location.base_label } if file
        end
        nil
      end

      def program_file(path)
        return false if path.nil?

        known = @program_paths[path]
        return known unless known.nil?

        program = !path.start_with?("<internal:") && @prefixes.none? { |prefix| path.start_with?(prefix) } &&
                  !LIBRARY_GEMS.match?(path)
        @program_paths[path] = program && relative(path).freeze
      end

      def relative(path)
        cwd = Dir.pwd
        path.start_with?("#{cwd}/") ? path[(cwd.length + 1)..] : path
      end
    end
  end
end
