# Sotto: every target installs what it needs on a fresh Debian 12 machine (as root, through apt-get).
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
APT_PACKAGES := pkg-config libssl-dev libsrtp2-dev libopus-dev libopusenc-dev libsqlite3-dev openssl
# Third-party peers for the end-to-end tests (Tests/EndToEnd): softphones, the PBX stand-in, the capture.
E2E_PACKAGES := baresip-core kamailio kamailio-tls-modules tshark sox opus-tools age openssl iproute2 python3 tmux
FUZZ_SECONDS ?= 60
## How long `make test` runs each fuzz target.
FUZZ_CI_SECONDS ?= 30
RELAY_SECONDS ?= 5
SHELL := /bin/bash

.PHONY: deps e2e-deps faults-deps compare-deps deb-deps apt-install build run demo test e2e faults lint fuzz bench-crypto bench-relay bench-signalling bench-compare bench-recording soak soak-deps deb deb-test clean

## deps: install the Debian packages the build needs (only those missing).
deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(APT_PACKAGES)"

## e2e-deps: install baresip, Kamailio, tshark and sox for the end-to-end tests. On a machine with systemd,
## installing kamailio starts its stock service on 5060: the tests run their own, so that one is stopped.
e2e-deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(E2E_PACKAGES)"
	@if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet kamailio 2>/dev/null; then \
	  echo "stopping the stock kamailio service"; systemctl disable --now kamailio; fi

apt-install:
	@missing=""; for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
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

## run: sotto in the foreground with conf/sotto.toml (development certificates are made on first use),
## and sottoctl built beside it. When the config's PBX ([upstream] address) is not set or does not answer within
## about 1 s, scripts/run-dev.sh first starts the test PBX there (sotto-loadgen pbx: registrar, echo and tone
## extensions) and stops it when sotto exits; it prints the softphone settings and what to call.
run: deps
	@test -f .dev/certs/server.crt || bash scripts/dev-certs.sh .dev/certs
	$(SWIFT) build -c release --product sotto
	$(SWIFT) build -c release --product sottoctl
	$(SWIFT) build -c release --product sotto-loadgen
	@echo "sottoctl is $$($(SWIFT) build -c release --show-bin-path)/sottoctl (socket .dev/sotto-admin.sock)"
	@# run-dev.sh passes --allow-root when run as root: Sotto refuses root unless told, and a container is told.
	bash scripts/run-dev.sh "$$($(SWIFT) build -c release --show-bin-path)" conf/sotto.toml

## demo: sotto with its development config and sotto-loadgen against it: 40 calls of Opus over SRTP through the
## relay for a few seconds each, then the generator's report.
demo: deps
	@test -f .dev/certs/server.crt || bash scripts/dev-certs.sh .dev/certs
	$(SWIFT) build -c release --product sotto
	$(SWIFT) build -c release --product sotto-loadgen
	bash scripts/demo.sh "$$($(SWIFT) build -c release --show-bin-path)"

## test: the whole test suite (the command CI runs): unit and integration tests, end to end, the fault suite, the
## Debian package's install test, then every fuzz target for FUZZ_CI_SECONDS (default 30) each.
test: deps e2e-deps lint
	$(SWIFT) build --build-tests
	@# One test at a time (about 45 s; in parallel about 20 s, but then a few tests flake on a busy 2-core
	@# machine: those that time real traffic, sotto-loadgen through sotto and the admin watch's packet rates,
	@# and the audit log's reopen, whose lock a child being spawned for another suite can briefly hold).
	$(SWIFT) test --skip-build --no-parallel
	$(MAKE) --no-print-directory e2e
	@# The fault suite, scaled down (about 110 s; `make faults` is full size). It makes network namespaces; a
	@# machine that does not let root do that (a container without CAP_SYS_ADMIN) says so here, loudly, and
	@# goes on: nothing else in the suite can stand in for it, and refusing to test the rest would not help.
	@if ip netns add sotto-ci-probe 2>/dev/null; then ip netns del sotto-ci-probe; \
	  $(MAKE) --no-print-directory faults FAULTS_SIZE=ci; \
	  else echo "*** FAULT SUITE NOT RUN: this machine does not allow network namespaces (ip netns add failed) ***"; fi
	@# The Debian package: built (release, static Swift runtime; about 10 minutes from a fresh clone), checked by
	@# lintian, installed with dpkg -i, run as user sotto with one call through it, then purged (docs/install.md).
	$(MAKE) --no-print-directory deb-test
	@# Every libFuzzer target for FUZZ_CI_SECONDS from its committed seeds (a crash fails the run; see fuzz). Measured
	@# on the 2-core machine from a fresh .build-fuzz: 70 s to build the six targets with ASan (about 280 s while
	@# other builds ran), then 31 s per target, 261 s in all.
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_CI_SECONDS)

