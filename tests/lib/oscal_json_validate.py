#!/usr/bin/env python3
"""Validates JSON documents against a NIST OSCAL JSON schema (draft-07) with
python3-jsonschema: usage oscal_json_validate.py SCHEMA.json DOC.json...

NIST's schemas write token patterns with \\p{L} and \\p{N} (XML Schema and
ECMAScript regular expressions), which Python's re module refuses. They are
translated into the equivalent Unicode classes of re before validating;
every other keyword is jsonschema's own. Prints each error with its path;
exit status 1 when a document is invalid, 2 on a usage error."""
import json
import re
import sys

import jsonschema

# Letters: word characters that are neither digits nor the underscore.
CLASSES = {r"\p{L}": r"[^\W\d_]", r"\p{N}": r"\d"}


def translate(pattern):
    for k, v in CLASSES.items():
        pattern = pattern.replace(k, v)
    return pattern


def pattern(validator, patrn, instance, schema):
    if validator.is_type(instance, "string") and not re.search(translate(patrn), instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {patrn!r}")


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.extend(jsonschema.Draft7Validator, {"pattern": pattern})
    # No check_schema: the metaschema's "regex" format would refuse \p{L}.
    validator = cls(schema)
    bad = 0
    for path in argv[2:]:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        for err in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
            bad += 1
            loc = "/".join(str(p) for p in err.absolute_path)
            print(f"{path}: /{loc}: {err.message}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
