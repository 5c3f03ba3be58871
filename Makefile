# shmd: `make demo` shows it working, `make test` runs every test. Both install what they need
# (Debian packages, as root) first.

SWIFT      ?= swift
PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR     ?= $(PREFIX)/bin
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
DOCDIR     ?= $(PREFIX)/share/doc/shmd
CONFDIR    ?= /etc/shmd
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MANDIR     ?= $(PREFIX)/share/man
# Where bash-completion, zsh and fish look for completions of their own accord.
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
# libshmkit's version: the soname carries the major (libshmkit.so.1), shmkit.h the same numbers.
SHMKIT_VERSION := 1.1.0
RELEASE    := .build/release
DEBUG      := .build/debug
# Where install-files takes the executables from: `make install` builds them in release mode.
BUILT      ?= $(RELEASE)
PROGRAMS   := shmd shm-writer shm-reader shmctl shm-bridge
# The systemd units in systemd/, installed with /usr/local/bin/ rewritten to $(BINDIR).
UNITS      := shmd.service shmd-metrics.service shmd-metrics.timer shm-bridge@.service
# The system users of the units (sysusers.d), each installed as NAME.conf.
SYSUSERS   := shmd shm-bridge
# The shipped configs, each installed in CONFDIR only when there is none there.
CONFIGS    := shmd.toml bridge.toml
# prometheus-node-exporter and curl: the metrics tests read shmctl's file through the real exporter.
# libnats-dev and nats-server: shm-bridge links the NATS C client, and its tests run a JetStream server.
APT_NEEDS  := libsystemd-dev libnats-dev nats-server pkg-config gcc g++ binutils util-linux tmux procps prometheus-node-exporter curl
# libboost-dev and libzmq3-dev: shm-bench's peers Boost.Interprocess and ZeroMQ (make peer-roles),
# which the benchmark measures and its tests build.
APT_NEEDS  += libboost-dev libzmq3-dev
# openssl: the bridge's TLS tests make a CA and a server certificate of their own.
APT_NEEDS  += openssl

.PHONY: iceoryx-role iceoryx-deps bench-bridge
.PHONY: all deps build release test lint format sanitize fuzz fuzz-ci fuzz-build fuzz-deps fuzz-seeds fuzz-regressions demo bench bench-ab docs doc-coverage static python-test python-test-run clean install install-files uninstall

all: build

