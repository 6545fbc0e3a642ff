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

.PHONY: all lib header demo test test-deps test-rust test-c test-jaeger test-ruby lint clean

all: lib

lib:
	$(CARGO) build --release --workspace

# Puts the `aiobs` viewer on the PATH (in ~/.cargo/bin, or $CARGO_INSTALL_ROOT/bin).
.PHONY: install-cli
install-cli:
	$(CARGO) install --locked --path cli

# Copies the header cbindgen generated for the current sources over the committed one.
header:
	$(CARGO) build
	cp "$$(ls -t target/debug/build/aiobs-*/out/aiobs.h | head -n 1)" include/aiobs.h

demo: lib
	mkdir -p $(BUILD) demo-out
	$(CC) -std=c11 $(C_WARNINGS) -Iinclude examples/pipeline.c $(RELEASE_LIB) $(NATIVE_LIBS) -o $(BUILD)/pipeline
	cd demo-out && ../$(BUILD)/pipeline
	target/release/aiobs summary demo-out/llm_observability.json
	target/release/aiobs report demo-out/llm_observability.json -o demo-out/report.html
	@echo "demo: report written to $$(pwd)/demo-out/report.html"

test: test-deps lint test-rust test-c test-jaeger test-ruby

# What the tests need beyond Rust and a C compiler: Chromium for the HTML report test, and
# Jaeger all-in-one (built once with go, cached) for the OTLP export test.
test-deps:
	scripts/install-chromium.sh
	scripts/jaeger.sh build

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
	$(CC) -std=c11 $(C_WARNINGS) -g $(SANITIZE) -Iinclude tests/c/test_fork.c $(CTEST_LIB) $(NATIVE_LIBS) -o $(BUILD)/test_fork
	$(CXX) -std=c++17 $(C_WARNINGS) -g $(SANITIZE) -Iinclude tests/c/test_header.cpp $(CTEST_LIB) $(NATIVE_LIBS) -o $(BUILD)/test_header
	@nm $(BUILD)/test_abi | grep -q __asan_init || (echo "test_abi is not built with AddressSanitizer" && exit 1)
	$(BUILD)/test_abi $(BUILD)/c-test-out
	$(BUILD)/test_threads $(BUILD)/c-test-out
	$(BUILD)/test_fork $(BUILD)/c-test-out
	$(BUILD)/test_header
	$(BUILD)/test_fixtures tests/fixtures/providers $(BUILD)/c-test-out/fixtures.json
	python3 tests/c/compare_fixture_events.py tests/fixtures/providers $(BUILD)/c-test-out/fixtures.json

# The Ruby gem's tests, on the library with the test hooks; Debian's Ruby packages first.
test-ruby: $(CTEST_LIB)
	scripts/install-ruby.sh
	scripts/test-ruby.sh target/ctest/libaiobs.so

# A C program exports a session over OTLP to a real Jaeger, in both encodings; the traces are
# read back through Jaeger's query API.
test-jaeger: $(CTEST_LIB)
	mkdir -p $(BUILD)/jaeger-out
	$(CC) -std=c11 $(C_WARNINGS) -g $(SANITIZE) -Iinclude tests/otlp/jaeger_session.c $(CTEST_LIB) $(NATIVE_LIBS) -o $(BUILD)/jaeger_session
	scripts/jaeger.sh run tests/otlp/jaeger_test.sh $(BUILD)/jaeger_session $(BUILD)/jaeger-out

FORCE:

clean:
	$(CARGO) clean
	rm -rf $(BUILD) demo-out
