# libevent-rs: build, demo, test, bench.
CARGO ?= cargo
OUT := target/release
LIB := $(OUT)/libevent_rs.so

.PHONY: all build demo test bench fuzz clean install uninstall deb
all: build

# ---------------------------------------------------------------- compatibility libraries
# Upstream's libraries, by the sonames programs linked with Debian's libevent ask for. Each is a
# library without code of its own: its SONAME is its name (ldconfig and the linker go by it),
# DT_NEEDED names libevent_rs.so and RUNPATH $ORIGIN finds it next to the shim, so the dynamic
# linker resolves the program's libevent symbols in libevent_rs.so. One copy of the code and of
# its global state (a program using core, extra and pthreads shares one event_base registry, one
# set of lock callbacks): full copies with patched sonames would each have their own.
COMPAT_PARTS := libevent libevent_core libevent_extra libevent_pthreads libevent_openssl
COMPAT_NAMES := $(COMPAT_PARTS:=-2.1.so.7)
# The development names -levent_core etc. find. They link to libevent_rs.so, not to a shim: the
# linker does not look through a shim's DT_NEEDED for symbols, so a program built against
# libevent-rs records libevent_rs.so.
DEV_NAMES := $(COMPAT_PARTS:=.so)
WRAPPER := libevent-rs-run

# $(call shim,DIR,NAME): the compatibility library NAME in DIR, beside libevent_rs.so. Written to a
# temporary file first: the linker would write through a symbolic link of that name (older
# builds made them), onto libevent_rs.so itself.
shim = $(CC) -shared -nostdlib -o $(1)/$(2).tmp -Wl,-soname,$(2) -Wl,--no-as-needed \
	-L$(1) -l:libevent_rs.so -Wl,-rpath,'$$ORIGIN' -Wl,--enable-new-dtags -Wl,-z,noexecstack \
	&& mv -f $(1)/$(2).tmp $(1)/$(2)
# $(call wrapper,FILE,PATH): the wrapper script with PATH (from the script's directory to the
# library's) written in.
wrapper = sed 's|@LIBDIR_FROM_BINDIR@|$(2)|g' capi/install/$(WRAPPER).in > $(1).tmp \
	&& chmod 0755 $(1).tmp && mv -f $(1).tmp $(1)

# The library, its compatibility names and the wrapper (which runs from here as it does installed).
build:
	$(CARGO) build --release
	for name in $(COMPAT_NAMES); do $(call shim,$(OUT),$$name) || exit 1; done
	$(call wrapper,$(OUT)/$(WRAPPER),.)

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

# ---------------------------------------------------------------- install
# `make install` (after `make`; it builds nothing, so `sudo make install` needs no cargo):
# the library, its compatibility and development names, our headers (event2/ and the 1.x
# top-level ones upstream installs), pkg-config files named as upstream's, and the wrapper.
# `make uninstall` with the same variables removes exactly these files.
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR ?=
LDCONFIG ?= ldconfig

