# aigw: `make run` and `make test` do all set-up on a fresh Debian or Ubuntu machine.
SHELL := /bin/bash
SWIFT ?= swift
PY := .venv/bin/python
# Extra arguments for `make run`, e.g. make run ARGS="--tcp 127.0.0.1:7401".
ARGS ?=

.PHONY: all deps build release run test test-swift test-python check-generated generate bench leak-check clean

all: build

deps:
	@scripts/deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

run: build
	.build/debug/aigw serve $(ARGS)

## Regenerates the protobuf-c C target, the Swift bridge and the Python modules from proto/.
generate: deps
	scripts/generate.sh

## Fails when a generated file differs from what `make generate` would write.
check-generated: deps
	@scripts/generate.sh --check

test: deps check-generated build
	scripts/with-redis.sh $(MAKE) --no-print-directory test-swift test-python

# One test at a time: the end-to-end suites start many aigw, fake-upstream and Redis clients, and on a 2-core CI
# machine running them all at once turns their timing checks into noise. Serially the run takes about a minute.
test-swift:
	AIGW_BIN=$(CURDIR)/.build/debug/aigw AIGWCTL_BIN=$(CURDIR)/.build/debug/aigwctl $(SWIFT) test --no-parallel

test-python:
	cd clients/python && AIGW_BIN=$(CURDIR)/.build/debug/aigw AIGWCTL_BIN=$(CURDIR)/.build/debug/aigwctl PYTHONPATH=src ../../$(PY) -m pytest -q

## Release-mode benchmark; writes docs/benchmarks.md.
bench: deps
	$(SWIFT) build -c release --product aigw
	$(SWIFT) build -c release --product bench
	.build/release/bench --aigw .build/release/aigw --output docs/benchmarks.md

## Runs the protobuf-c bridge under valgrind (DWARF 4, as valgrind 3.19 needs) and fails on any definite leak.
leak-check: deps
	command -v valgrind >/dev/null || sudo apt-get install -y -qq valgrind || apt-get install -y -qq valgrind
	$(SWIFT) build --product bridge-leakcheck --scratch-path .build-valgrind -Xswiftc -dwarf-version=4 -Xcc -gdwarf-4
	valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1 \
		.build-valgrind/debug/bridge-leakcheck

clean:
	rm -rf .build .venv
