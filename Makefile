# aiobs: `make demo` runs the example, `make test` runs every test. Both set up what they need.

CARGO ?= cargo
CC ?= cc
CXX ?= c++
BUILD := build
CTEST_LIB := target/ctest/libaiobs.a
RELEASE_LIB := target/release/libaiobs.a
NATIVE_LIBS := -lpthread -ldl -lm
C_WARNINGS := -Wall -Wextra -Werror -pedantic
SANITIZE := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
# The fork test runs without AddressSanitizer: gcc 12's ASan allocator does not hold its locks
# across fork, so a child forked while another thread allocates can block forever inside ASan's
# malloc (seen: SizeClassAllocator64::GetFromAllocator in the child). glibc's malloc is fork-safe.
FORK_SANITIZE := -O1 -fsanitize=undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
PREFIX ?= /usr/local
DESTDIR ?=
# Read when used, so that the packages are installed first (curl-deps).
CURL_CFLAGS = $(shell pkg-config --cflags libcurl)
CURL_LIBS = $(shell pkg-config --libs libcurl)
CURL_LIB := $(BUILD)/libaiobs_curl.a

.PHONY: all lib curl-lib curl-deps examples header install install-curl demo test test-deps test-rust test-c test-jaeger \
	test-cpp test-stub test-curl test-examples test-install test-demo test-ruby test-go test-soak soak soak-deps compare lint clean

all: lib

lib:
	$(CARGO) build --release --workspace

# bindings/c: libcurl capture, a static library only the programs that use it link.
curl-lib: $(CURL_LIB)

curl-deps:
	scripts/install-debian-packages.sh libcurl4-openssl-dev pkg-config

$(CURL_LIB): bindings/c/aiobs_curl.c bindings/c/aiobs_curl.h include/aiobs.h | curl-deps
	mkdir -p $(BUILD)/curl
	$(CC) -std=c11 $(C_WARNINGS) -O2 -g -fPIC -Iinclude $(CURL_CFLAGS) -c bindings/c/aiobs_curl.c -o $(BUILD)/curl/aiobs_curl.o
	ar rcs $@ $(BUILD)/curl/aiobs_curl.o

# examples/c and examples/cpp: a chat completion and the pipeline over libcurl, in $(BUILD)/examples.
EXAMPLES := $(addprefix $(BUILD)/examples/,chat_c pipeline_c chat_cpp pipeline_cpp)
EXAMPLE_FLAGS = -O2 -g -Iinclude -Ibindings/c -Iexamples/c $(CURL_CFLAGS)
EXAMPLE_DEPS := $(BUILD)/examples/openai_chat.o $(CURL_LIB) $(RELEASE_LIB)
EXAMPLE_LIBS = $(EXAMPLE_DEPS) $(CURL_LIBS) $(NATIVE_LIBS)

examples: lib $(EXAMPLES)

$(BUILD)/examples/openai_chat.o: examples/c/openai_chat.c examples/c/openai_chat.h bindings/c/aiobs_curl.h include/aiobs.h | curl-deps
	mkdir -p $(BUILD)/examples
	$(CC) -std=c11 $(C_WARNINGS) $(EXAMPLE_FLAGS) -c $< -o $@

$(BUILD)/examples/%_c: examples/c/%.c $(EXAMPLE_DEPS)
	$(CC) -std=c11 $(C_WARNINGS) $(EXAMPLE_FLAGS) $< $(EXAMPLE_LIBS) -o $@

$(BUILD)/examples/%_cpp: examples/cpp/%.cpp include/aiobs.hpp $(EXAMPLE_DEPS)
	$(CXX) -std=c++17 $(C_WARNINGS) $(EXAMPLE_FLAGS) $< $(EXAMPLE_LIBS) -o $@

# Puts the `aiobs` viewer on the PATH (in ~/.cargo/bin, or $CARGO_INSTALL_ROOT/bin).
.PHONY: install-cli
install-cli:
	$(CARGO) install --locked --path cli

# Copies the header cbindgen generated for the current sources over the committed one.
header:
	$(CARGO) build
	cp "$$(ls -t target/debug/build/aiobs-*/out/aiobs.h | head -n 1)" include/aiobs.h

# The shared library (versioned soname), the static library, aiobs.h and aiobs.hpp, aiobs.pc and
# the CMake package, under $(DESTDIR)$(PREFIX).
install: lib
	PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" NATIVE_LIBS="$(NATIVE_LIBS)" scripts/install.sh

# The libcurl capture: libaiobs_curl.a, aiobs_curl.h, aiobs-curl.pc (and CMake's aiobs::curl).
install-curl: lib curl-lib
	PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" NATIVE_LIBS="$(NATIVE_LIBS)" scripts/install.sh curl

