"""Benchmark the LA reader on generated forms: exact fields per category, seconds per page.

    OMP_THREAD_LIMIT=1 .venv/bin/python bench/reading.py --count 200 --jobs 2
    ... bench/reading.py --source both --split both --count 60   # the lead's full comparison

Writes bench/results/reading.md (linked from the README). Each form is drawn with its ground
truth by the test form factory (`--source factory`, the default) and/or the independent source
(`--source independent`: Word documents exported by LibreOffice, pen-signed, scanned or
photographed; tests/forms/independent.py), from the development seeds (`--split dev`, the
default) and/or the held-out seeds (`--split heldout`; tests/forms/split.py: never tune on
them). With more than one source or split, a table puts development and held-out figures side
by side per category, before the detailed tables. A field is `exact` when the read value
equals the truth, `null` when the reader reported it unreadable, `wrong` when it reported a
different value (the one outcome that must not happen for handwriting).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from licensebot.core.form import TEXT_FIELDS  # noqa: E402
from licensebot.core.la import LaVersion  # noqa: E402
from licensebot.reading.la_versions import load_versions  # noqa: E402
from licensebot.reading.pdf import read_pdf  # noqa: E402
from tests.forms.factory import FormSpec, make_spec, older_version, render  # noqa: E402
from tests.forms.independent import IndependentSpec  # noqa: E402
from tests.forms.split import (  # noqa: E402
    DEV,
    HELDOUT,
    HELDOUT_SEEDS,
    fixed_choices,
    split_seeds,
)
from tests.forms.split import add_arguments as split_arguments  # noqa: E402

MEDIA = ("digital", "scan", "scan_ocr", "photo")
KINDS = ("typed", "fillable", "handwritten")


@dataclass
class Outcome:
    category: str
    path: str  # text | ocr
    pages: int
    seconds: float
    exact: int = 0
    null: int = 0
    wrong: int = 0
    wrong_detail: list[str] = field(default_factory=list)
    null_detail: list[str] = field(default_factory=list)
    signed_right: bool = False
    version_right: bool = False
    scanned_right: bool = False
    members_right: bool = False
    source: str = "factory"
    split: str = DEV


def specs(
    count: int, seed: int, current: LaVersion, older: LaVersion, only: str | None = None
) -> Iterator[FormSpec]:
    """A stratified draw: every medium with every way of filling, in turn."""
    combos = [(m, k) for m in MEDIA for k in KINDS if not (k == "fillable" and m == "photo")]
    if only:
        combos = [(m, k) for m, k in combos if f"{m}/{k}" == only]
    for i in range(count):
        medium, kind = combos[i % len(combos)]
        version = older if i % 25 == 24 else current
        yield make_spec(
            seed + i,
            version,
            medium=medium,
            hand="handwritten" if kind == "handwritten" else "typed",
            fillable=kind == "fillable",
        )


#: Where the factory's held-out seeds start (its development draw starts at --seed).
FACTORY_HELDOUT_OFFSET = HELDOUT_SEEDS.start


def run_one(args: tuple[FormSpec | IndependentSpec, list[LaVersion], bytes | None]) -> Outcome:
    spec, versions, exported = args
    if isinstance(spec, IndependentSpec):
        from tests.forms.delivery import deliver

        assert exported is not None
        data = deliver(exported, spec)
    else:
        data = render(spec)
    start = time.perf_counter()
    form = read_pdf(data, versions=versions)
    seconds = time.perf_counter() - start
    if isinstance(spec, IndependentSpec):
        category, source, split = spec.category, "independent", spec.split
    else:
        kind = "fillable" if spec.fillable else spec.hand
        category, source = f"{spec.medium}/{kind}", "factory"
        split = HELDOUT if spec.seed >= FACTORY_HELDOUT_OFFSET else DEV
    out = Outcome(
        category=category,
        path="ocr" if spec.scanned or spec.hand == "handwritten" else "text",
        pages=max(form.pages, 1),
        seconds=seconds,
        source=source,
        split=split,
    )
    for key in TEXT_FIELDS:
        got, want = form.value(key), spec.truth.get(key)
        if got == want:
            out.exact += 1
        elif got is None:
            out.null += 1
            fv = form.fields.get(key)
            raw = fv.raw if fv else None
            conf = fv.confidence if fv else 0.0
            out.null_detail.append(
                f"{out.category} seed {spec.seed} {_layout(spec)} {key}: read {raw!r} "
                f"({conf:.2f}), truth {want!r}"
            )
        else:
            out.wrong += 1
            out.wrong_detail.append(
                f"{source} {out.category} seed {spec.seed} {_layout(spec)} {key}: "
                f"{got!r} != {want!r}"
            )
    out.signed_right = form.signed is spec.signed
    assert spec.version is not None
    out.version_right = form.form_version == spec.version.id
    out.scanned_right = form.scanned is spec.scanned
    want_members = [m[0] for m in spec.members]
    out.members_right = [m.name for m in form.members] == want_members
    return out


def _layout(spec: FormSpec | IndependentSpec) -> str:
    if isinstance(spec, IndependentSpec):
        return f"{spec.table_style}/{spec.preset}"
    return spec.layout


def _rate(os_: list[Outcome], attr: str) -> str:
    return f"{100 * sum(getattr(o, attr) for o in os_) / len(os_):.0f} %" if os_ else "-"


def _fields(os_: list[Outcome], attr: str) -> str:
    n = sum(o.exact + o.null + o.wrong for o in os_)
    if not n:
        return "-"
    if attr == "wrong":
        return str(sum(o.wrong for o in os_))
    return f"{100 * sum(getattr(o, attr) for o in os_) / n:.1f} %"


def side_by_side(outcomes: list[Outcome]) -> str:
    """Development and held-out figures next to each other, per source and category."""
    groups: dict[tuple[str, str], dict[str, list[Outcome]]] = defaultdict(
        lambda: {DEV: [], HELDOUT: []}
    )
    for o in outcomes:
        groups[(o.source, o.category)][o.split].append(o)
        groups[(o.source, "all")][o.split].append(o)
    cols = [
        ("forms", lambda os_: str(len(os_))),
        ("exact", lambda os_: _fields(os_, "exact")),
        ("null", lambda os_: _fields(os_, "null")),
        ("wrong", lambda os_: _fields(os_, "wrong")),
        ("signature right", lambda os_: _rate(os_, "signed_right")),
        ("version right", lambda os_: _rate(os_, "version_right")),
        ("scanned right", lambda os_: _rate(os_, "scanned_right")),
    ]
    head = " | ".join(f"{c} dev | {c} held-out" for c, _ in cols)
    lines = [
        "## Development and held-out, side by side",
        "",
        "Fields: share of the six text fields exact / reported unreadable (null), and the count "
        "of wrong values. Held-out seeds are never tuned on (tests/forms/split.py).",
        "",
        f"| source | category | {head} |",
        "| --- | --- |" + " ---: |" * (2 * len(cols)),
    ]
    for (source, cat), by_split in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        cells = " | ".join(f"{f(by_split[DEV])} | {f(by_split[HELDOUT])}" for _, f in cols)
        name = f"**{cat}**" if cat == "all" else cat
        lines.append(f"| {source} | {name} | {cells} |")
    return "\n".join(lines) + "\n"


def report(outcomes: list[Outcome], wall: float, jobs: int) -> str:
    by_cat: dict[str, list[Outcome]] = defaultdict(list)
    mixed = len({(o.source, o.split) for o in outcomes}) > 1 or outcomes[0].source != "factory"
    for o in outcomes:
        by_cat[f"{o.source} {o.split} {o.category}" if mixed else o.category].append(o)
    sources = sorted({o.source for o in outcomes})
    made_by = {
        "factory": "tests/forms/factory.py",
        "independent": "tests/forms/independent.py",
    }
    lines = [
        "# Reading benchmark",
        "",
        f"{len(outcomes)} generated forms ({', '.join(made_by[s] for s in sources)}; "
        f"splits {', '.join(sorted({o.split for o in outcomes}))}), read in-process by "
        f"`read_pdf`, {jobs} at a time on this machine; wall time {wall:.0f} s. "
        "Fields: the six text fields of the contract. `null` = reported unreadable (the "
        "application goes to review); `wrong` = a value that differs from the truth.",
        "",
    ]
    if mixed:
        lines += [side_by_side(outcomes), "## Per category", ""]
    lines += [
        "| category | forms | fields | exact | null | wrong | signature right | "
        "members right | version right | s/page (median) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for cat in sorted(by_cat):
        os_ = by_cat[cat]
        n_fields = sum(o.exact + o.null + o.wrong for o in os_)
        per_page = sorted(o.seconds / o.pages for o in os_)
        lines.append(
            f"| {cat} | {len(os_)} | {n_fields} | "
            f"{100 * sum(o.exact for o in os_) / n_fields:.1f} % | "
            f"{100 * sum(o.null for o in os_) / n_fields:.1f} % | "
            f"{sum(o.wrong for o in os_)} | "
            f"{100 * sum(o.signed_right for o in os_) / len(os_):.0f} % | "
            f"{100 * sum(o.members_right for o in os_) / len(os_):.0f} % | "
            f"{100 * sum(o.version_right for o in os_) / len(os_):.0f} % | "
            f"{per_page[len(per_page) // 2]:.3f} |"
        )
    lines += ["", "## Seconds per page by reading path", ""]
    lines += ["| path | pages | median s/page | 90th pct s/page | median s/document |"]
    lines += ["| --- | ---: | ---: | ---: | ---: |"]
    for path in ("text", "ocr"):
        os_ = [o for o in outcomes if o.path == path]
        if not os_:
            continue
        pp = sorted(o.seconds / o.pages for o in os_)
        doc = sorted(o.seconds for o in os_)
        lines.append(
            f"| {path} | {sum(o.pages for o in os_)} | {pp[len(pp) // 2]:.3f} | "
            f"{pp[int(len(pp) * 0.9)]:.3f} | {doc[len(doc) // 2]:.3f} |"
        )
    # held-out forms' values are counted in the tables above, never listed: nobody looks at
    # a held-out form (tests/forms/split.py), and a list of its misreads is a look
    wrong = [d for o in outcomes if o.split != HELDOUT for d in o.wrong_detail]
    held = sum(len(o.wrong_detail) for o in outcomes if o.split == HELDOUT)
    lines += ["", f"## Wrong values ({len(wrong)} of development forms)", ""]
    lines += [f"- {d}" for d in wrong[:80]] or ["none"]
    if held:
        lines += ["", f"{held} wrong values of held-out forms: counted above, not listed."]
    return "\n".join(lines) + "\n"


def sandbox_overhead(versions: list[LaVersion], runs: int = 10) -> str:
    """Per-call cost of the sandbox: the same reads in-process, in a fresh child per PDF (the
    worker) and in a long-lived pooled reader (`licensebot check`)."""
    from licensebot.reading.sandbox import ReaderPool, read_pdf_sandboxed

    spec = make_spec(7, versions[-1], medium="digital", layout="compact", hand="typed")
    data = render(spec)
    read_pdf_sandboxed(data, versions=versions)  # starts the fork server
    read_pdf(data, versions=versions)
    inside, outside, pooled = [], [], []
    with ReaderPool(versions, size=1) as pool:
        pool.read(data)
        for _ in range(runs):
            for how, times in (
                (lambda: read_pdf(data, versions=versions), inside),
                (lambda: read_pdf_sandboxed(data, versions=versions), outside),
                (lambda: pool.read(data), pooled),
            ):
                t = time.perf_counter()
                how()
                times.append(time.perf_counter() - t)
    mi, mo, mp = (sorted(v)[runs // 2] for v in (inside, outside, pooled))
    return (
        "## Sandbox overhead\n\n"
        f"A one-page digital form read {runs} times each way (median wall clock): in-process "
        f"{1000 * mi:.0f} ms; in a fresh sandboxed child (the worker) {1000 * mo:.0f} ms, "
        f"**{1000 * (mo - mi):.0f} ms per call** (fork from the preloaded fork server, pickling "
        "the bytes and the result, setting the limits, a child that reads on a cold heap); in a "
        f"long-lived sandboxed reader (`licensebot check`) {1000 * mp:.0f} ms, "
        f"**{1000 * (mp - mi):.0f} ms per call**. Starting the fork server and the readers is "
        "paid once per process.\n"
    )


def independent_work(
    split: str,
    count: int,
    versions: list[LaVersion],
    only: str | None,
    dev_start: int = 0,
    fixed: dict[str, str] | None = None,
) -> list[tuple[FormSpec | IndependentSpec, list[LaVersion], bytes | None]]:
    """The independent source's forms of `split` (with the choices in `fixed`), exported by
    LibreOffice here in batches (the pen, the scanner and the reading run in the pool)."""
    from tests.forms.independent import export, stratified

    drawn = stratified(split_seeds(split, count, dev_start), **(fixed or {}))
    if only:
        drawn = [s for s in drawn if s.category == only]
    work: list[tuple[FormSpec | IndependentSpec, list[LaVersion], bytes | None]] = []
    for start in range(0, len(drawn), 16):
        batch = drawn[start : start + 16]
        work += [(s, versions, pdf) for s, pdf in zip(batch, export(batch), strict=True)]
    return work


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "reading.md")
    ap.add_argument("--only", help="one category, e.g. scan/typed")
    split_arguments(ap)
    ap.add_argument("--nulls", action="store_true", help="list the null values too")
    ap.add_argument(
        "--overhead-only", action="store_true", help="only measure the sandbox, append to --out"
    )
    args = ap.parse_args()
    versions = load_versions(ROOT / "config" / "la")
    current = versions[-1]
    older = older_version(current)
    all_versions = [older, *versions]
    if args.overhead_only:
        with args.out.open("a", encoding="utf-8") as out:
            out.write("\n" + sandbox_overhead(all_versions))
        return
    splits = (DEV, HELDOUT) if args.split == "both" else (args.split,)
    try:
        fixed = fixed_choices(args, splits)
    except ValueError as e:
        ap.error(str(e))
    work: list[tuple[FormSpec | IndependentSpec, list[LaVersion], bytes | None]] = []
    for split in splits:
        if args.source in ("factory", "both"):
            base = args.seed + (FACTORY_HELDOUT_OFFSET if split == HELDOUT else 0)
            draw = specs(args.count, base, current, older, args.only)
            work += [(s, all_versions, None) for s in draw]
        if args.source in ("independent", "both"):
            work += independent_work(
                split, args.count, all_versions, args.only, args.dev_start, fixed
            )
    start = time.perf_counter()
    with get_context("fork").Pool(args.jobs) as pool:
        outcomes = []
        for i, o in enumerate(pool.imap_unordered(run_one, work), 1):
            outcomes.append(o)
            if i % 20 == 0:
                print(f"{i}/{len(work)} forms", flush=True)
    text = report(outcomes, time.perf_counter() - start, args.jobs)
    text += "\n" + sandbox_overhead(all_versions)
    if args.nulls:
        text += (
            "\n## Null values\n\n"
            + "\n".join(f"- {d}" for o in outcomes if o.split != HELDOUT for d in o.null_detail)
            + "\n"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