TOP_HEADERS := $(notdir $(wildcard include/*.h))
EVENT2_HEADERS := $(notdir $(wildcard include/event2/*.h))
INSTALLED_FILES = $(addprefix $(DESTDIR)$(LIBDIR)/,libevent_rs.so $(COMPAT_NAMES) $(DEV_NAMES)) \
	$(addprefix $(DESTDIR)$(INCLUDEDIR)/,$(TOP_HEADERS) $(addprefix event2/,$(EVENT2_HEADERS))) \
	$(addprefix $(DESTDIR)$(PKGCONFIGDIR)/,$(COMPAT_PARTS:=.pc)) $(DESTDIR)$(BINDIR)/$(WRAPPER)

# What each pkg-config file says besides its name: Description and Requires, as upstream's.
pc_description_libevent := an asynchronous event notification library
pc_description_libevent_core := the event loop, buffers, bufferevents and listeners
pc_description_libevent_extra := evdns, evhttp, evrpc and evtag
pc_description_libevent_pthreads := pthreads locking for libevent
pc_description_libevent_openssl := OpenSSL bufferevents for libevent
pc_requires_libevent_pthreads := libevent
pc_requires_libevent_openssl := libevent
pc_file = sed -e 's|@NAME@|$(1)|g' -e 's|@NAME_NO_LIB@|$(1:lib%=%)|g' -e 's|@PREFIX@|$(PREFIX)|g' \
	-e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
	-e 's|@DESCRIPTION@|$(pc_description_$(1))|g' -e 's|@REQUIRES@|$(pc_requires_$(1))|g' \
	capi/install/pkgconfig.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/$(1).pc && chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/$(1).pc

# ldconfig only for a real installation into the system's own library directories, as root.
ldconfig_if_system = if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && \
	case "$(PREFIX)" in /usr | /usr/local) true ;; *) false ;; esac; then $(LDCONFIG); fi

install:
	@for f in $(LIB) $(addprefix $(OUT)/,$(COMPAT_NAMES)); do \
	  [ -f $$f ] || { echo "make install: $$f is missing: run make first" >&2; exit 1; }; done
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/event2 $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(BINDIR)
	install -m 0755 $(LIB) $(addprefix $(OUT)/,$(COMPAT_NAMES)) $(DESTDIR)$(LIBDIR)/
	for name in $(DEV_NAMES); do ln -sfn libevent_rs.so $(DESTDIR)$(LIBDIR)/$$name || exit 1; done
	install -m 0644 $(addprefix include/,$(TOP_HEADERS)) $(DESTDIR)$(INCLUDEDIR)/
	install -m 0644 $(addprefix include/event2/,$(EVENT2_HEADERS)) $(DESTDIR)$(INCLUDEDIR)/event2/
	$(foreach part,$(COMPAT_PARTS),$(call pc_file,$(part)) && ) true
	$(call wrapper,$(DESTDIR)$(BINDIR)/$(WRAPPER),$(shell realpath -m --relative-to=$(BINDIR) $(LIBDIR)))
	@$(ldconfig_if_system)

uninstall:
	rm -f $(INSTALLED_FILES)
	rmdir --ignore-fail-on-non-empty $(DESTDIR)$(INCLUDEDIR)/event2 2> /dev/null || true
	@$(ldconfig_if_system)

# ---------------------------------------------------------------- Debian package
# `make deb`: target/deb/libevent-rs_<version>_<arch>.deb, built with dpkg-deb. Everything goes
# in a directory of its own (DEB_LIBDIR), which is not on the dynamic linker's path (no
# ld.so.conf entry, no diversions, no maintainer scripts), and the wrapper in /usr/bin; the
# system's libevent stays what programs load unless they are run through libevent-rs-run.
DEB_DIR := target/deb
DEB_ROOT := $(DEB_DIR)/root
DEB_MAINTAINER ?= libevent-rs developers <libevent-rs@localhost>
deb_multiarch = $(shell $(CC) -print-multiarch)
DEB_LIBDIR = /usr/lib/$(if $(deb_multiarch),$(deb_multiarch)/)libevent-rs
deb_version = $(shell sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n 1)
deb_arch = $(shell dpkg --print-architecture)
# The newest glibc symbol version the library uses, for Depends.
deb_glibc = $(shell objdump -T $(LIB) | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)

deb: build
	rm -rf $(DEB_ROOT)
	$(MAKE) --no-print-directory install DESTDIR=$(DEB_ROOT) PREFIX=/usr LIBDIR=$(DEB_LIBDIR) \
	  INCLUDEDIR=$(DEB_LIBDIR)/include BINDIR=/usr/bin
	strip --strip-debug $(DEB_ROOT)$(DEB_LIBDIR)/libevent_rs.so
	install -d $(DEB_ROOT)/DEBIAN $(DEB_ROOT)/usr/share/doc/libevent-rs
	install -m 0644 capi/install/deb-copyright $(DEB_ROOT)/usr/share/doc/libevent-rs/copyright
	sed -e 's|@VERSION@|$(deb_version)|' -e 's|@ARCH@|$(deb_arch)|' -e 's|@PKGLIBDIR@|$(DEB_LIBDIR)|g' \
	  -e 's|@DEPENDS@|libc6 (>= $(deb_glibc)), libgcc-s1|' -e 's|@MAINTAINER@|$(DEB_MAINTAINER)|' \
	  -e "s|@INSTALLED_SIZE@|$$(du -sk --exclude=DEBIAN $(DEB_ROOT) | cut -f1)|" \
	  capi/install/deb-control.in > $(DEB_ROOT)/DEBIAN/control
	cd $(DEB_ROOT) && find usr -type f -exec md5sum {} + | sort -k 2 > DEBIAN/md5sums
	dpkg-deb --root-owner-group --build $(DEB_ROOT) $(DEB_DIR)/libevent-rs_$(deb_version)_$(deb_arch).deb
