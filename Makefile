# libevent-rs: build, demo, test, bench.
CARGO ?= cargo
LIB := target/release/libevent_rs.so

.PHONY: all build demo test bench fuzz clean
all: build

# Upstream's file names, so that programs linked with libevent*-2.1.so.7 load our library when
# target/release is on LD_LIBRARY_PATH (one library serves core, extra, pthreads and openssl).
COMPAT_NAMES := libevent-2.1.so.7 libevent_core-2.1.so.7 libevent_extra-2.1.so.7 libevent_pthreads-2.1.so.7 libevent_openssl-2.1.so.7

build:
	$(CARGO) build --release
	for name in $(COMPAT_NAMES); do ln -sf libevent_rs.so target/release/$$name; done

# Runs a small real program of ours on the library.
demo: build
	c-tests/demo.sh

# Everything: cargo tests, ABI checks, our C tests, upstream's suite under every loop configuration.
# Packages first: on a fresh machine even the build needs them (a C compiler for capi/).
test:
	c-tests/install-deps.sh
	$(MAKE) build
	c-tests/run-all.sh

bench: build
	c-tests/bench.sh

# The long fuzz runs (make test runs each target's bounded run): every parser's ignored
# *_fuzz_long cargo test, FUZZ_ITERATIONS mutated inputs each, from seed FUZZ_SEED.
FUZZ_ITERATIONS ?= 10000000
FUZZ_SEED ?= 7
fuzz:
	$(foreach t,DNS HTTP URI EVTAG,$(t)_FUZZ_ITERATIONS=$(FUZZ_ITERATIONS) $(t)_FUZZ_SEED=$(FUZZ_SEED)) \
	  $(CARGO) test --release fuzz_long -- --ignored

clean:
	$(CARGO) clean
	rm -rf c-tests/build
