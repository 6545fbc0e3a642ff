#!/usr/bin/env python3
"""Checks an aiobs export against expectations a C or C++ test wrote while it ran.

usage: expect_export.py EXPORT.json EXPECT.json

EXPECT.json is {"events": [...], "function_events": [...], "sessions": [...]}: each expected
item must match one item of that list in the export, where "match" means every key given has
the value given (objects compared key by key, recursively; other values exactly). An item with
a "span_id" is compared with the export's item of that span id only, so failures say which.
Prints 'N passed, N failed' and exits non-zero on any failure."""
import json
import sys


def matches(expected, actual):
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and matches(value, actual[key]) for key, value in expected.items())
    return expected == actual


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        export = json.load(f)
    with open(sys.argv[2], encoding="utf-8") as f:
        expect = json.load(f)
    passed = failed = 0
    for kind, items in expect.items():
        for item in items:
            candidates = export.get(kind, [])
            if "span_id" in item:
                candidates = [c for c in candidates if c.get("span_id") == item["span_id"]]
            if any(matches(item, c) for c in candidates):
                passed += 1
            else:
                failed += 1
                print(f"{kind}: nothing matches {json.dumps(item)}", file=sys.stderr)
                for c in candidates[:3]:
                    print(f"  candidate: {json.dumps(c)[:600]}", file=sys.stderr)
    print(f"{sys.argv[2]}: {passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)


if __name__ == "__main__":
    main()