# Installs the Debian packages the build and the tests need, only when one is missing.
deps:
	@missing=""; for p in $(APT_NEEDS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "run as root to install:$$missing" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

# Release executables carry the Swift runtime (--static-swift-stdlib), so the installed service
# does not depend on the toolchain's folder.
release: deps
	$(SWIFT) build -c release --static-swift-stdlib

# shmctl's JSON is checked against its schema with python3's jsonschema (pip-installed when missing).
test: deps lint
	@$(PYTHON) -c 'import jsonschema' 2>/dev/null || $(PYTHON) -m pip install --quiet jsonschema
	$(SWIFT) build --build-tests
	$(MAKE) man
	$(SWIFT) test --skip-build
	$(MAKE) python-test-run

# The Python package's tests (python/tests, pytest) against this build's libshmkit.so and shmd,
# with the package from python/ on PYTHONPATH; pytest is pip-installed only when missing. Each
# test starts its own shmd. `make test` runs them after the Swift tests.
PYTHON ?= python3
python-test: deps
	$(SWIFT) build
	$(MAKE) python-test-run

python-test-run:
	@$(PYTHON) -c 'import pytest' 2>/dev/null || $(PYTHON) -m pip install --quiet pytest
	SHMKIT_LIBRARY=$(CURDIR)/$(DEBUG)/libshmkit.so SHMD=$(CURDIR)/$(DEBUG)/shmd PYTHONPATH=$(CURDIR)/python \
	  $(PYTHON) -m pytest -q -p no:cacheprovider python/tests

# The toolchain's swift-format with the committed configuration (.swift-format): `make lint`
# fails on any finding (make test runs it first); `make format` rewrites the files to match.
FORMATTED := Package.swift Sources Tests
lint:
	$(SWIFT) format lint --strict --recursive --parallel $(FORMATTED)

format:
	$(SWIFT) format format --in-place --recursive --parallel $(FORMATTED)

# The core tests (names, layout, config, the protocols under many threads, the wake-up stress)
# under ThreadSanitizer and AddressSanitizer, each in a build folder of its own. .ci/run runs it
# after `make test`.
SANITIZED_TESTS := ShmKitTests|ShmDaemonTests
sanitize: deps
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	TSAN_OPTIONS=halt_on_error=1 $(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan --filter '$(SANITIZED_TESTS)'
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan
	ASAN_OPTIONS=halt_on_error=1 LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/lsan-suppressions.txt \
	  $(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan --filter '$(SANITIZED_TESTS)'

# Fuzzing with libFuzzer (swiftc -sanitize=fuzzer) and AddressSanitizer: header validation,
# the client-table reader, the repair over an arbitrary header and table, and the config loader
# (Sources/Fuzz). `make fuzz` builds the four targets in $(FUZZ_BUILD) and runs each for
# FUZZ_SECONDS on a fresh copy of its seeds in Tests/Fuzz/corpus, printing the executions;
# it fails when one crashes, hangs longer than FUZZ_TIMEOUT on an input, or breaks an
# invariant (the input is kept in $(FUZZ_BUILD)/artifacts/TARGET/). FUZZ_RUNS=N runs N inputs
# per target instead of a time; FUZZ_TARGETS picks targets; FUZZ_FLAGS passes libFuzzer flags.
# The inputs that found bugs (Tests/Fuzz/regressions/TARGET, see the README there) join each
# run's corpus. `make fuzz-ci` is CI's short pass.
FUZZ_TARGETS ?= header client-table repair config
FUZZ_SECONDS ?= 60
FUZZ_RUNS    ?=
FUZZ_TIMEOUT ?= 10
FUZZ_FLAGS   ?=
FUZZ_BUILD   := .build-fuzz
FUZZ_LIMIT   := $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS),-max_total_time=$(FUZZ_SECONDS))

fuzz: fuzz-build
	FUZZ_LIMIT='$(FUZZ_LIMIT)' FUZZ_TIMEOUT='$(FUZZ_TIMEOUT)' FUZZ_FLAGS='$(FUZZ_FLAGS)' \
	  Tests/Fuzz/run.sh $(FUZZ_BUILD)/release $(FUZZ_BUILD) $(FUZZ_TARGETS)

fuzz-ci:
	$(MAKE) fuzz FUZZ_SECONDS=10

# Each product on its own: a build of everything would link shmd and the other programs
# against libFuzzer's main too. --sanitize=fuzzer makes SwiftPM leave `main` to libFuzzer;
# AddressSanitizer comes through compiler flags rather than a second --sanitize: SwiftPM passes
# two as two -sanitize= options in a random order, and swiftc keeps only the last one (a build
# that was either not instrumented for coverage or not checked for memory errors, and rebuilt
# from scratch whenever the order changed). One -sanitize=fuzzer,address, after SwiftPM's, wins.
FUZZ_SWIFT_BUILD := $(SWIFT) build -c release --scratch-path $(FUZZ_BUILD) --sanitize=fuzzer \
  -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=address -Xcxx -fsanitize=address -Xswiftc -DSHM_FUZZING
fuzz-build: deps fuzz-deps
	@set -e; for t in $(FUZZ_TARGETS); do \
	  echo "$(FUZZ_SWIFT_BUILD) --product fuzz-$$t"; $(FUZZ_SWIFT_BUILD) --product fuzz-$$t; \
	done

# libFuzzer's runtime comes with the Swift toolchain's clang (swift.org toolchains for Linux
# ship it); a Debian package cannot add it there, so a toolchain without it is an error.
fuzz-deps:
	@swiftc=$$(command -v $(SWIFT)) || { echo "no $(SWIFT) on PATH" >&2; exit 1; }; \
	toolchain=$$(dirname "$$(dirname "$$(readlink -f "$$swiftc")")"); \
	if ! ls "$$toolchain"/lib/clang/*/lib/linux/libclang_rt.fuzzer-$$(uname -m).a >/dev/null 2>&1; then \
	  echo "the Swift toolchain in $$toolchain has no libFuzzer runtime (lib/clang/*/lib/linux/libclang_rt.fuzzer-$$(uname -m).a): install a swift.org toolchain for Linux, which ships it" >&2; exit 1; fi

# Rewrites the committed seed corpus from the seed writers in Sources/Fuzz (after a layout
# change, or a new seed); commit the result.
fuzz-seeds: build
	@set -e; for t in $(FUZZ_TARGETS); do rm -rf Tests/Fuzz/corpus/$$t; $(DEBUG)/fuzz-$$t --write-seeds Tests/Fuzz/corpus/$$t; done

