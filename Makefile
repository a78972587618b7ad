# Entry points for people and CI. `make` installs what is missing and builds bin/kube-vip.
.PHONY: all deps build test test-unit test-asan demo format format-check tidy clean check-fresh

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

# Unit tests under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS) --target unit_tests
	@ctest --preset unit-asan -j $(JOBS)

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
	rm -rf build bin
