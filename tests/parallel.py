"""Which tests must share a pytest-xdist worker, so that work done once per session or module is
still done once when `make test` runs the suite on several workers (`-n 2 --dist loadgroup`).

A fixture of a wider scope than `function` (a session's OCR reads of generated scans, a module's
corpus checked by the CLI) is made once per worker process. `shared_fixture_groups(items)` puts
every test that uses the same such fixture, and so transitively every test linked to those, in
one `xdist_group`: the fixture is made once, on one worker, and the other worker is free for the
rest. Tests that use none stay ungrouped and are spread test by test.

Session-wide fixtures that are cheap and used by many tests (the throw-away CA that every server
fixture needs) would pull those tests onto one worker for nothing: they are listed in
`CHEAP_SHARED_FIXTURES`. Fixtures of pytest and its plugins (`tmp_path_factory`, ...) never
group. A test that carries its own `xdist_group` mark keeps it and is left alone.
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest

#: Wide-scope fixtures that cost (next to) nothing per worker and that many tests use.
CHEAP_SHARED_FIXTURES = frozenset({"test_ca", "la_versions", "versions", "current"})


def _ours(fixturedef: pytest.FixtureDef[object], rootpath: Path) -> bool:
    """Defined in the suite, not by pytest or a plugin (theirs have an empty `baseid`, and so
    does a conftest.py in the rootdir itself)."""
    if fixturedef.baseid:
        return True
    source = inspect.getsourcefile(fixturedef.func)
    return source is not None and Path(source).resolve().parent == rootpath.resolve()


def _shared_keys(item: pytest.Item) -> list[str]:
    """One key per wide-scope fixture instance `item` uses: the fixture's name and where it is
    made once (the module for module scope; the defining directory or module otherwise)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return []
    module = item.nodeid.split("::", 1)[0]
    keys = []
    for name in info.names_closure:
        defs = info.name2fixturedefs.get(name)
        if not defs or name in CHEAP_SHARED_FIXTURES:
            continue
        fixturedef = defs[-1]
        if fixturedef.scope == "function" or not _ours(fixturedef, item.config.rootpath):
            continue
        where = module if fixturedef.scope in ("module", "class") else fixturedef.baseid
        keys.append(f"{name}@{where}")
    return keys


def shared_fixture_groups(items: Sequence[pytest.Item]) -> dict[str, list[pytest.Item]]:
    """Group name -> the tests that must run on one worker (only groups of tests that share a
    wide-scope fixture; the name is the smallest key of the group, the same on every worker)."""
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def union(keys: Iterable[str]) -> None:
        roots = sorted({find(k) for k in keys})
        for root in roots[1:]:
            parent[root] = roots[0]

    keyed: list[tuple[pytest.Item, list[str]]] = []
    for item in items:
        if item.get_closest_marker("xdist_group") is not None:
            continue
        keys = _shared_keys(item)
        if keys:
            union(keys)
            keyed.append((item, keys))
    groups: dict[str, list[pytest.Item]] = {}
    for item, keys in keyed:
        groups.setdefault(find(keys[0]), []).append(item)
    return groups


def mark_shared_fixture_groups(items: Sequence[pytest.Item]) -> None:
    for name, members in shared_fixture_groups(items).items():
        for item in members:
            item.add_marker(pytest.mark.xdist_group(f"shares:{name}"))


# --- pytest-xdist 3.8 with pytest 9 ------------------------------------------------------------
# xdist's own `loadgroup` tells the controller a test's group by appending `@group` to the test's
# id in the worker (`item._nodeid`), which pytest 9 no longer reads: every group falls apart into
# single tests. Instead each worker writes {test id: group} to a file named by the controller,
# and the controller's scheduler (xdist's scope scheduler) reads its groups from there.
#
# The same file names the tests that mostly wait (`e2e`: the bot's own processes, servers, leases
# running out): two workers both on such tests leave the cores half idle, while one of them
# beside a worker that OCRs fills them. The scheduler hands them out spread among the heavy
# scopes (`plan`), not all in a row as collected.

GROUPS_FILE_INPUT = "licensebot_groups_file"
_GROUPS_KEY = pytest.StashKey[str]()


