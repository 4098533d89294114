# Two commands: `make demo` and `make test`. Both install what is missing first. They print
# what a user needs: one line for the dependencies, one for CMake's configure step, the build's
# progress and errors (scripts/build.sh), then the demo's report or the tests' failures and
# summary (scripts/run-tests.sh).
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
# Passed on to the make that `cmake --build` runs: no "Entering directory" lines.
MAKEFLAGS += --no-print-directory

.PHONY: all deps build demo test test-sanitize test-tsan fuzz bench format clean

all: build

# What scripts/install-deps.sh installs beyond the build's needs; set per target below (a
# target's value holds for its prerequisites too, so `deps` runs once with it).
DEPS_FLAGS ?=
test test-sanitize test-tsan: DEPS_FLAGS = --test
fuzz: DEPS_FLAGS = --fuzz
bench: DEPS_FLAGS = --bench

deps:
	@scripts/install-deps.sh $(DEPS_FLAGS)

# configure DIR BUILD_TYPE [CMAKE OPTIONS]: CMake's configure step in one line (its warnings
# and errors still show).
configure = @echo "configure: $(1)/ ($(2))" && cmake -S . -B $(1) -DCMAKE_BUILD_TYPE=$(2) $(3) $(CMAKE_FLAGS) >/dev/null

$(BUILD_DIR)/CMakeCache.txt:
	$(call configure,$(BUILD_DIR),Release)

build: deps $(BUILD_DIR)/CMakeCache.txt
	@scripts/build.sh $(BUILD_DIR) -j $(JOBS)

demo: build
	@$(BUILD_DIR)/nightjar demo

test: build
	@scripts/run-tests.sh $(BUILD_DIR) -j $(JOBS)

# Address+undefined sanitizer build of the whole suite, in build-asan/ (CI runs it after `make test`).
test-sanitize: deps
	$(call configure,build-asan,RelWithDebInfo,-DNIGHTJAR_SANITIZE=address)
	@scripts/build.sh build-asan -j $(JOBS)
	@scripts/run-tests.sh build-asan -j $(JOBS)

# ThreadSanitizer build of the suite, in build-tsan/ (not in CI: see docs/reliability.md).
test-tsan: deps
	$(call configure,build-tsan,RelWithDebInfo,-DNIGHTJAR_SANITIZE=thread)
	@scripts/build.sh build-tsan -j $(JOBS)
	@TSAN_OPTIONS=halt_on_error=1 scripts/run-tests.sh build-tsan -j $(JOBS) $(TSAN_TESTS)

# libFuzzer on every parser of untrusted input (test/fuzz/), FUZZ_SECONDS (60) each, with clang,
# in build-fuzz/. New inputs go to build-fuzz/corpus/<target>/, crashes to build-fuzz/crashes/;
# the seed corpora in test/fuzz/corpus/ are read, not written. `make test` replays the seeds.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= http1_response server_request server_control grpc_framing hdr_decode hlog_reader \
                result_json result_proto import smps_test worker_start
fuzz: deps
	@echo "configure: build-fuzz/ (RelWithDebInfo, clang)"
	@CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNIGHTJAR_SANITIZE=fuzz \
	    -DNIGHTJAR_BUILD_TESTS=OFF $(CMAKE_FLAGS) >/dev/null
	@scripts/build.sh build-fuzz -j $(JOBS) --target $(addsuffix _fuzzer,$(FUZZ_TARGETS))
	@mkdir -p build-fuzz/crashes
	@set -e; for t in $(FUZZ_TARGETS); do \
	  echo "== $$t ($(FUZZ_SECONDS) s)"; mkdir -p build-fuzz/corpus/$$t; \
	  build-fuzz/test/fuzz/$${t}_fuzzer -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=build-fuzz/crashes/$$t- build-fuzz/corpus/$$t test/fuzz/corpus/$$t; \
	done

bench: build
	@bench/http1_vs_wrk.sh

format:
	@clang-format -i $$(git ls-files '*.h' '*.cc')

clean:
	@rm -rf $(BUILD_DIR) build-asan build-tsan build-fuzz
