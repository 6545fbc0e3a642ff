#!/usr/bin/env python3
"""Checks the export test_fixtures.c wrote: each fixture's session holds one event whose call
equals the fixture's expected.json. Prints 'N passed, N failed' and exits non-zero on failure."""
import json
import pathlib
import sys

fixtures, export_path = pathlib.Path(sys.argv[1]), sys.argv[2]
export = json.loads(pathlib.Path(export_path).read_text())
sessions = {s["id"]: s["name"] for s in export["sessions"]}
events_by_fixture = {}
for event in export["events"]:
    events_by_fixture.setdefault(sessions[event["session_id"]], []).append(event)

passed = failed = 0
for folder in sorted(p for p in fixtures.iterdir() if p.is_dir()):
    expected = json.loads((folder / "expected.json").read_text())
    expected.pop("operation", None)
    events = events_by_fixture.get(folder.name, [])
    actual = [{k: e[k] for k in ("provider", "api", "request", "response", "error")} for e in events]
    if actual == [expected]:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {folder.name}: expected one event {expected}, got {actual}", file=sys.stderr)
if "not-recorded" not in sessions.values() or events_by_fixture.get("not-recorded"):
    failed += 1
    print("FAIL not-recorded: the unknown URL must leave its session empty", file=sys.stderr)
else:
    passed += 1
print(f"compare_fixture_events: {passed} passed, {failed} failed")
sys.exit(1 if failed or passed < 40 else 0)