# Replays each input that once found a bug (Tests/Fuzz/regressions/TARGET/) with its target's
# libFuzzer build: every one must pass.
fuzz-regressions: fuzz-build
	@status=0; for folder in Tests/Fuzz/regressions/*/; do target=$$(basename $$folder); \
	  for f in $$folder*; do \
	    log=$(FUZZ_BUILD)/logs/replay-$$target-$$(basename $$f).log; mkdir -p $(FUZZ_BUILD)/logs; \
	    if SWIFT_BACKTRACE=enable=no LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/lsan-suppressions.txt \
	         $(FUZZ_BUILD)/release/fuzz-$$target -timeout=$(FUZZ_TIMEOUT) $$f >$$log 2>&1; then \
	      echo "passes: $$f"; \
	    else echo "FAILS: $$f: $$(grep -m1 -oE 'ERROR: libFuzzer: [a-z -]+|SUMMARY: [A-Za-z]+: [^ ]+' $$log) (report: $$log)"; status=1; fi; \
	  done; done; exit $$status

# Starts shmd with the shipped config, sends messages through the ring channel `demo` and the
# seed-layout channel `seed`, stops shmd and shows that /dev/shm is clean again.
demo: release
	@set -e; B=$(RELEASE); \
	if ls /dev/shm/shmd.demo /dev/shm/my_shm >/dev/null 2>&1; then \
	  echo "a shmd already owns /dev/shm/shmd.demo or /dev/shm/my_shm; stop it first (systemctl stop shmd)" >&2; exit 1; fi; \
	echo; echo "== shmd --config config/shmd.toml"; \
	$$B/shmd --config config/shmd.toml & pid=$$!; \
	trap 'kill $$pid 2>/dev/null || true' EXIT; \
	$$B/shm-reader demo --wait 10 --count 3 > .build/demo-reader.out & reader=$$!; \
	echo "== ls -l /dev/shm"; sleep 0.5; ls -l /dev/shm; \
	echo; echo "== shm-writer demo --message ... (three messages)"; \
	$$B/shm-writer demo --wait 10 --message "hello from shm-writer" --message "second message" --message "third and last"; \
	wait $$reader; echo "== shm-reader demo --count 3 printed:"; cat .build/demo-reader.out; \
	echo; echo "== the seed layout: two lines into shm-writer seed, then shm-reader seed --count 1, twice"; \
	( printf 'seed-compatible message one\nseed-compatible message two\n' | $$B/shm-writer seed --wait 10 ) & writer=$$!; \
	$$B/shm-reader seed --count 1; $$B/shm-reader seed --count 1; wait $$writer; \
	echo; echo "== kill -TERM shmd"; kill -TERM $$pid; wait $$pid; trap - EXIT; \
	echo "== shmd exited 0; ls -l /dev/shm:"; ls -l /dev/shm

# Installs shmd as a systemd service: the release executables, the units (shmd.service,
# shmd-metrics.service with its timer, and the template shm-bridge@.service), the sysusers.d
# files, the README, and /etc/shmd/shmd.toml and bridge.toml unless they exist (an edited config
# is never replaced). On a running systemd (and without DESTDIR) it then creates the users shmd
# and shm-bridge and reloads systemd; `systemctl enable --now shmd` (and shmd-metrics.timer,
# shm-bridge@NAME) is left to you.
install: release static
	$(MAKE) man
	$(MAKE) install-files BUILT=$(RELEASE)

# libshmkit.a: the objects of libshmkit.so and the part of the static Swift runtime they use,
# in one object whose only global symbols are shmkit_* (Sources/ShmKitC/static-archive.py).
# A C program links it by its path, `cc app.c PREFIX/lib/libshmkit.a -lstdc++ -lm -lpthread -ldl`
# (with -lshmkit the linker would take libshmkit.so from the same folder).
static: release
	python3 Sources/ShmKitC/static-archive.py .build release $(RELEASE)/libshmkit.a

# `install` without building: takes the executables from $(BUILT). The systemd tests use it
# inside their sandbox with the debug build.
install-files: install-man-completions
	@set -e; \
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(CONFDIR); \
	for p in $(PROGRAMS); do install -m 0755 $(BUILT)/$$p $(DESTDIR)$(BINDIR)/$$p; done; \
	for u in $(UNITS); do \
	  sed -e 's|/usr/local/bin/|$(BINDIR)/|g' -e 's|/usr/local/share/doc/shmd|$(DOCDIR)|g' systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u.tmp; \
	  chmod 0644 $(DESTDIR)$(UNITDIR)/$$u.tmp; mv $(DESTDIR)$(UNITDIR)/$$u.tmp $(DESTDIR)$(UNITDIR)/$$u; \
	done; \
	for u in $(SYSUSERS); do install -m 0644 systemd/$$u.sysusers $(DESTDIR)$(SYSUSERSDIR)/$$u.conf; done; \
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/; \
	for c in $(CONFIGS); do \
	  install -m 0644 config/$$c $(DESTDIR)$(DOCDIR)/$$c; \
	  if [ -e $(DESTDIR)$(CONFDIR)/$$c ]; then \
	    echo "kept the existing $(DESTDIR)$(CONFDIR)/$$c; the shipped one is $(DESTDIR)$(DOCDIR)/$$c"; \
	  else install -m 0644 config/$$c $(DESTDIR)$(CONFDIR)/$$c; fi; \
	done; \
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR); \
	install -m 0755 $(BUILT)/libshmkit.so $(DESTDIR)$(LIBDIR)/libshmkit.so.$(SHMKIT_VERSION); \
	ln -sf libshmkit.so.$(SHMKIT_VERSION) $(DESTDIR)$(LIBDIR)/libshmkit.so.1; \
	ln -sf libshmkit.so.1 $(DESTDIR)$(LIBDIR)/libshmkit.so; \
	if [ -f $(BUILT)/libshmkit.a ]; then install -m 0644 $(BUILT)/libshmkit.a $(DESTDIR)$(LIBDIR)/libshmkit.a; fi; \
	install -m 0644 Sources/ShmKitC/include/shmkit.h $(DESTDIR)$(INCLUDEDIR)/shmkit.h; \
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCLUDEDIR)' '' 'Name: shmkit' \
	  "Description: shmd's client library: shared-memory message channels" 'Version: $(SHMKIT_VERSION)' \
	  'Libs: -L$${libdir} -lshmkit' 'Libs.private: -lstdc++ -lm -lpthread -ldl' 'Cflags: -I$${includedir}' > $(DESTDIR)$(PKGCONFIGDIR)/shmkit.pc; \
	echo "installed $(PROGRAMS) in $(DESTDIR)$(BINDIR), $(UNITS) in $(DESTDIR)$(UNITDIR), libshmkit in $(DESTDIR)$(LIBDIR)"; \
	if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
	  systemd-sysusers $(foreach u,$(SYSUSERS),$(SYSUSERSDIR)/$(u).conf); systemctl daemon-reload; \
	  echo "next: systemctl enable --now shmd; usermod -aG shmd USER for each client user; for Prometheus, systemctl enable --now shmd-metrics.timer; for a bridge, systemctl enable --now shm-bridge@NAME"; \
	fi

# Removes what install put there. /etc/shmd/shmd.toml goes only if it is still the shipped
# one; the user and group shmd stay (sysusers.d never removes accounts): `userdel shmd` if wanted.
uninstall: uninstall-man-completions
	@set -e; \
	if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
	  systemctl stop 'shm-bridge@*.service' 2>/dev/null || true; \
	  systemctl disable --now shmd-metrics.timer shmd.service 2>/dev/null || true; fi; \
	for p in $(PROGRAMS); do rm -f $(DESTDIR)$(BINDIR)/$$p; done; \
	rm -f $(DESTDIR)$(LIBDIR)/libshmkit.so $(DESTDIR)$(LIBDIR)/libshmkit.so.1 $(DESTDIR)$(LIBDIR)/libshmkit.so.$(SHMKIT_VERSION); \
	rm -f $(DESTDIR)$(LIBDIR)/libshmkit.a $(DESTDIR)$(INCLUDEDIR)/shmkit.h $(DESTDIR)$(PKGCONFIGDIR)/shmkit.pc; \
	for u in $(UNITS); do rm -f $(DESTDIR)$(UNITDIR)/$$u; done; \
	for u in $(SYSUSERS); do rm -f $(DESTDIR)$(SYSUSERSDIR)/$$u.conf; done; \
	rm -f $(DESTDIR)$(DOCDIR)/README.md; for c in $(CONFIGS); do rm -f $(DESTDIR)$(DOCDIR)/$$c; done; rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true; \
	for c in $(CONFIGS); do \
	  if cmp -s config/$$c $(DESTDIR)$(CONFDIR)/$$c; then rm -f $(DESTDIR)$(CONFDIR)/$$c; \
	  elif [ -e $(DESTDIR)$(CONFDIR)/$$c ]; then echo "kept $(DESTDIR)$(CONFDIR)/$$c: it was edited"; fi; \
	done; \
	rmdir $(DESTDIR)$(CONFDIR) 2>/dev/null || true; \
	if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi; \
	echo "uninstalled shmd"

# Man pages and shell completions of the programs people run (not the fuzz targets), made from
# the executables themselves, so that they have every subcommand and option there is; none is
# written by hand or committed. shmd is a daemon that systemd starts, so its page is in section 8
# (system administration commands and daemons, man-pages(7)), as sshd(8) and
# systemd-journald(8) are; the others are commands a user runs, in section 1.
DOC_PROGRAMS    := shmd shm-writer shm-reader shm-bench shmctl shm-bridge
MAN8_PROGRAMS   := shmd shm-bridge
MAN1_PROGRAMS   := $(filter-out $(MAN8_PROGRAMS),$(DOC_PROGRAMS))
MAN_OUT         := .build/man
COMPLETIONS_OUT := .build/completions
# The work folder of swift-argument-parser's GenerateManual plugin, a folder per executable.
MAN_PLUGIN_OUT  := .build/plugins/GenerateManual/outputs
# The date the pages carry: the last commit's, so that the same source makes the same pages.
MAN_DATE         = $(shell git log -1 --format=%cs 2>/dev/null || date +%F)
# The tests render the pages with `man -l` (man-db, over groff), check the completion scripts
# with `zsh -n`, `fish -n` and what bash and fish offer from them, and that bash-completion, zsh
# and fish find the installed ones by themselves.
APT_NEEDS       += man-db groff-base zsh fish bash-completion

.PHONY: man completions install-man-completions uninstall-man-completions

# The pages of $(DOC_PROGRAMS) in $(MAN_OUT)/man1 and man8, each with its subcommands, by the
# generate-manual plugin; a second run makes those of $(MAN8_PROGRAMS) in section 8. The plugin builds the package
# first, in debug: the pages are the same from either build, and a release build of its own
# would relink the executables of `make release` without --static-swift-stdlib. It cannot run
# inside `swift test`, which holds the build folder's lock, so `make test` runs it before.
man: deps
	rm -rf $(MAN_PLUGIN_OUT)
	$(SWIFT) package generate-manual --configuration debug --date $(MAN_DATE)
	$(SWIFT) package generate-manual --configuration debug --date $(MAN_DATE) --section 8
	@set -e; rm -rf $(MAN_OUT); install -d $(MAN_OUT)/man1 $(MAN_OUT)/man8; \
	for p in $(MAN1_PROGRAMS); do install -m 0644 $(MAN_PLUGIN_OUT)/$$p/$$p.1 $(MAN_OUT)/man1/; done; \
	for p in $(MAN8_PROGRAMS); do install -m 0644 $(MAN_PLUGIN_OUT)/$$p/$$p.8 $(MAN_OUT)/man8/; done; \
	echo "man pages: $$(cd $(MAN_OUT) && echo man*/*)"

