# libevent-rs: build, demo, test, bench.
CARGO ?= cargo
LIB := target/release/libevent_rs.so

.PHONY: all build demo test bench clean
all: build

build:
	$(CARGO) build --release

# Runs a small real program of ours on the library.
demo: build
	c-tests/demo.sh

# Everything: cargo tests, ABI checks, our C tests, upstream's suite under every loop configuration.
test: build
	c-tests/run-all.sh

bench: build
	c-tests/bench.sh

clean:
	$(CARGO) clean
	rm -rf c-tests/build
