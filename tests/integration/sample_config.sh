#!/bin/bash
# The annotated sample configuration stays valid as keys evolve, and every
# probe type documented in the README appears in `annexa --help`.
. "$ANNEXA_SRC/tests/lib/common.sh"
expect_rc 0 "$ANNEXA" -c "$ANNEXA_SRC/examples/annexa.conf.sample" check-config
expect_out "configuration OK (27 probe instances"
"$ANNEXA" --help > "$T/help"
for type in $(sed -n 's/^### `\([a-z-]*\)`.*/\1/p' "$ANNEXA_SRC/README.md"); do
	ok; grep -q "^  $type " "$T/help" || fail "README documents probe type '$type' that the binary does not have"
done
for type in $(sed -n 's/^  \([a-z-]*\)  .*/\1/p' "$T/help" | grep -v '^$'); do
	ok; grep -q "^### \`$type\`" "$ANNEXA_SRC/README.md" || fail "probe type '$type' has no README section"
done
done_tests
