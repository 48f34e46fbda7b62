# SPDX-License-Identifier: GPL-2.0-or-later
# One Makefile for both programs, the shared library and the tests.

# The one place the version is set: both programs' --version print it.
VERSION := 0.1.0

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
SCDOC ?= scdoc
# Where each shell looks for completions under the prefix.
BASHCOMPDIR ?= $(or $(shell $(PKG_CONFIG) --define-variable=datadir=$(DATADIR) \
	--variable=completionsdir bash-completion 2>/dev/null),$(DATADIR)/bash-completion/completions)
ZSHCOMPDIR ?= $(DATADIR)/zsh/site-functions
FISHCOMPDIR ?= $(DATADIR)/fish/vendor_completions.d
PKG_CONFIG ?= pkg-config
B ?= build

PKGS := inih libudev libcap json-c libsystemd libmd
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
# libudev, libsystemd and libmd are opened when first needed (lib/udev-dl.c, launcher/bus-dl.c,
# launcher/firmware-vars.c), not linked: most commands never call them, a launch without a D-Bus
# call does not either, and only a new UEFI vars copy hashes its template.
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(filter-out libudev libsystemd libmd,$(PKGS)) 2>/dev/null)
# vfio-setup hashes every file it writes: it links libmd.
MD_LIBS := $(shell $(PKG_CONFIG) --libs libmd 2>/dev/null)
# libseccomp only at build time: tools/seccomp-gen compiles the launcher's deny list to BPF.
SECCOMP_CFLAGS := $(shell $(PKG_CONFIG) --cflags libseccomp 2>/dev/null)
SECCOMP_LIBS := $(shell $(PKG_CONFIG) --libs libseccomp 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
	-Wswitch-enum -Wundef -Wpointer-arith -Wcast-align -Wwrite-strings -Wno-unused-parameter \
	-Wvla -Wimplicit-fallthrough
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -Ilib $(PKG_CFLAGS) -MMD -MP $(CFLAGS)
ALL_LDFLAGS := $(LDFLAGS)

# make check builds everything again under ASan+UBSan, in its own directory.
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

LIB_SRC := $(sort $(wildcard lib/*.c))
LAUNCHER_SRC := $(sort $(wildcard launcher/*.c))
HELPER_SRC := $(sort $(wildcard setup-helper/*.c))
TEST_SRC := $(sort $(wildcard tests/test-*.c))

LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
LAUNCHER_OBJ := $(LAUNCHER_SRC:%.c=$(B)/%.o)
HELPER_OBJ := $(HELPER_SRC:%.c=$(B)/%.o)
# Objects of each program without its main, so tests can link them.
LAUNCHER_CORE := $(filter-out $(B)/launcher/main.o,$(LAUNCHER_OBJ))
HELPER_CORE := $(filter-out $(B)/setup-helper/main.o,$(HELPER_OBJ))
TESTS := $(TEST_SRC:tests/%.c=$(B)/tests/%)
# Code the tests share (hand-made host facts), linked into every test program.
TEST_HELPER_OBJ := $(B)/tests/plan-facts.o

PROGRAMS := $(B)/qemu-vm $(if $(wildcard setup-helper/main.c),$(B)/vfio-setup)
MANPAGES := $(B)/man/qemu-vm.1 $(B)/man/qemu-vm.ini.5 $(B)/man/vfio-setup.8

.PHONY: all check check-build fuzz fuzz-build install uninstall clean deps demo bench lab newcomer analyze format format-check pkgcheck keyref
all: $(PROGRAMS) $(MANPAGES)

# Stop before the compiler does, naming what pkg-config cannot find.
pkgcheck:
	@missing=$$(for p in $(PKGS) libseccomp; do $(PKG_CONFIG) --exists $$p 2>/dev/null || printf ' %s' $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "make: pkg-config cannot find:$$missing (hint: make deps installs the packages)" >&2; \
		exit 1; \
	fi

$(B)/%.o: %.c | pkgcheck
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The seccomp filter, compiled once here rather than on every launch; sandbox.c includes it.
$(B)/tools/seccomp-gen: tools/seccomp-gen.c launcher/sandbox-rules.h
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	@$(CC) $(ALL_CFLAGS) $(SECCOMP_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(SECCOMP_LIBS)

$(B)/gen/sandbox-bpf.h: $(B)/tools/seccomp-gen
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	@$< > $@.tmp && mv $@.tmp $@

$(B)/launcher/sandbox.o: $(B)/gen/sandbox-bpf.h
$(B)/launcher/sandbox.o: ALL_CFLAGS += -I$(B)/gen

# Each define once; the objects below get theirs, make analyze all of them.
VERSION_DEF := -DVERSION='"$(VERSION)"'
# Where make install puts vfio-setup's templates, for a binary that is not next to them.
TEMPLATES_DEF := -DTEMPLATES_DATADIR='"$(DATADIR)/qemu-vm"'
# Where make install puts vfio-setup, for the units it writes.
BINDIR_DEF := -DSETUP_BINDIR='"$(BINDIR)"'
# Where make install puts the example profiles, for list to point at.
EXAMPLES_DEF := -DEXAMPLES_DIR='"$(DATADIR)/qemu-vm/profiles"'
$(B)/launcher/main.o $(B)/setup-helper/main.o: ALL_CFLAGS += $(VERSION_DEF)
$(B)/setup-helper/install-facts.o $(B)/setup-helper/install-plan.o: ALL_CFLAGS += $(TEMPLATES_DEF)
$(B)/setup-helper/hostmem.o $(B)/setup-helper/install-plan.o: ALL_CFLAGS += $(BINDIR_DEF)
$(B)/launcher/commands.o: ALL_CFLAGS += $(EXAMPLES_DEF)

# Made anew each time: ar r keeps the members of files that moved out of lib/.
$(B)/libqvm.a: $(LIB_OBJ)
	@rm -f $@
	@$(AR) rcs $@ $^

$(B)/qemu-vm: $(LAUNCHER_OBJ) $(B)/libqvm.a
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/vfio-setup: $(HELPER_OBJ) $(B)/libqvm.a
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(MD_LIBS)

$(TEST_HELPER_OBJ): ALL_CFLAGS += -Ilauncher -Isetup-helper

$(B)/tests/%: tests/%.c $(TEST_HELPER_OBJ) $(LAUNCHER_CORE) $(HELPER_CORE) $(B)/libqvm.a
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(ALL_CFLAGS) -Ilauncher -Isetup-helper $(ALL_LDFLAGS) -o $@ $< $(TEST_HELPER_OBJ) \
		$(LAUNCHER_CORE) $(HELPER_CORE) $(B)/libqvm.a $(PKG_LIBS) $(MD_LIBS) $(shell $(PKG_CONFIG) --libs check)

# The profile key reference, generated from the schema table (lib/profile-schema.c).
$(B)/schema-doc: tools/schema-doc.c $(B)/libqvm.a
	@echo "  LINK    $@"
	@$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(B)/libqvm.a $(PKG_LIBS)

# Rewrites README.md's key reference between its marker comments; test-schema fails until
# README.md and the table agree.
keyref: $(B)/schema-doc
	$(B)/schema-doc markdown > $(B)/keyref.md
	awk -v ref=$(B)/keyref.md '/^<!-- keyref start/ { print; while ((getline l < ref) > 0) print l; skip = 1; next } \
		/^<!-- keyref end/ { skip = 0 } !skip' README.md > $(B)/README.md.new
	grep -q '^<!-- keyref end' $(B)/README.md.new
	mv $(B)/README.md.new README.md

# Man pages, from scdoc. qemu-vm.ini(5)'s key reference is printed by schema-doc from the schema
# table and put where the page says %%KEY-REFERENCE%%.
$(B)/man/qemu-vm.ini.5.scd: man/qemu-vm.ini.5.scd $(B)/schema-doc
	@mkdir -p $(dir $@)
	@$(B)/schema-doc scdoc > $@.keys
	@awk -v keys=$@.keys '/^%%KEY-REFERENCE%%$$/ { while ((getline l < keys) > 0) print l; next } { print }' \
		$< > $@.tmp && rm -f $@.keys && mv $@.tmp $@

$(B)/man/qemu-vm.1: man/qemu-vm.1.scd
$(B)/man/vfio-setup.8: man/vfio-setup.8.scd
$(B)/man/qemu-vm.ini.5: $(B)/man/qemu-vm.ini.5.scd
$(MANPAGES):
	@mkdir -p $(dir $@)
	@command -v $(SCDOC) >/dev/null || { echo "make: $(SCDOC) is not installed: it builds the man pages (hint: make deps)" >&2; exit 1; }
	@echo "  SCDOC   $@"
	@$(SCDOC) < $< > $@.tmp && mv $@.tmp $@

# Test programs that are not Check suites: the syscall prober run as QEMU, and a wrapper that
# starts a program under the launcher's own filter.
# The prober stands in for QEMU and is built without sanitizers: LeakSanitizer's exit-time scan
# uses ptrace, which the filter denies.
$(B)/tests/try-syscalls: tests/launcher/try-syscalls.c
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) -std=gnu11 $(WARN) -D_GNU_SOURCE -O2 -o $@ $< -lpthread

$(B)/tests/sandbox-exec: tests/launcher/sandbox-exec.c $(B)/launcher/sandbox.o $(B)/libqvm.a
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(ALL_CFLAGS) -Ilauncher $(ALL_LDFLAGS) -o $@ $< $(B)/launcher/sandbox.o $(B)/libqvm.a $(PKG_LIBS)

$(B)/tests/fake-systemd1: tests/handover/fake-systemd1.c
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(PKG_LIBS) $(shell $(PKG_CONFIG) --libs libsystemd)

$(B)/tests/fake-logind: tests/supervise/fake-logind.c
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(PKG_LIBS) $(shell $(PKG_CONFIG) --libs libsystemd)

TEST_PROGRAMS := $(B)/tests/try-syscalls $(B)/tests/sandbox-exec $(B)/tests/fake-systemd1 $(B)/tests/fake-logind

check-build: all $(TESTS) $(TEST_PROGRAMS)

# The README's test command. Unit tests (Check), then the shell suites in tests/run-*.sh,
# all against binaries built with ASan+UBSan.
check: deps
	$(MAKE) B=build/san CFLAGS="-O1 -g $(SAN)" LDFLAGS="$(SAN)" check-build
	B=build/san tests/run-all.sh

# libFuzzer targets (tests/fuzz/fuzz-*.c), built with clang against the same objects under ASan
# and UBSan in their own directory. Each runs FUZZ_SECONDS from its seed corpus in the tree
# (tests/fuzz/corpus/NAME); any finding fails and leaves its input in build/fuzz/.
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
# clang warns of "string" + n (the code means the rest of a prefix) and, unlike gcc on x86, of
# casts to a more aligned type (the schema table writes fields at offsetof() positions).
FUZZ_WARN := -Wno-string-plus-int -Wno-cast-align
FUZZ_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz-*.c))
FUZZ_TARGETS := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/tests/fuzz/%)

$(B)/tests/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(TEST_HELPER_OBJ) $(LAUNCHER_CORE) $(HELPER_CORE) $(B)/libqvm.a
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	@$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -Ilauncher -Isetup-helper -Itests $(ALL_LDFLAGS) -o $@ $< \
		$(TEST_HELPER_OBJ) $(LAUNCHER_CORE) $(HELPER_CORE) $(B)/libqvm.a $(PKG_LIBS) $(MD_LIBS)

fuzz-build: $(FUZZ_TARGETS)

fuzz: deps
	$(MAKE) B=build/fuzz CC=$(FUZZ_CC) CFLAGS="-O1 -g $(FUZZ_WARN) -fsanitize=fuzzer-no-link $(FUZZ_SAN)" \
		LDFLAGS="$(FUZZ_SAN)" fuzz-build
	@for t in $(FUZZ_SRC:tests/fuzz/fuzz-%.c=%); do \
		echo "  FUZZ    $$t for $(FUZZ_SECONDS) s"; \
		mkdir -p build/fuzz/corpus/$$t build/fuzz/findings; \
		build/fuzz/tests/fuzz/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=1024 \
			-print_final_stats=1 -artifact_prefix=build/fuzz/findings/$$t- \
			build/fuzz/corpus/$$t tests/fuzz/corpus/$$t 2>build/fuzz/$$t.log \
			|| { tail -n 40 build/fuzz/$$t.log; echo "fuzz: $$t found a problem; see build/fuzz/$$t.log, reproduce with build/fuzz/tests/fuzz/fuzz-$$t FILE" >&2; exit 1; }; \
		grep -E '^(stat::number_of_executed_units|Done)' build/fuzz/$$t.log; \
	done

bench: deps all
	B=$(B) tests/bench.sh

# The VFIO lab: a Debian guest with a virtual IOMMU runs vfio-setup and qemu-vm (lab/run.sh).
lab: all
	B=$(B) lab/run.sh

# The README's first steps (make deps, demo, check) as an ordinary user of a fresh Debian, in a
# chroot; needs root (tests/newcomer.sh).
newcomer:
	B=$(B) tests/newcomer.sh

deps:
	@tools/deps.sh

# gcc's static analyzer over every source; its findings are printed, not fatal (it has false
# positives), but code that does not compile fails.
ANALYZE_SRC := $(LIB_SRC) $(LAUNCHER_SRC) $(HELPER_SRC)
# The defines and the generated filter some objects get (above) are given to every file here.
ANALYZE_FLAGS := -Ilauncher -Isetup-helper -I$(B)/gen $(VERSION_DEF) $(TEMPLATES_DEF) $(BINDIR_DEF) \
	$(EXAMPLES_DEF)
analyze: pkgcheck $(B)/gen/sandbox-bpf.h
	@for f in $(ANALYZE_SRC); do \
		echo "  ANALYZE $$f"; \
		$(CC) $(ALL_CFLAGS) $(ANALYZE_FLAGS) -fanalyzer -Wno-error -MF /dev/null -c -o /dev/null $$f || exit 1; \
	done

# The layout .clang-format describes; format-check fails and lists the files that differ.
FORMAT_SRC = $(sort $(wildcard lib/*.[ch] launcher/*.[ch] setup-helper/*.[ch] tests/*.[ch] tests/*/*.[ch]))
format:
	@clang-format -i --style=file $(FORMAT_SRC)
format-check:
	@bad=""; for f in $(FORMAT_SRC); do \
		clang-format --style=file --dry-run -Werror "$$f" >/dev/null 2>&1 || bad="$$bad $$f"; \
	done; \
	if [ -n "$$bad" ]; then echo "format-check: not as .clang-format lays it out:$$bad (hint: make format)" >&2; exit 1; fi

# As the calling user; root gets --allow-root and is told so.
demo: deps all
	@if [ "$$(id -u)" -eq 0 ]; then \
		echo "demo: running as root with --allow-root; as an ordinary user it needs nothing more"; \
		exec $(B)/qemu-vm --allow-root run profiles/demo.ini; \
	fi; exec $(B)/qemu-vm run profiles/demo.ini

install: all
	install -D -m 0755 $(B)/qemu-vm $(DESTDIR)$(BINDIR)/qemu-vm
	install -D -m 0755 $(B)/vfio-setup $(DESTDIR)$(BINDIR)/vfio-setup
	install -d $(DESTDIR)$(DATADIR)/qemu-vm
	cp -r profiles udev limits modprobe systemd polkit $(DESTDIR)$(DATADIR)/qemu-vm/
	install -D -m 0644 $(B)/man/qemu-vm.1 $(DESTDIR)$(MANDIR)/man1/qemu-vm.1
	install -D -m 0644 $(B)/man/qemu-vm.ini.5 $(DESTDIR)$(MANDIR)/man5/qemu-vm.ini.5
	install -D -m 0644 $(B)/man/vfio-setup.8 $(DESTDIR)$(MANDIR)/man8/vfio-setup.8
	for p in qemu-vm vfio-setup; do \
		install -D -m 0644 completion/qemu-vm-tools.bash $(DESTDIR)$(BASHCOMPDIR)/$$p && \
		install -D -m 0644 completion/_$$p $(DESTDIR)$(ZSHCOMPDIR)/_$$p && \
		install -D -m 0644 completion/$$p.fish $(DESTDIR)$(FISHCOMPDIR)/$$p.fish || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/qemu-vm $(DESTDIR)$(BINDIR)/vfio-setup
	rm -rf $(DESTDIR)$(DATADIR)/qemu-vm
	rm -f $(DESTDIR)$(MANDIR)/man1/qemu-vm.1 $(DESTDIR)$(MANDIR)/man5/qemu-vm.ini.5 \
		$(DESTDIR)$(MANDIR)/man8/vfio-setup.8
	rm -f $(DESTDIR)$(BASHCOMPDIR)/qemu-vm $(DESTDIR)$(BASHCOMPDIR)/vfio-setup \
		$(DESTDIR)$(ZSHCOMPDIR)/_qemu-vm $(DESTDIR)$(ZSHCOMPDIR)/_vfio-setup \
		$(DESTDIR)$(FISHCOMPDIR)/qemu-vm.fish $(DESTDIR)$(FISHCOMPDIR)/vfio-setup.fish

clean:
	rm -rf build

# The compiler's dependency files; not build/lab, whose image tree (while it is built) holds
# Debian's own *.d files, such as usr/sbin/invoke-rc.d.
-include $(shell find $(B) -path $(B)/lab -prune -o -type f -name '*.d' -print 2>/dev/null)
