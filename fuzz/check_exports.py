"""Loads every export the fuzz replay wrote with Python's json, strictly: NaN, Infinity and
-Infinity are refused, as are duplicate keys (a reader keeping the last would lose data).

Usage: python3 fuzz/check_exports.py DIR
"""

import json
import pathlib
import sys


def refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


def refuse_duplicates(pairs):
    keys = [key for key, _ in pairs]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ValueError(f"duplicate keys {duplicates}")
    return dict(pairs)


def main():
    files = sorted(pathlib.Path(sys.argv[1]).glob("*.json"))
    if not files:
        sys.exit(f"no exports in {sys.argv[1]}")
    failed = 0
    for path in files:
        try:
            document = json.loads(
                path.read_bytes().decode("utf-8"),
                parse_constant=refuse_constant,
                object_pairs_hook=refuse_duplicates,
            )
            if not isinstance(document, dict) or document.get("version") != 1:
                raise ValueError("not a version 1 export")
        except (ValueError, RecursionError) as err:
            failed += 1
            print(f"{path}: {err}", file=sys.stderr)
    print(f"python json: {len(files) - failed} of {len(files)} exports load strictly")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