## e2e: the end-to-end tests with baresip and Kamailio (expects `swift build --build-tests` done).
e2e: e2e-deps
	python3 Tests/EndToEnd/run_e2e.py --sotto "$$($(SWIFT) build --show-bin-path)/sotto" \
	  --checker "$$($(SWIFT) build --show-bin-path)/srtp-leg-check" \
	  --sottoctl "$$($(SWIFT) build --show-bin-path)/sottoctl"

## faults: the fault suite (Tests/Faults, docs/faults.md) at full size: sotto and sotto-loadgen in network namespaces
## of their own; a phone that vanishes, the PBX connection destroyed mid-call, a lossy phone link, SIGKILL and
## SIGTERM, a full disk, file descriptors exhausted, a NAT that rebinds. Needs root (ip netns, mount); expects
## `swift build --build-tests` done. FAULTS_SIZE=ci runs the scaled-down cases (`make test` does, about 110 s).
FAULTS_SIZE ?= full
faults-deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="iproute2 ethtool python3 util-linux mount opus-tools sox age"

faults: faults-deps
	python3 Tests/Faults/run_faults.py --size $(FAULTS_SIZE) --sotto "$$($(SWIFT) build --show-bin-path)/sotto" \
	  --loadgen "$$($(SWIFT) build --show-bin-path)/sotto-loadgen" \
	  --sottoctl "$$($(SWIFT) build --show-bin-path)/sottoctl" $(FAULTS_FLAGS)

## lint: swift-format with the committed .swift-format, then the import check (scripts/check-imports.py: every
## import is a dependency Package.swift lists and follows the layers of docs/architecture.md); any finding fails.
lint:
	@$(MAKE) --no-print-directory apt-install PACKAGES="python3"
	$(SWIFT) format lint --strict --recursive Sources Tests Fuzz Benchmarks/CryptoBenchmarks Benchmarks/SignallingBenchmarks Benchmarks/MediaBenchmarks Benchmarks/RelayBench
	python3 scripts/check-imports.py --swift "$(SWIFT)"

## fuzz: libFuzzer + ASan over each target for FUZZ_SECONDS (default 60) each, from its committed seeds in
## Fuzz/corpus/ (new inputs it finds go to Fuzz/corpus-work/, ignored by git); a finding stops the run and its
## input goes to Fuzz/crashes/TARGET-crash-*. FUZZ_TARGETS picks some: make fuzz FUZZ_TARGETS=SDPFuzz FUZZ_SECONDS=600
## Targets: the parsers (RTPWire, SDP, SIP message, SIP framer), the admin server's request lines, and SIP
## exchanges through the proxy (router, transactions, calls) over a fake media engine.
FUZZ_TARGETS ?= RTPWireFuzz SDPFuzz SIPMessageFuzz SIPFramerFuzz AdminLineFuzz ProxyRequestFuzz
## One input that runs longer than FUZZ_INPUT_TIMEOUT seconds is a finding too (libFuzzer's default is 1200).
FUZZ_INPUT_TIMEOUT ?= 25
fuzz: deps
	@set -e; for target in $(FUZZ_TARGETS); do \
	  echo "== building $$target"; \
	  rm -f .build-fuzz/release/$$target; \
	  SOTTO_FUZZ=1 $(SWIFT) build -c release --scratch-path .build-fuzz --product $$target \
	    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library 2>&1 | grep -v "Cannot export local symbol" || true; \
	  test -x .build-fuzz/release/$$target || { echo "fuzz: $$target did not build"; exit 1; }; \
	done
	@set -e; for target in $(FUZZ_TARGETS); do \
	  case $$target in RTPWireFuzz) corpus=rtpwire;; SDPFuzz) corpus=sdp;; AdminLineFuzz) corpus=admin;; \
	    ProxyRequestFuzz) corpus=proxy;; *) corpus=sip;; esac; \
	  echo "== $$target ($(FUZZ_SECONDS) s, seeds Fuzz/corpus/$$corpus)"; \
	  mkdir -p Fuzz/corpus-work/$$target Fuzz/crashes; \
	  SWIFT_BACKTRACE=enable=no .build-fuzz/release/$$target -max_total_time=$(FUZZ_SECONDS) \
	    -timeout=$(FUZZ_INPUT_TIMEOUT) -print_final_stats=1 \
	    -artifact_prefix=Fuzz/crashes/$$target- Fuzz/corpus-work/$$target Fuzz/corpus/$$corpus 2>&1 \
	    | { grep -v -E '^#[0-9]+.*(NEW|REDUCE|pulse)'; true; }; \
	  status=$${PIPESTATUS[0]}; \
	  if [ $$status != 0 ]; then echo "fuzz: $$target found a crash (exit $$status); input in Fuzz/crashes/$$target-*"; exit 1; fi; \
	done
	@# Swift's crash reporter would hold the output open after a finding (SWIFT_BACKTRACE): libFuzzer reports instead.
	@# The progress lines of new and reduced inputs are left out of the output; the final statistics stay.

