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

# libFuzzer on every parser of untrusted input (test/fuzz/), FUZZ_SECONDS (60) each, with clang,
# in build-fuzz/. New inputs go to build-fuzz/corpus/<target>/, crashes to build-fuzz/crashes/;
# the seed corpora in test/fuzz/corpus/ are read, not written. `make test` replays the seeds.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= http1_response server_request server_control grpc_framing hdr_decode hlog_reader \
                result_json smps_test worker_start
fuzz: deps
	@scripts/install-deps.sh --fuzz
	@CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNIGHTJAR_SANITIZE=fuzz \
	    -DNIGHTJAR_BUILD_TESTS=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target $(addsuffix _fuzzer,$(FUZZ_TARGETS))
	@mkdir -p build-fuzz/crashes
	@set -e; for t in $(FUZZ_TARGETS); do \
	  echo "== $$t ($(FUZZ_SECONDS) s)"; mkdir -p build-fuzz/corpus/$$t; \
	  build-fuzz/test/fuzz/$${t}_fuzzer -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=build-fuzz/crashes/$$t- build-fuzz/corpus/$$t test/fuzz/corpus/$$t; \
	done

bench: build
	@scripts/install-deps.sh --bench
	@bench/http1_vs_wrk.sh

format:
	@clang-format -i $$(git ls-files '*.h' '*.cc')

clean:
	@rm -rf $(BUILD_DIR) build-asan build-tsan build-fuzz