# The pipeline in C, Go and Ruby against the local provider stub; summaries, one HTML report.
demo:
	scripts/demo.sh

test: test-deps lint test-rust test-c test-jaeger test-ruby test-go test-cpp test-stub test-curl test-examples test-install test-demo \
	test-soak test-fuzz-replay test-valgrind test-tsan

# What the tests need beyond Rust and a C compiler: Chromium for the HTML report test, Jaeger
# all-in-one (built once with go, cached) for the OTLP export test, libcurl for bindings/c, Ruby
# for the demo.
test-deps:
	scripts/install-chromium.sh
	scripts/jaeger.sh build
	scripts/install-debian-packages.sh libcurl4-openssl-dev pkg-config ruby ruby-ffi

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --features test-hooks -- -D warnings

test-rust:
	AIOBS_REQUIRE_BROWSER=1 $(CARGO) test --workspace --features test-hooks
	$(CARGO) test --profile ctest --features test-hooks --test span_stack -- --include-ignored

$(CTEST_LIB): FORCE
	$(CARGO) build --profile ctest --features test-hooks

test-c: $(CTEST_LIB)
	mkdir -p $(BUILD)/c-test-out
	$(CC) -std=c11 $(C_WARNINGS) -g $(SANITIZE) -DAIOBS_TEST_HOOKS -Iinclude tests/c/test_abi.c $(CTEST_LIB) $(NATIVE_LIBS) -o $(BUILD)/test_abi
	$(CC) -std=c11 $(C_WARNINGS) -g $(SANITIZE) -Iinclude tests/c/test_threads.c $(CTEST_LIB) $(NATIVE_LIBS) -o $(BUILD)/test_threads
	$(CC) -std=c11 $(C_WARNINGS) -g $(SANITIZE) -Iinclude tests/c/test_fixtures.c $(CTEST_LIB) $(NATIVE_LIBS) -o $(BUILD)/test_fixtures
	$(CC) -std=c11 $(C_WARNINGS) -g $(FORK_SANITIZE) -Iinclude tests/c/test_fork.c $(CTEST_LIB) $(NATIVE_LIBS) -o $(BUILD)/test_fork
	$(CXX) -std=c++17 $(C_WARNINGS) -g $(SANITIZE) -Iinclude tests/c/test_header.cpp $(CTEST_LIB) $(NATIVE_LIBS) -o $(BUILD)/test_header
	@nm $(BUILD)/test_abi | grep -q __asan_init || (echo "test_abi is not built with AddressSanitizer" && exit 1)
	$(BUILD)/test_abi $(BUILD)/c-test-out
	$(BUILD)/test_threads $(BUILD)/c-test-out
	$(BUILD)/test_fork $(BUILD)/c-test-out
	$(BUILD)/test_header
	$(BUILD)/test_fixtures tests/fixtures/providers $(BUILD)/c-test-out/fixtures.json
	python3 tests/c/compare_fixture_events.py tests/fixtures/providers $(BUILD)/c-test-out/fixtures.json

# The soak (tests/soak/soak.c): THREADS x CALLS recorded calls and spans through periodic and
# plain flushes, forks and a memory bound; every record is accounted for and RSS stays flat. Its
# Go (bindings/go/tests/soak) and Ruby (tests/soak/soak.rb) forms make fewer calls through the
# bindings' HTTP capture and tracing. `make test` runs short forms; `make soak` the full ones,
# niced, each with its summary and RSS chart in $(SOAK_OUT)/{c,go,ruby}/.
SOAK_THREADS ?= 8
SOAK_CALLS ?= 1000000
GO_SOAK_GOROUTINES ?= 8
GO_SOAK_CALLS ?= 300000
RUBY_SOAK_THREADS ?= 4
RUBY_SOAK_CALLS ?= 150000
SOAK_OUT := $(BUILD)/soak-out
SOAK_RUBY = env AIOBS_LIB=$(1) ruby -Ibindings/ruby/lib tests/soak/soak.rb

soak-deps:
	scripts/install-debian-packages.sh ruby ruby-ffi

test-soak: $(CTEST_LIB) soak-deps
	mkdir -p $(BUILD)
	$(CC) -std=c11 $(C_WARNINGS) -O2 -g -Iinclude tests/soak/soak.c $(CTEST_LIB) $(NATIVE_LIBS) -o $(BUILD)/soak-short
	rm -rf $(BUILD)/soak-short-out
	$(BUILD)/soak-short $(BUILD)/soak-short-out 8 20000
	$(CARGO) build --release --lib
	cd bindings/go/tests && $(GO_CORE) go build -o $(CURDIR)/$(BUILD)/soak-go ./soak
	$(BUILD)/soak-go $(BUILD)/soak-short-out/go 4 4000
	$(call SOAK_RUBY,target/ctest/libaiobs.so) $(BUILD)/soak-short-out/ruby 3 1500
	rm -rf $(BUILD)/soak-short-out