## deb: the Debian package (.build/deb/sotto_VERSION_amd64.deb, docs/install.md): sotto, sottoctl and sotto-loadgen
## built in release mode with the Swift runtime linked statically, man pages from their --help, the systemd unit, the
## production config as a conffile; then lintian, which must find no error.
DEB_VERSION = $(shell sed -n 's/.*static let current = "\(.*\)".*/\1/p' Sources/AdminProtocol/SottoVersion.swift)
DEB_FILE = .build/deb/sotto_$(DEB_VERSION)_amd64.deb
deb-deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="dpkg-dev binutils lintian python3"

deb: deps deb-deps
	bash scripts/build-deb.sh "$(SWIFT)"
	@# Informational tags shown too; spelling-error-in-binary only finds words in the statically linked Foundation and ICU.
	lintian --fail-on error --display-info --suppress-tags spelling-error-in-binary $(DEB_FILE)

## deb-test: as root, installs the package with dpkg -i, checks the user, modes and conffile, starts the installed sotto
## as the unit would (user sotto, Type=notify: READY=1 awaited), places one call through it with the installed
## sotto-loadgen, stops it, then removes and purges the package (Tests/Package/install_test.py; cleans up on every path).
deb-test: deb
	@$(MAKE) --no-print-directory apt-install PACKAGES="procps util-linux adduser openssl"
	python3 Tests/Package/install_test.py $(DEB_FILE)

## bench-crypto: the SRTP hot-path benchmarks (package-benchmark) and one summary line per suite.
bench-crypto: deps
	cd Benchmarks && set -o pipefail && $(SWIFT) package --allow-writing-to-package-directory benchmark \
	  --target CryptoBenchmarks --no-progress 2>&1 | tee .build-bench-crypto.log
	python3 Benchmarks/summarize.py Benchmarks/.build-bench-crypto.log

## bench-relay: the forward path's zero-malloc gate, then the relay loop under load (relay on core 0, generator on
## core 1, calls stepped up until loss passes 0.1 %), each step in three modes: Dispatch with polling (the product),
## Dispatch events only, and a dedicated thread blocking in epoll_wait (docs/media.md, "Polling under load").
bench-relay: deps
	cd Benchmarks && set -o pipefail && $(SWIFT) package --allow-writing-to-package-directory benchmark \
	  --target MediaBenchmarks --no-progress 2>&1 | tee .build-bench-media.log
	python3 Benchmarks/summarize.py --zero-mallocs Benchmarks/.build-bench-media.log
	cd Benchmarks && $(SWIFT) build -c release --product RelayBench && \
	  "$$($(SWIFT) build -c release --show-bin-path)/RelayBench" step --seconds $(RELAY_SECONDS)

