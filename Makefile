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

.PHONY: all lib header demo test test-deps test-rust test-c lint clean

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

test: test-deps lint test-rust test-c test-fuzz-replay test-valgrind test-tsan

# What the tests need beyond Rust and a C compiler: Chromium for the HTML report test.
test-deps:
	scripts/install-chromium.sh

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --features test-hooks -- -D warnings

test-rust:
	AIOBS_REQUIRE_BROWSER=1 $(CARGO) test --workspace --features test-hooks

$(CTEST_LIB): FORCE
	$(CARGO) build --profile ctest --features test-hooks

test-c: $(CTEST_LIB)
	mkdir -p $(BUILD)/c-test-out
	$(CC) -std=c11 $(C_WARNINGS) -g $(SANITIZE) -DAIOBS_TEST_HOOKS -Iinclude tests/c/test_abi.c $(CTEST_LIB) $(NATIVE_LIBS) -o $(BUILD)/test_abi
	$(CC) -std=c11 $(C_WARNINGS) -g $(SANITIZE) -Iinclude tests/c/test_threads.c $(CTEST_LIB) $(NATIVE_LIBS) -o $(BUILD)/test_threads
	$(CC) -std=c11 $(C_WARNINGS) -g $(SANITIZE) -Iinclude tests/c/test_fixtures.c $(CTEST_LIB) $(NATIVE_LIBS) -o $(BUILD)/test_fixtures
	$(CXX) -std=c++17 $(C_WARNINGS) -g $(SANITIZE) -Iinclude tests/c/test_header.cpp $(CTEST_LIB) $(NATIVE_LIBS) -o $(BUILD)/test_header
	@nm $(BUILD)/test_abi | grep -q __asan_init || (echo "test_abi is not built with AddressSanitizer" && exit 1)
	$(BUILD)/test_abi $(BUILD)/c-test-out
	$(BUILD)/test_threads $(BUILD)/c-test-out
	$(BUILD)/test_header
	$(BUILD)/test_fixtures tests/fixtures/providers $(BUILD)/c-test-out/fixtures.json
	python3 tests/c/compare_fixture_events.py tests/fixtures/providers $(BUILD)/c-test-out/fixtures.json

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
