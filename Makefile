# Sotto: every target installs what it needs on a fresh Debian 12 machine (as root, through apt-get).
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
APT_PACKAGES := pkg-config libssl-dev libsrtp2-dev libopus-dev openssl
FUZZ_SECONDS ?= 60
SHELL := /bin/bash

.PHONY: deps build test lint fuzz bench-crypto clean

## deps: install the Debian packages the build needs (only those missing).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "missing Debian packages:$$missing (run: sudo apt-get install$$missing)"; exit 1; \
	  fi; \
	fi

build: deps
	$(SWIFT) build

## test: the whole test suite (the command CI runs).
test: deps lint
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## lint: swift-format with the committed .swift-format; any finding fails.
lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Fuzz Benchmarks/CryptoBenchmarks

## fuzz: libFuzzer + ASan over the RTPWire views for FUZZ_SECONDS.
fuzz: deps
	SOTTO_FUZZ=1 $(SWIFT) build -c release --scratch-path .build-fuzz --product RTPWireFuzz \
	  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library 2>&1 | grep -v "Cannot export local symbol"
	mkdir -p Fuzz/corpus-work Fuzz/crashes
	# Swift's crash reporter would hold the output open after a finding: libFuzzer reports instead.
	SWIFT_BACKTRACE=enable=no .build-fuzz/release/RTPWireFuzz -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=Fuzz/crashes/ \
	  Fuzz/corpus-work Fuzz/corpus/rtpwire

## bench-crypto: the SRTP hot-path benchmarks (package-benchmark) and one summary line per suite.
bench-crypto: deps
	cd Benchmarks && set -o pipefail && $(SWIFT) package --allow-writing-to-package-directory benchmark \
	  --target CryptoBenchmarks --no-progress 2>&1 | tee .build-bench-crypto.log
	python3 Benchmarks/summarize.py Benchmarks/.build-bench-crypto.log

clean:
	rm -rf .build .build-fuzz Benchmarks/.build