## bench-signalling: SIP parse + serialise of an INVITE, SDP parse and rewrite (messages/s, mallocs).
bench-signalling: deps
	cd Benchmarks && $(SWIFT) package --allow-writing-to-package-directory benchmark \
	  --target SignallingBenchmarks --no-progress

## compare-deps: Kamailio with rtpengine (the anchor stack bench-compare measures Sotto against), and a C compiler
## for the floor relay (Benchmarks/compare/floor_relay.c).
compare-deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="kamailio kamailio-tls-modules rtpengine-daemon baresip-core sox openssl util-linux python3 gcc libc6-dev"
	@if command -v systemctl >/dev/null 2>&1; then for unit in kamailio rtpengine-daemon; do \
	  systemctl is-active --quiet $$unit 2>/dev/null && systemctl disable --now $$unit; done; true; fi

## bench-compare: the same load through Sotto, through the no-crypto floor relay and through Kamailio + rtpengine
## (re-keying), each pinned to core 0 with sotto-loadgen on core 1; concurrency stepped up while loss < 0.1 %, p99
## <= 10 ms and no call fails, then refined; REPEAT rounds (default 3, about 40 min; REPEAT=1 for a quick look),
## medians with spreads; ends with `compare` lines (docs/bench-compare.md).
REPEAT ?= 3
bench-compare: deps compare-deps
	$(SWIFT) build -c release --product sotto
	$(SWIFT) build -c release --product sotto-loadgen
	python3 Benchmarks/compare/run.py --repeat $(REPEAT) $(BENCH_COMPARE_FLAGS)

## bench-recording: what recording every call costs the relay (docs/recording.md, "What it costs"): the zero-malloc
## gate of the forward path with recording, then the same load through one Sotto with recording off and on, rounds
## interleaved (BENCH_RECORDING_FLAGS passes --calls, --seconds, --rounds, --codec); ends with the `recording:` line.
bench-recording: deps compare-deps
	cd Benchmarks && set -o pipefail && $(SWIFT) package --allow-writing-to-package-directory benchmark \
	  --target MediaBenchmarks --filter "forward path with recording.*" --no-progress 2>&1 \
	  | tee .build-bench-recording.log
	python3 Benchmarks/summarize.py --zero-mallocs Benchmarks/.build-bench-recording.log
	$(SWIFT) build -c release --product sotto
	$(SWIFT) build -c release --product sottoctl
	$(SWIFT) build -c release --product sotto-loadgen
	python3 Benchmarks/recording/run.py --mallocs-log Benchmarks/.build-bench-recording.log $(BENCH_RECORDING_FLAGS)

## soak: a benchmark, not a test (docs/soak.md): one release sotto carrying SOAK_CALLS calls at once (default 400, half
## the 800 bench-compare measured on the 2-core VM) with churn (SOAK_HOLD-second calls, new ones all the time),
## the phones' registrations refreshing and `sottoctl watch` attached, for SOAK_MINUTES (default 60), sampled
## every minute. Ends with the `soak:` line; samples (CSV, JSON), the plot (PNG) and logs go to SOAK_OUT. Exit
## status 1 when a target is missed (a failed call, RSS growth >= 1 %/h, fds or sessions not back to baseline).
SOAK_MINUTES ?= 60
SOAK_CALLS ?= 400
SOAK_HOLD ?= 30
SOAK_OUT ?= .build-soak/run-$(SOAK_MINUTES)min
soak-deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="gnuplot-nox python3 openssl"

soak: deps soak-deps
	$(SWIFT) build -c release --product sotto
	$(SWIFT) build -c release --product sotto-loadgen
	$(SWIFT) build -c release --product sottoctl
	python3 Benchmarks/Soak/soak.py --minutes $(SOAK_MINUTES) --calls $(SOAK_CALLS) --hold $(SOAK_HOLD) \
	  --out $(SOAK_OUT) --sotto "$$($(SWIFT) build -c release --show-bin-path)/sotto" \
	  --loadgen "$$($(SWIFT) build -c release --show-bin-path)/sotto-loadgen" \
	  --sottoctl "$$($(SWIFT) build -c release --show-bin-path)/sottoctl" $(SOAK_FLAGS)

clean:
	rm -rf .build .build-fuzz .build-soak .build-manual Benchmarks/.build
