#!/bin/sh
# gen-man.sh ANNEXA TEMPLATE KIND OUT [CONTROLS-DIR] - one man page: the
# template's @GENERATED@ line replaced by `ANNEXA _doc KIND` (the program's
# own tables), the result through scdoc. Run by man/meson.build.
set -eu
annexa=$1 template=$2 kind=$3 out=$4
shift 4
part=$(mktemp)
trap 'rm -f "$part" "$out.tmp"' EXIT
"$annexa" _doc "$kind" "$@" >"$part"
awk -v part="$part" '$0 == "@GENERATED@" { while ((getline l < part) > 0) print l; next } { print }' \
	"$template" | scdoc >"$out.tmp"
mv "$out.tmp" "$out"