# Writes the bash, zsh and fish completion scripts of the programs $(1), as the executables in
# folder $(2) print them (swift-argument-parser's --generate-completion-script), into the folders
# $(3), $(4) and $(5), under the names each shell looks for: NAME, _NAME and NAME.fish. Mode 0644
# whatever the umask, as install(1) would give: every user's shell reads them.
completion_scripts = for p in $(1); do \
	  $(2)/$$p --generate-completion-script bash > $(3)/$$p; \
	  $(2)/$$p --generate-completion-script zsh > $(4)/_$$p; \
	  $(2)/$$p --generate-completion-script fish > $(5)/$$p.fish; \
	  chmod 0644 $(3)/$$p $(4)/_$$p $(5)/$$p.fish; done

# The completion scripts of the debug build in $(COMPLETIONS_OUT)/bash, zsh and fish, to read or
# to source; install-files writes those it installs from $(BUILT) itself.
completions: build
	@set -e; rm -rf $(COMPLETIONS_OUT); install -d $(COMPLETIONS_OUT)/bash $(COMPLETIONS_OUT)/zsh $(COMPLETIONS_OUT)/fish; \
	$(call completion_scripts,$(DOC_PROGRAMS),$(DEBUG),$(COMPLETIONS_OUT)/bash,$(COMPLETIONS_OUT)/zsh,$(COMPLETIONS_OUT)/fish); \
	echo "completions: $(COMPLETIONS_OUT)/bash, zsh, fish"

