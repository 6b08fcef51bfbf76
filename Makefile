# annexa - the two commands of the README, and their building blocks.
#   make demo   install what is missing, build, collect from examples/demo,
#               print the control status, write a signed bundle and report
#   make check  install what is missing, build twice (normal and
#               ASan+UBSan), run every test suite in both
# Everything else is meson (see meson.build).

BUILD_PKGS = meson ninja-build pkg-config gcc libc6-dev git openssl \
	libgit2-dev libxml2-dev libxml2-utils libssl-dev libsqlite3-dev sqlite3 \
	libjansson-dev libarchive-dev libpq-dev libmariadb-dev libgmime-3.0-dev zlib1g-dev \
	libunbound-dev libcurl4-openssl-dev dns-root-data libseccomp-dev libxlsxwriter-dev \
	libpsl-dev publicsuffix scdoc
TEST_PKGS = postfix dovecot-imapd restic sslscan stunnel4 postgresql \
	postgresql-client unzip zip chromium poppler-utils openssh-client openssh-server python3 procps psmisc \
	time util-linux xz-utils gpg git sqlite3 curl python3-jsonschema python3-cryptography \
	nsd ldnsutils mariadb-server mariadb-client chrony nftables clamav clamav-daemon clamav-milter \
	build-essential dpkg-dev debhelper lintian man-db systemd bash-completion
BENCH_PKGS = ripgrep testssl.sh bc time sslscan zip hyperfine

MESON_FLAGS ?=
DEMO = examples/demo

.PHONY: all build demo check deps deps-test deps-bench test clean fuzz

all: build

deps:
	@tools/install-deps.sh $(BUILD_PKGS)

deps-test: deps
	@tools/install-deps.sh $(TEST_PKGS)

deps-bench: deps-test
	@tools/install-deps.sh $(BENCH_PKGS)

# The source lists are written in the meson.build files, so ninja
# reconfigures by itself when one changes. build/ and build-asan/ are test
# builds (-Dtest_clock: the tests fake the clock with ANNEXA_NOW); `make
# demo` shares build/. Release builds: plain
# `meson setup`, where ANNEXA_NOW is ignored.
build/build.ninja:
	meson setup build -Dwerror=true -Dtest_clock=true $(MESON_FLAGS)

build: deps build/build.ninja
	ninja -C build

build-asan/build.ninja:
	# no -Dwerror here: GCC 12 reports false -Wnonnull/-Wformat-truncation
	# positives under the sanitizers; the normal build enforces warnings.
	meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dtest_clock=true $(MESON_FLAGS)

build-asan: deps build-asan/build.ninja
	ninja -C build-asan

demo: build
	@sh $(DEMO)/run.sh build/annexa

# The ASan+UBSan tree compiles (niced, its output kept for after) while the
# normal tree's tests run: those mostly wait on servers and daemons. The
# two test runs stay one after the other (shared loopback ports).
check: deps-test
	@rc=0; \
	$(MAKE) --no-print-directory build || rc=1; \
	rm -f build/meson-logs/testlog.json build-asan/meson-logs/testlog.json; \
	mkdir -p build; \
	( nice -n 10 $(MAKE) --no-print-directory build-asan >build/build-asan.log 2>&1; \
	  echo $$? >build/build-asan.rc ) & asan=$$!; \
	[ -f build/build.ninja ] && { meson test -C build --print-errorlogs --no-rebuild || rc=1; }; \
	wait $$asan; cat build/build-asan.log; [ "$$(cat build/build-asan.rc)" = 0 ] || rc=1; \
	[ -f build-asan/build.ninja ] && { ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C build-asan --print-errorlogs --no-rebuild || rc=1; }; \
	python3 tools/summary.py build build-asan | tee build/summary.txt; \
	exit $$rc

# libFuzzer binaries (clang); their corpora also run in `make check`.
fuzz: deps
	CC=clang meson setup build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false 2>/dev/null || \
		meson setup --reconfigure build-fuzz
	ninja -C build-fuzz
	@echo "fuzz targets: build-fuzz/tests/fuzz_*; run one on a scratch copy of its corpus:"
	@echo "  cp -r tests/fuzz/corpus/msg /tmp/msg && build-fuzz/tests/fuzz_msg -max_total_time=60 /tmp/msg"

clean:
	rm -rf build build-asan build-fuzz
