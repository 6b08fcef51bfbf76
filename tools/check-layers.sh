#!/bin/sh
# check-layers.sh [SRCDIR] - fails when the non-test sources break the
# layering: the folders, bottom up, are common probes collector controls
# exports cli, and a file may include only headers of its own folder or of
# a lower one. It also fails on any include cycle between files (tsort).
# A quoted include is resolved like the compiler does: next to the file
# first, then in the folders in the order above (meson's include path).
cd "${1:-.}" || exit 2
LAYERS="common probes collector controls exports cli"
rank() {
	i=0
	for l in $LAYERS; do
		[ "$l" = "$1" ] && { echo $i; return; }
		i=$((i + 1))
	done
	echo -1
}
edges=$(mktemp) || exit 2
trap 'rm -f "$edges"' EXIT
bad=0
for dir in $LAYERS; do
	r=$(rank "$dir")
	for f in "$dir"/*.c "$dir"/*.h; do
		[ -f "$f" ] || continue
		for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
			target=
			if [ -f "$dir/$inc" ]; then
				target=$dir/$inc
			else
				for l in $LAYERS; do
					[ -f "$l/$inc" ] && { target=$l/$inc; break; }
				done
			fi
			[ -n "$target" ] || continue # generated (annexa-build.h) or a system header
			target=$(realpath --relative-to=. "$target")
			tr=$(rank "${target%%/*}")
			if [ "$tr" -gt "$r" ]; then
				echo "check-layers: $f includes $target (${target%%/*}/ is above $dir/)" >&2
				bad=1
			fi
			echo "$f $target" >> "$edges"
		done
	done
done
if ! tsort "$edges" > /dev/null 2> "$edges.err"; then
	sed 's/^/check-layers: /' "$edges.err" >&2
	bad=1
fi
rm -f "$edges.err"
[ $bad = 0 ] && echo "check-layers: ok ($(wc -l < "$edges") includes)"
exit $bad