# Part of install-files: the completions and man pages of the programs it installs (of
# $(DOC_PROGRAMS), those in $(PROGRAMS)), the completions from $(BUILT), so that they are the
# installed executables' own. The pages come from $(MAN_OUT): without it (no `make man` yet, as in
# the systemd tests' sandbox) none is installed, and it says so.
install-man-completions:
	@set -e; \
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8; \
	$(call completion_scripts,$(filter $(PROGRAMS),$(DOC_PROGRAMS)),$(BUILT),$(DESTDIR)$(BASHCOMPDIR),$(DESTDIR)$(ZSHCOMPDIR),$(DESTDIR)$(FISHCOMPDIR)); \
	if [ -d $(MAN_OUT) ]; then \
	  for p in $(filter $(PROGRAMS),$(MAN1_PROGRAMS)); do install -m 0644 $(MAN_OUT)/man1/$$p.1 $(DESTDIR)$(MANDIR)/man1/$$p.1; done; \
	  for p in $(filter $(PROGRAMS),$(MAN8_PROGRAMS)); do install -m 0644 $(MAN_OUT)/man8/$$p.8 $(DESTDIR)$(MANDIR)/man8/$$p.8; done; \
	else echo "no man pages in $(MAN_OUT) (make man writes them, make install runs it): installed none"; fi

