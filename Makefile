# shmd: `make demo` shows it working, `make test` runs every test. Both install what they need
# (Debian packages, as root) first.

SWIFT      ?= swift
PREFIX     ?= /usr/local
DESTDIR    ?=
RELEASE    := .build/release
DEBUG      := .build/debug
APT_NEEDS  := libsystemd-dev pkg-config gcc util-linux

.PHONY: all deps build release test demo clean

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

release: deps
	$(SWIFT) build -c release

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

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

clean:
	rm -rf .build