soak: soak-deps
	scripts/install-matplotlib.sh
	$(CARGO) build --release -p aiobs
	mkdir -p $(BUILD)
	$(CC) -std=c11 $(C_WARNINGS) -O2 -g -Iinclude tests/soak/soak.c $(RELEASE_LIB) $(NATIVE_LIBS) -o $(BUILD)/soak-run
	cd bindings/go/tests && $(GO_CORE) go build -o $(CURDIR)/$(BUILD)/soak-go ./soak
	tests/soak/run.sh $(SOAK_OUT)/c $(BUILD)/soak-run $(SOAK_OUT)/c $(SOAK_THREADS) $(SOAK_CALLS)
	tests/soak/run.sh $(SOAK_OUT)/go $(BUILD)/soak-go $(SOAK_OUT)/go $(GO_SOAK_GOROUTINES) $(GO_SOAK_CALLS)
	tests/soak/run.sh $(SOAK_OUT)/ruby $(call SOAK_RUBY,target/release/libaiobs.so) $(SOAK_OUT)/ruby \
	  $(RUBY_SOAK_THREADS) $(RUBY_SOAK_CALLS)

# Python aiobs 0.2.0 and the native core from C, Go and Ruby on one workload: build/compare/results.md
# and compare.png.
compare:
	nice bench/compare/run $(BUILD)/compare

# The Go binding links target/release/libaiobs.a statically; its tests (a module of their own,
# so the binding needs no dependency) drive openai-go, genai and go-openai from the Go proxy.
GO_MODULES := bindings/go bindings/go/tests examples/go tests/otlp/jaeger_session_go bench/compare/go
# The Go code is also held to staticcheck, at a version pinned here, fetched from the Go proxy.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# Go's C flags carry the core archive's digest, so a rebuilt core is linked (scripts/go-cflags.sh).
GO_CORE = CGO_CFLAGS="$$($(CURDIR)/scripts/go-cflags.sh)"

test-go:
	$(CARGO) build --release --lib
	@for m in $(GO_MODULES); do (cd $$m && go mod download) || exit 1; done
	@unformatted="$$(gofmt -l $(GO_MODULES))"; if [ -n "$$unformatted" ]; then echo "gofmt: $$unformatted"; exit 1; fi
	@for m in $(GO_MODULES); do (cd $$m && $(GO_CORE) go vet ./... && $(GO_CORE) go run $(STATICCHECK) ./...) || exit 1; done
	cd bindings/go && $(GO_CORE) go test -race -count=1 ./...
	cd bindings/go/tests && $(GO_CORE) go test -race -count=1 ./...
	cd examples/go && $(GO_CORE) go build ./...

# The Ruby gem's tests, on the library with the test hooks; Debian's Ruby packages first.
test-ruby: $(CTEST_LIB)
	scripts/install-debian-packages.sh ruby ruby-ffi ruby-minitest ruby-webrick ruby-faraday
	scripts/test-ruby.sh target/ctest/libaiobs.so

# A C program and a Go program (through the binding, so on the release library) export a session
# over OTLP to a real Jaeger, in both encodings; the traces are read back through Jaeger's query
# API.
test-jaeger: $(CTEST_LIB)
	mkdir -p $(BUILD)/jaeger-out
	$(CC) -std=c11 $(C_WARNINGS) -g $(SANITIZE) -Iinclude tests/otlp/jaeger_session.c $(CTEST_LIB) $(NATIVE_LIBS) -o $(BUILD)/jaeger_session
	$(CARGO) build --release --lib
	cd tests/otlp/jaeger_session_go && $(GO_CORE) go build -o $(CURDIR)/$(BUILD)/jaeger_session_go .
	scripts/jaeger.sh run tests/otlp/jaeger_test.sh $(BUILD)/jaeger_session $(BUILD)/jaeger_session_go $(BUILD)/jaeger-out

# The C++ header: RAII, nesting, results, exceptions; its export checked by expect_export.py.
test-cpp: $(CTEST_LIB)
	mkdir -p $(BUILD)/cpp-test-out
	$(CXX) -std=c++17 $(C_WARNINGS) -g $(SANITIZE) -Iinclude tests/cpp/test_hpp.cpp $(CTEST_LIB) $(NATIVE_LIBS) -o $(BUILD)/test_hpp
	$(BUILD)/test_hpp $(BUILD)/cpp-test-out
	python3 tests/c/expect_export.py $(BUILD)/cpp-test-out/hpp.json $(BUILD)/cpp-test-out/hpp_expect.json