# Part of uninstall: the completions and pages of every program that has them.
uninstall-man-completions:
	@for p in $(DOC_PROGRAMS); do \
	  rm -f $(DESTDIR)$(BASHCOMPDIR)/$$p $(DESTDIR)$(ZSHCOMPDIR)/_$$p $(DESTDIR)$(FISHCOMPDIR)/$$p.fish; \
	  rm -f $(DESTDIR)$(MANDIR)/man1/$$p.1 $(DESTDIR)$(MANDIR)/man8/$$p.8; \
	done

# The benchmark of the README: shmd fast/fanout/classic/seed layout, a pipe and a Unix socketpair,
# iceoryx 2.0.3 publish/subscribe when its Debian packages are installed (make bench installs them
# as root), the peers Boost.Interprocess message_queue, ZeroMQ PUSH/PULL and PAIR over ipc:// and
# POSIX mq (their packages are in APT_NEEDS), and the C lock-free ring of the reference baselines when they are beside the project
# (not needed otherwise), 5 interleaved rounds, then the same-core check. Writes bench/ results
# and a chart.
BASELINES ?= ../shared/reference/ipc-baselines
BENCH_OUT ?= bench
# The C role program links this build's libshmkit.so by its soname, from a folder of its own.
BENCH_ROLES ?= .build/bench-roles
# iceoryx's packages: the daemon iox-roudi (iceoryx) and the C binding the role program links.
ICEORYX_NEEDS := iceoryx libiceoryx-binding-c-dev libiceoryx-posh-dev
# The binding's headers live in a folder named after the version (/usr/include/iceoryx/v2.0.3).
ICEORYX_INCLUDE = $(firstword $(wildcard /usr/include/iceoryx/v*))

