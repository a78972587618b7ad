# Entry points for people and CI. `make` installs what is missing and builds bin/kube-vip.
.PHONY: all deps build test test-unit build-asan test-asan build-arm64 test-arm64 package \
	test-package fuzz demo format format-check tidy clean check-fresh chaos

JOBS ?= $(shell nproc)

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)
	@mkdir -p bin && cp build/release/bin/kube-vip bin/kube-vip

# Unit tests and end-to-end tests (the latter need root: they create network namespaces).
test: build
	@ctest --preset release -j 1

test-unit: build
	@ctest --preset release -L unit -j $(JOBS)

# Unit tests under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan builds them only).
build-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS) --target unit_tests

test-asan: build-asan
	@ctest --preset unit-asan -j $(JOBS)

# The unit tests cross-built for arm64 (build/arm64, the tree `make package` builds the arm64 daemon
# in: build-arm64 builds the daemon there too) and run under qemu-aarch64-static. Tests of a kernel
# facility the emulator does not forward (Linux AIO for libraft, TCP MD5) say so and are skipped.
build-arm64: deps
	@cmake --preset arm64 >/dev/null
	@cmake --build --preset arm64 -j $(JOBS) --target unit_tests kube-vip

test-arm64: build-arm64
	@ctest --preset unit-arm64 -j $(JOBS)

# dist/: stripped binaries, OCI image archives and Debian packages for amd64 and arm64
# (scripts/package/all.sh says what each is); test-package checks each of them.
package: build
	@JOBS=$(JOBS) bash scripts/package/all.sh

test-package: deps
	@bash tests/package/run_all.sh

# libFuzzer over every decoder of untrusted bytes (tests/<module>/fuzz), FUZZ_SECONDS shared between
# the targets (at least 5 s each), each on a copy of its corpus (new inputs and crash files go to a
# temporary directory, never into the repository); fails on a crash, keeping the input in
# build/fuzz/crashes/. Its own build directory with clang, only the fuzz targets. See scripts/fuzz.sh
# for FUZZ_TARGETS and FUZZ_EACH_SECONDS.
FUZZ_SECONDS ?= 60
FUZZ_ARGS ?=

fuzz: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_ARGS="$(FUZZ_ARGS)" JOBS=$(JOBS) bash scripts/fuzz.sh

# The chaos run over the namespace lab (tests/chaos/run.sh, root): 3- and 5-node Raft clusters with
# the balancer and a 3-node Lease cluster under kills, freezes, link flaps, partitions, loss,
# restarts, API server faults and backend flaps, with the never-two-holders checker throughout;
# about 20 minutes. CHAOS_ARGS=--quick is the CI pass (one trial of a subset, a few minutes);
# tests/chaos/README.md has the options and the last full run's report.
CHAOS_ARGS ?=

chaos: build
	@bash tests/chaos/run.sh $(CHAOS_ARGS)

demo: build
	@bash scripts/demo.sh

format:
	@find src tests bench -name '*.h' -o -name '*.cc' | xargs clang-format -i

# Fails when a file differs from .clang-format's layout (CI runs it).
format-check:
	@find src tests bench -name '*.h' -o -name '*.cc' | xargs clang-format --dry-run --Werror

tidy: build
	@find src -name '*.cc' | xargs clang-tidy -p build/release --quiet

# The README's two commands on a fresh Debian 12 root (debootstrap), as root; see the script.
check-fresh:
	@bash scripts/check-fresh.sh

clean:
	rm -rf build bin dist
