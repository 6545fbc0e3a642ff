# frozen_string_literal: true

require_relative "serialize"

module Aiobs
  # Where the program made a call: the first frame outside aiobs, net/http, Faraday and the
  # client gems, as the JSON `{"file", "line", "function"}` with the file relative to the working
  # folder.
  module Callsite
    # Sources of libraries whose frames are never the callsite: path prefixes computed at load,
    # plus installed gems by name.
    LIBRARY_PREFIXES = [File.expand_path("..", __dir__) + File::SEPARATOR].freeze
    LIBRARY_GEMS = %r{/gems/(?:openai|ruby-openai|faraday|faraday-[a-z_]+|gemini-ai|ruby-gemini|net-http|
                              net-http-persistent|connection_pool|typhoeus|ethon|excon|httpx)-\d}x.freeze
    # The frames are read in growing windows, nearest first, because each frame read costs
    # (about 0.15 µs, beside 0.4 µs for the read itself): most calls find the program in the
    # first frame (a plain Net::HTTP call, a traced block), calls through a client gem within the
    # second window. 32 in all is enough for the deepest client stacks seen; deeper callers give
    # no callsite.
    NEAR = 1
    FARTHER = 11
    FARTHEST = 20

    CACHED = 4096 # paths or lines remembered before a cache starts over (eval'd code varies)

    @prefixes = LIBRARY_PREFIXES.dup
    # Source path => its name relative to the working folder when its frames are the program's,
    # else false. Paths repeat, and this is the hot part of every captured call: cached, by
    # identity (a location's path is its code's own frozen string, the same at every call).
    @program_paths = {}.compare_by_identity
    # Program file => line => [function, callsite JSON]: a call from a known line builds nothing.
    @lines = {}.compare_by_identity
    @line_count = 0

    class << self
      # Adds the folder or file a library's sources live under (e.g. net/http once loaded).
      def skip_library(path_prefix)
        @prefixes = (@prefixes + [path_prefix]).uniq.freeze
        forget
      end

      # The caller's location as the core's callsite object in JSON (frozen), or nil when none
      # is found. `skip` frames above the caller are aiobs's own (each looked at costs).
      def find(skip = 0)
        start = 2 + skip
        from(caller_locations(start, NEAR)) || from(caller_locations(start + NEAR, FARTHER)) ||
          from(caller_locations(start + NEAR + FARTHER, FARTHEST))
      end

      # The callsite of a method's definition (what the user documentation gives traced
      # functions), in JSON, or nil for a method without a source.
      def of_method(method)
        file, line = method.source_location
        file && json(relative(file), line, method.name.to_s)
      end

      private

      def from(locations)
        locations&.each do |location|
          file = program_file(location.path)
          return line_json(file, location.lineno, location.base_label) if file
        end
        nil
      end

      def line_json(file, line, function)
        known = @lines[file]&.[](line)
        return known[1] if known && known[0] == function

        forget if (@line_count += 1) > CACHED
        callsite = json(file, line, function)
        (@lines[file] ||= {})[line] = [function, callsite]
        callsite
      end

      def json(file, line, function)
        Serialize.generate({ "file" => Serialize.utf8(file), "line" => line, "function" => Serialize.utf8(function) })
                 .freeze
      end

      def program_file(path)
        return false if path.nil?

        known = @program_paths[path]
        return known unless known.nil?

        forget if @program_paths.size >= CACHED
        program = !path.start_with?("<internal:") && @prefixes.none? { |prefix| path.start_with?(prefix) } &&
                  !LIBRARY_GEMS.match?(path)
        @program_paths[path] = program && relative(path).freeze
      end

      def forget
        @program_paths = {}.compare_by_identity
        @lines = {}.compare_by_identity
        @line_count = 0
      end

      def relative(path)
        cwd = Dir.pwd
        path.start_with?("#{cwd}/") ? path[(cwd.length + 1)..] : path
      end
    end
  end
end