# Installs iceoryx's packages when one is missing, as root; otherwise says why it does not, and
# the benchmark skips iceoryx.
iceoryx-deps:
	@missing=""; for p in $(ICEORYX_NEEDS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing || echo "could not install$$missing: the benchmark skips iceoryx"; \
	  else echo "not root: not installing$$missing; the benchmark skips iceoryx"; fi; \
	fi

# The iceoryx role program (Sources/shm-bench/Roles/iceoryx_role.c) in $(BENCH_ROLES), over
# iceoryx's C binding; without the binding's headers it says so and builds nothing.
iceoryx-role:
	@if [ -n "$(ICEORYX_INCLUDE)" ] && [ -f $(ICEORYX_INCLUDE)/iceoryx_binding_c/publisher.h ]; then \
	  mkdir -p $(BENCH_ROLES); \
	  echo "cc -O2 -o $(BENCH_ROLES)/iceoryx_role Sources/shm-bench/Roles/iceoryx_role.c -I $(ICEORYX_INCLUDE) -liceoryx_binding_c"; \
	  cc -O2 -std=c99 -Wall -Wextra -o $(BENCH_ROLES)/iceoryx_role Sources/shm-bench/Roles/iceoryx_role.c -I $(ICEORYX_INCLUDE) -liceoryx_binding_c; \
	else rm -f $(BENCH_ROLES)/iceoryx_role; echo "no iceoryx C binding (libiceoryx-binding-c-dev): not building iceoryx_role"; fi

# The peers' role programs (Sources/shm-bench/Roles: boost_role.cpp, zmq_role.c, mq_role.c) in
# $(BENCH_ROLES), which shm-bench is given as --peer-roles; each only where its headers are
# installed (libboost-dev, libzmq3-dev; POSIX mq is glibc's), and it says which it does not build.
.PHONY: peer-roles
peer-roles:
	@mkdir -p $(BENCH_ROLES)
	cc -O2 -std=c99 -Wall -Wextra -o $(BENCH_ROLES)/mq_role Sources/shm-bench/Roles/mq_role.c -lrt
	@if [ -f /usr/include/boost/interprocess/ipc/message_queue.hpp ]; then \
	  echo "g++ -O2 -o $(BENCH_ROLES)/boost_role Sources/shm-bench/Roles/boost_role.cpp -lrt -pthread"; \
	  g++ -O2 -Wall -Wextra -o $(BENCH_ROLES)/boost_role Sources/shm-bench/Roles/boost_role.cpp -lrt -pthread; \
	else rm -f $(BENCH_ROLES)/boost_role; echo "no Boost.Interprocess headers (libboost-dev): not building boost_role"; fi
	@if [ -f /usr/include/zmq.h ]; then \
	  echo "cc -O2 -o $(BENCH_ROLES)/zmq_role Sources/shm-bench/Roles/zmq_role.c -lzmq"; \
	  cc -O2 -std=c99 -Wall -Wextra -o $(BENCH_ROLES)/zmq_role Sources/shm-bench/Roles/zmq_role.c -lzmq; \
	else rm -f $(BENCH_ROLES)/zmq_role; echo "no ZeroMQ headers (libzmq3-dev): not building zmq_role"; fi

bench: release iceoryx-deps
	@command -v gnuplot >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq gnuplot-nox; } || true
	@$(MAKE) --no-print-directory iceoryx-role peer-roles
	@mkdir -p $(BENCH_OUT) .build/baselines
	@$(PYTHON) -c 'import iceoryx2' 2>/dev/null || { [ "$$(id -u)" = 0 ] && $(PYTHON) -m pip install -q iceoryx2==0.10.0; } || true
	@mkdir -p $(BENCH_ROLES) && ln -sf $(CURDIR)/$(RELEASE)/libshmkit.so $(BENCH_ROLES)/libshmkit.so.1
	cc -O2 -std=c99 -Wall -Wextra -o $(BENCH_ROLES)/shmkit_role Sources/shm-bench/Roles/shmkit_role.c \
	  -I Sources/ShmKitC/include -L $(RELEASE) -lshmkit -Wl,-rpath,$(CURDIR)/$(BENCH_ROLES)
	@spsc=""; if [ -f $(BASELINES)/spsc.c ]; then \
	  gcc -O2 -o .build/baselines/spsc $(BASELINES)/spsc.c -lpthread && spsc="--spsc .build/baselines/spsc"; fi; \
	iceoryx=""; if [ -x $(BENCH_ROLES)/iceoryx_role ]; then iceoryx="--iceoryx-role $(BENCH_ROLES)/iceoryx_role"; \
	  else echo "no $(BENCH_ROLES)/iceoryx_role: the benchmark skips iceoryx"; fi; \
	$(RELEASE)/shm-bench --rounds 5 $$spsc $$iceoryx --peer-roles $(BENCH_ROLES) --c-role $(BENCH_ROLES)/shmkit_role --python-roles python/bench/roles.py \
	  --python "$$(command -v $(PYTHON))" --pace 100000 --json $(BENCH_OUT)/results.json --csv $(BENCH_OUT)/results.csv \
	  --plot-data $(BENCH_OUT)/throughput.dat | tee $(BENCH_OUT)/table.txt; \
	echo; echo "== in place, up to 1 MiB"; \
	$(RELEASE)/shm-bench --rounds 5 --sizes 64,1024,65536,1048576 --transports fast,in-place --no-round-trip --idle-seconds 0 \
	  --json $(BENCH_OUT)/in-place.json | tee $(BENCH_OUT)/in-place.txt; \
	echo; echo "== same core"; \
	$(RELEASE)/shm-bench --rounds 5 --same-core --sizes 64 --transports fast,classic,pipe --no-round-trip --idle-seconds 0 \
	  --json $(BENCH_OUT)/same-core.json | tee $(BENCH_OUT)/same-core.txt
	@if command -v gnuplot >/dev/null; then \
	  gnuplot -e "datafile='$(BENCH_OUT)/throughput.dat'; output='$(BENCH_OUT)/throughput.png'" bench/throughput.gp \
	  && echo "chart: $(BENCH_OUT)/throughput.png"; fi

