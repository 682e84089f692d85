#!/bin/sh
# meson install puts the library, its header and virt-firewall-engine.pc
# where a program built with nothing but
#   pkg-config --cflags --libs virt-firewall-engine
# compiles, links and runs against them (here under a --destdir, found
# through PKG_CONFIG_SYSROOT_DIR, run with LD_LIBRARY_PATH).
#   test-lib-install.sh BUILDDIR CC SANITIZE
set -eu
build=$1 cc=$2 sanitize=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

meson install -C "$build" --destdir "$tmp/root" --no-rebuild --quiet \
    >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "meson install"; }

# the tool's man page and bash completion (named after the command, as
# bash-completion loads it on first use)
find "$tmp/root" -path '*/man1/virt-firewall.1*' | grep -q . || fail "no man page installed"
find "$tmp/root" -path '*/bash-completion/completions/virt-firewall' | grep -q . ||
    fail "no bash completion installed"

pc=$(find "$tmp/root" -name virt-firewall-engine.pc)
[ -n "$pc" ] || fail "no virt-firewall-engine.pc installed"
export PKG_CONFIG_PATH="$(dirname "$pc")" PKG_CONFIG_SYSROOT_DIR="$tmp/root"
pkg-config --exists virt-firewall-engine || fail "pkg-config does not find it"
cflags=$(pkg-config --cflags virt-firewall-engine)
libs=$(pkg-config --libs virt-firewall-engine)
libdir=$(dirname "$(dirname "$pc")")   # LIBDIR/pkgconfig/virt-firewall-engine.pc
echo "# cflags: $cflags"
echo "# libs:   $libs"
echo "# installed:"
(cd "$tmp/root" && find . -path '*virt-firewall-engine*' | sort | sed 's/^\./#   /')

# the .so, its soname link and the development link
so=$libdir/libvirt-firewall-engine.so
[ -f "$so.0.1.0" ] && [ -L "$so.0" ] && [ -L "$so" ] || fail "library files in $libdir"
readelf -d "$so.0.1.0" | grep -q 'SONAME.*libvirt-firewall-engine\.so\.0\]' || fail "soname"
if readelf -d "$so.0.1.0" | grep -Eq 'RPATH|RUNPATH'; then fail "build rpath installed"; fi
grep -Eq '^Requires.private:.*glib-2\.0.*gio-unix-2\.0.*libmnl' "$pc" || fail "Requires.private"

cat > "$tmp/prog.c" <<'C'
#include <virt-firewall-engine.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *written;

/* a dry run: *-save empty, the restore's input kept */
static int
run(const char *const *argv, const char *input, int *status, char **out,
    char **err, void *opaque)
{
    if (input)
        written = strdup(input);
    *status = 0;
    *out = *err = NULL;
    return 0;
}

int
main(void)
{
    const char *args[] = { "-t", "filter", "-N", "installed", NULL };
    vflEngine *engine = vflEngineNew(VFL_BACKEND_RESTORE, 0, run, NULL, NULL);
    vflProgram *prog = vflProgramNew("vnet0");
    char *errors[1] = { NULL }, *batchError = NULL;

    vflProgramStartTransaction(prog, 0);
    vflProgramAddRule(prog, VFL_LAYER_IPV4, 0, NULL, NULL, args);
    if (vflEngineApply(engine, &prog, 1, errors, &batchError, NULL) != 0 ||
        !written || !strstr(written, "-N installed\n"))
        return 1;
    printf("%s\n", vflVersion());
    free(written);
    vflProgramFree(prog);
    vflEngineFree(engine);
    return 0;
}
C
san=
[ "$sanitize" = none ] || san="-fsanitize=$sanitize"
# shellcheck disable=SC2086 # word splitting of the flags is wanted
$cc $san -o "$tmp/prog" "$tmp/prog.c" $cflags $libs || fail "compile and link"
# the installed copy, not the build tree's
LD_LIBRARY_PATH="$libdir" ldd "$tmp/prog" | grep -q "$libdir/libvirt-firewall-engine.so.0" ||
    fail "the program does not load the installed library"
version=$(LD_LIBRARY_PATH="$libdir" "$tmp/prog") || fail "the program failed"
echo "ok: built with pkg-config, ran against the installed library $version"