def groups_file_for_node(config: pytest.Config) -> str:
    """The controller's file for the workers' groups (one per run)."""
    path = config.stash.get(_GROUPS_KEY, None)
    if path is None:
        directory = tempfile.mkdtemp(prefix="licensebot-xdist-")
        config.add_cleanup(lambda: shutil.rmtree(directory, ignore_errors=True))
        path = str(Path(directory) / "groups.json")
        config.stash[_GROUPS_KEY] = path
    return path


def write_groups(config: pytest.Config, items: Sequence[pytest.Item]) -> None:
    """In a worker: test id -> group, for every test with an `xdist_group` mark."""
    workerinput = getattr(config, "workerinput", None)
    if not workerinput or GROUPS_FILE_INPUT not in workerinput:
        return
    groups = {}
    kinds = {}
    for item in items:
        names = sorted({str(m.args[0]) for m in item.iter_markers("xdist_group") if m.args})
        if names:
            groups[item.nodeid] = "group:" + "_".join(names)
        for kind in (WAITING, SLOW):
            if item.get_closest_marker(kind) is not None:
                kinds[item.nodeid] = kind
                break
    path = Path(workerinput[GROUPS_FILE_INPUT])
    part = path.with_name(f".{os.getpid()}.part")
    part.write_text(json.dumps({"groups": groups, "kinds": kinds}), encoding="utf-8")
    part.replace(path)


#: Marks that say what a test spends its time on: waiting for processes and servers (`e2e`), or
#: the CPU (`slow`: OCR, LibreOffice, a corpus checked).
WAITING, SLOW = "e2e", "slow"


def plan(
    scopes: Sequence[str], tests: dict[str, Sequence[str]], kinds: dict[str, str]
) -> list[str]:
    """The order in which workers take `scopes` (in xdist's order: groups, largest first, then
    single tests as collected); `tests[scope]` are its test ids, `kinds` a test's kind.

    Heavy scopes (a group, or a slow test) first, as they were; the scopes whose every test
    waits spread evenly among them (by their number of tests, a rough measure of their time),
    so that a worker on one has the other busy beside it; the quick rest last, small pieces
    that even out the two workers' ends."""

    def kind(scope: str) -> str:
        found = {kinds.get(t, "") for t in tests[scope]}
        if found == {WAITING}:
            return WAITING
        return SLOW if scope.startswith("group:") or SLOW in found else ""

    heavy = [s for s in scopes if kind(s) == SLOW]
    waiting = [s for s in scopes if kind(s) == WAITING]
    quick = [s for s in scopes if kind(s) == ""]
    # all placed once 85 % of the heavy tests are: left over, they would wait side by side
    spread = max(1, sum(len(tests[s]) for s in heavy) * 85 // 100)
    out: list[str] = []
    placed = done = 0
    for scope in heavy:
        out.append(scope)
        done += len(tests[scope])
        due = min(len(waiting), len(waiting) * done // spread)  # due by now
        out.extend(waiting[placed:due])
        placed = max(placed, due)
    return out + waiting[placed:] + quick


def make_scheduler(config: pytest.Config, log: Any) -> Any:
    from xdist.scheduler import LoadScopeScheduling

    path = Path(groups_file_for_node(config))

    class GroupScheduling(LoadScopeScheduling):  # type: ignore[misc]
        """xdist's scope scheduler, a scope being a test's group, or the test alone; the scopes
        handed out in `plan`'s order."""

        _written: dict[str, dict[str, str]] | None = None
        _planned = False

        def _read(self) -> dict[str, dict[str, str]]:
            if self._written is None:
                self._written = json.loads(path.read_text(encoding="utf-8"))
            return self._written

        def _split_scope(self, nodeid: str) -> str:
            return self._read()["groups"].get(nodeid, nodeid)

        def _assign_work_unit(self, node: Any) -> None:
            if not self._planned:  # the first assignment: the queue is complete
                self._planned = True
                queue: Any = self.workqueue  # type: ignore[has-type]
                order = plan(
                    list(queue), {s: list(u) for s, u in queue.items()}, self._read()["kinds"]
                )
                self.workqueue = type(queue)((s, queue[s]) for s in order)
            super()._assign_work_unit(node)

    return GroupScheduling(config, log)