# The bridge's benchmark (README, "Beyond one host"): one nats-server with JetStream on loopback
# (file storage), two shm-bridges between two channels of a shmd of its own, against the C
# publisher and subscriber on libnats (Sources/shm-bench/Roles/nats_role.c) with the same
# JetStream settings, in the same run. Writes $(BENCH_OUT)/bridge.txt.
bench-bridge: release
	@mkdir -p $(BENCH_ROLES) $(BENCH_OUT)
	cc -O2 -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -o $(BENCH_ROLES)/nats_role Sources/shm-bench/Roles/nats_role.c \
	  $$(pkg-config --cflags --libs libnats) -lpthread
	$(RELEASE)/shm-bench bridge --sizes 64,1024 --count 100000 --rounds 3 --in-flight 1024 --nats-role $(BENCH_ROLES)/nats_role | tee $(BENCH_OUT)/bridge.txt

# ShmKit's documentation (Sources/ShmKit/ShmKit.docc and the doc comments), built with
# swift-docc-plugin into $(DOCS_OUT); any docc warning (a symbol link that does not resolve, a
# documented parameter that does not exist) fails the build. `open $(DOCS_OUT)/index.html` needs
# a web server (the archive is for static hosting at /, or `docc preview`).
DOCS_OUT ?= .build/docs
docs: deps
	$(SWIFT) package --allow-writing-to-directory $(DOCS_OUT) generate-documentation --target ShmKit \
	  --output-path $(DOCS_OUT) --warnings-as-errors --transform-for-static-hosting

# Public declarations in Sources without a doc comment of their own, each with FILE:LINE, and
# their count (from the symbol graphs of `swift package dump-symbol-graph`); fails unless 0.
doc-coverage: deps
	SWIFT=$(SWIFT) .ci/doc-coverage

# A/B of the client code in one run: BASE's shm-bench, built in release from `git archive` in
# $(AB_DIR) (its own scratch folder, with this build's dependency versions when it has them), is
# given to this build's as --compare: its writer and reader (B) run every fast case right after
# this build's (A), on this build's shmd and channels, 5 interleaved rounds, throughput and
# round trip at 64 B and 1 KiB. The table has B/A per case; AB_OUT gets ab.txt and ab.json.
BASE   ?= b91bfbb
AB_DIR := .build-ab
AB_OUT ?= $(AB_DIR)
bench-ab: release
	@set -e; base=$$(git rev-parse --verify --quiet '$(BASE)^{commit}') || { echo "BASE=$(BASE) is not a commit here" >&2; exit 1; }; \
	if [ "$$(cat $(AB_DIR)/source/.commit 2>/dev/null)" != "$$base" ]; then \
	  rm -rf $(AB_DIR)/source; mkdir -p $(AB_DIR)/source; git archive $$base | tar -x -C $(AB_DIR)/source; \
	  if [ -f Package.resolved ]; then cp Package.resolved $(AB_DIR)/source/; fi; echo $$base > $(AB_DIR)/source/.commit; fi; \
	echo "== B: shm-bench of $(BASE) ($$base)"; \
	$(SWIFT) build -c release --static-swift-stdlib --product shm-bench --package-path $(AB_DIR)/source --scratch-path $(AB_DIR)/build; \
	mkdir -p $(AB_OUT); echo "== A: this build's; B: $(BASE)'s"; \
	$(RELEASE)/shm-bench run --compare $(AB_DIR)/build/release/shm-bench --sizes 64,1024 --transports fast --rounds 5 \
	  --idle-seconds 0 --json $(AB_OUT)/ab.json | tee $(AB_OUT)/ab.txt

clean:
	rm -rf .build
