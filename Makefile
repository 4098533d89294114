# Two commands: `make demo` and `make test`. Both install what is missing first.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build demo test test-sanitize test-tsan fuzz bench format clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD_DIR)/CMakeCache.txt:
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null

build: deps $(BUILD_DIR)/CMakeCache.txt
	@cmake --build $(BUILD_DIR) -j $(JOBS)

demo: build
	@$(BUILD_DIR)/nightjar demo

test: build
	@scripts/install-deps.sh --test
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# Address+undefined sanitizer build of the whole suite, in build-asan/ (CI runs it after `make test`).
test-sanitize: deps
	@scripts/install-deps.sh --test
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNIGHTJAR_SANITIZE=address $(CMAKE_FLAGS) >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@cd build-asan && ctest --output-on-failure -j $(JOBS)

# ThreadSanitizer build of the suite, in build-tsan/ (not in CI: see docs/reliability.md).
test-tsan: deps
	@scripts/install-deps.sh --test
	@cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNIGHTJAR_SANITIZE=thread $(CMAKE_FLAGS) >/dev/null
	@cmake --build build-tsan -j $(JOBS)
	@cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j $(JOBS) $(TSAN_TESTS)

# libFuzzer on the HTTP/1.1 response parser for FUZZ_SECONDS (60), with clang, in build-fuzz/.
FUZZ_SECONDS ?= 60
fuzz: deps
	@CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNIGHTJAR_SANITIZE=fuzz \
	    -DNIGHTJAR_BUILD_TESTS=OFF >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target http1_response_fuzzer
	@mkdir -p build-fuzz/corpus && cp -n test/fuzz/corpus/http1_response/* build-fuzz/corpus/
	@build-fuzz/test/fuzz/http1_response_fuzzer -max_total_time=$(FUZZ_SECONDS) build-fuzz/corpus

bench: build
	@scripts/install-deps.sh --bench
	@bench/http1_vs_wrk.sh

format:
	@clang-format -i $$(git ls-files '*.h' '*.cc')

clean:
	@rm -rf $(BUILD_DIR) build-asan build-tsan build-fuzz
