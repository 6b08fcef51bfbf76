#!/bin/sh
# glob.sh DIR PATTERN... - prints the files in DIR matching any PATTERN, one
# per line, sorted, as paths relative to DIR. Used by meson to list sources.
dir=$1; shift
cd "$dir" || exit 1
for pat in "$@"; do
	for f in $pat; do
		[ -e "$f" ] && echo "$f"
	done
done | sort -u
exit 0