# The libcurl capture against the local provider stub, under ASan and UBSan.
test-curl: $(CTEST_LIB) | curl-deps
	mkdir -p $(BUILD)/curl-test-out
	$(CC) -std=c11 $(C_WARNINGS) -g $(SANITIZE) -Iinclude -Ibindings/c $(CURL_CFLAGS) bindings/c/aiobs_curl.c \
		tests/c/test_curl.c $(CTEST_LIB) $(CURL_LIBS) $(NATIVE_LIBS) -o $(BUILD)/test_curl
	tests/stub/with-stub.sh sh -c '$(BUILD)/test_curl "$$STUB_URL" $(BUILD)/curl-test-out'
	python3 tests/c/expect_export.py $(BUILD)/curl-test-out/curl.json $(BUILD)/curl-test-out/curl_expect.json

# The C and C++ examples against the provider stub: each records its calls and validates.
test-examples: examples
	mkdir -p $(BUILD)/examples-out
	tests/stub/with-stub.sh sh -c 'for example in $(notdir $(EXAMPLES)); do \
		LLM_OBS_OUT=$(BUILD)/examples-out/$$example.json $(BUILD)/examples/$$example > /dev/null || exit 1; \
		grep -q "\"chat.completions.create\"" $(BUILD)/examples-out/$$example.json || { echo "$$example recorded no call"; exit 1; }; \
	done'
	target/release/aiobs validate $(BUILD)/examples-out/*.json

# The local provider stub: its routes, and that it always stops cleanly.
test-stub:
	python3 tests/stub/test_provider_stub.py

# The demo in its quick form, its exports checked by `aiobs validate`.
test-demo:
	scripts/demo.sh --quick $(BUILD)/demo-test

# Out-of-tree builds (pkg-config, CMake; C and C++) against a copy installed into a temporary root.
test-install: lib curl-lib
	NATIVE_LIBS="$(NATIVE_LIBS)" tests/install/run.sh

# Fuzzing (fuzz/): `make fuzz` runs each cargo-fuzz target for FUZZ_SECONDS on nightly, from
# the seeds (the provider fixtures) and what earlier runs added under fuzz/corpus/.
# `make test-fuzz-replay` runs, on stable, the seeds, that corpus and every input that once
# failed (fuzz/regressions/), and loads each export in Python's json and `aiobs validate`.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := event span labels label_strings settings http http_url response_headers stream_cut
FUZZ_EXPORTS := $(abspath $(BUILD)/fuzz-exports)
.PHONY: fuzz fuzz-tools lint-fuzz test-fuzz-replay test-valgrind test-tsan

fuzz-tools:
	scripts/install-fuzz-tools.sh

fuzz: fuzz-tools
	cd fuzz && $(CARGO) run --quiet --target-dir ../target --example write_seeds -- seeds
	cd fuzz && for target in $(FUZZ_TARGETS); do \
	  mkdir -p corpus/$$target && \
	  nice $(CARGO) +nightly fuzz run $$target corpus/$$target seeds/$$target -- \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 || exit 1; \
	done

lint-fuzz:
	$(CARGO) fmt --manifest-path fuzz/Cargo.toml --check
	$(CARGO) clippy --manifest-path fuzz/Cargo.toml --target-dir target --all-targets -- -D warnings

test-fuzz-replay: lint-fuzz
	rm -rf $(FUZZ_EXPORTS)
	AIOBS_FUZZ_EXPORTS=$(FUZZ_EXPORTS) $(CARGO) test --manifest-path fuzz/Cargo.toml --target-dir target
	python3 fuzz/check_exports.py $(FUZZ_EXPORTS)
	$(CARGO) run --quiet -p aiobs-cli --features aiobs/test-hooks -- validate $(FUZZ_EXPORTS)/*.json \
	  > $(BUILD)/fuzz-validate.txt || (grep -v ': ok$$' $(BUILD)/fuzz-validate.txt; exit 1)
	tail -n 1 $(BUILD)/fuzz-validate.txt

# The C suite under valgrind (no errors, no definite leaks), on the test library without ASan.
test-valgrind: $(CTEST_LIB)
	scripts/test-valgrind.sh $(CTEST_LIB) $(BUILD)/valgrind

# The threads test under ThreadSanitizer, with the core and std built for it on nightly.
test-tsan: fuzz-tools
	scripts/test-tsan.sh $(BUILD)/tsan

FORCE:

clean:
	$(CARGO) clean
	rm -rf $(BUILD) demo-out
