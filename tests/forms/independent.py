"""A second, independent source of test forms, made the way applicants make them.

The factory (`tests/forms/factory.py`) draws its three layouts with reportlab; a reader tuned on
it learns the factory. Here the LA is a Word document (python-docx) with the signer table filled
in by an applicant in one of several table styles, exported to PDF by LibreOffice
(`tests/forms/wordproc.py`), then either sent as exported (born digital) or printed, signed with
a pen, and scanned by an office copier or a phone scanner app, or photographed on a desk
(`tests/forms/delivery.py`). Everything is fictional.

    pdf, spec = make_independent(seed)            # one form and its ground truth
    pairs = make_many(seeds)                      # many, LibreOffice run in batches
    forms = make_each({seed: {"medium": "scan"}})  # each its own choices, one batch

Categories (`spec.category`, medium/kind): medium `digital` (exported, never printed: expected
`not_scanned`), `scan` (copier, phone scanner app; development also a worn copier, held-out
also a folded flatbed scan) or `photo` (raw phone photo); kind `typed` (signed, current LA),
`handwritten` (values written by hand, signed: expected `unreadable`), `unsigned`
(`not_signed`) or `older` (the factory's `older_version` of the LA, typed and signed:
`outdated_form`). The seed's split (`tests/forms/split.py`) decides which choices may be
drawn: held-out forms alone have the `bilingual` table, Carlito and the folded scan;
development forms alone the `chinese` and `tabbed` tables, Caladea, FreeSans and FreeSerif and
the worn copier; development seeds from 10,000 on also the `hinted` table, DejaVu Sans
Condensed and the creased scan.
"""

from __future__ import annotations

import itertools
import random
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from licensebot.core.la import LaVersion
from licensebot.reading.blank_form import OFFICIAL_LABELS
from licensebot.reading.la_versions import load_versions
from tests.forms import split as splits
from tests.forms.factory import older_version

ROOT = Path(__file__).resolve().parents[2]

MEDIA = ("digital", "scan", "photo")
KINDS = ("typed", "handwritten", "unsigned", "older")
FIELDS = ("signer_name", "signer_title", "affiliation", "work_email", "address", "date")

WESTERN = [
    ("Oliver", "Hartley"),
    ("Grace", "Whitmore"),
    ("Nathan", "Cole"),
    ("Megan", "Foster"),
    ("Samuel", "Reed"),
    ("Claire", "Donovan"),
    ("Lucas", "Bennett"),
    ("Hannah", "Price"),
    ("Daniel", "Hughes"),
    ("Rachel", "Morgan"),
]
ACCENTED = [
    ("Mathéo", "Rousseau"),
    ("Chloé", "Bérubé"),
    ("Núria", "Ferrer"),
    ("Andrés", "Muñoz"),
    ("Tomáš", "Dvořák"),
    ("Anaïs", "Lefrançois"),
    ("Jörg", "Schäfer"),
    ("Mía", "Castaño"),
    ("Søren", "Kjær"),
    ("Élodie", "Garçon"),
]
CHINESE = [
    ("林晓峰", "lin.xiaofeng"),
    ("郭思远", "guo.siyuan"),
    ("何雨桐", "he.yutong"),
    ("马俊杰", "ma.junjie"),
    ("杨柳", "yang.liu"),
    ("徐文博", "xu.wenbo"),
    ("胡佳怡", "hu.jiayi"),
    ("高翔", "gao.xiang"),
]
TITLES = [
    "Professor",
    "Full Professor",
    "Associate Professor",
    "Assistant Professor",
    "Head of Department",
    "Senior Lecturer",
    "Research Group Leader",
    "Principal Research Scientist",
    "Chief Technology Officer",
]
#: (email domain, affiliation as written, address as written; "\n" = the applicant's line break)
INSTITUTIONS = [
    (
        "hust.edu.cn",
        "School of Computer Science and Technology, Huazhong University of Science and Technology",
        "1037 Luoyu Road, Hongshan District,\nWuhan, Hubei 430074, China",
    ),
    (
        "ustc.edu.cn",
        "University of Science and Technology of China",
        "96 Jinzhai Road, Baohe District, Hefei, Anhui 230026, China",
    ),
    (
        "upm.es",
        "Universidad Politécnica de Madrid",
        "Calle Ramiro de Maeztu 7,\n28040 Madrid, Spain",
    ),
    ("tum.de", "Technical University of Munich", "Arcisstraße 21, 80333 München, Germany"),
    (
        "unimelb.edu.au",
        "Department of Computing and Information Systems, University of Melbourne",
        "Doug McDonell Building, Parkville, Victoria 3010, Australia",
    ),
    (
        "zju.edu.cn",
        "College of Computer Science and Technology, Zhejiang University",
        "38 Zheda Road, Xihu District,\nHangzhou 310027, China",
    ),
    (
        "northgate-research.org",
        "Northgate Institute for Advanced Computational Research and Human-Centred AI",
        "Suite 400, 2250 Innovation Parkway, Northgate Science Park, Cambridge CB4 0WS, "
        "United Kingdom",
    ),
    (
        "bluepeak-vision.com",
        "Bluepeak Vision Technologies (Shenzhen) Co., Ltd.",
        "Floor 18, Tower B, 3388 Keyuan South Road,\nNanshan District, Shenzhen 518057, China",
    ),
    (
        "lvl-lab.fr",
        "Laboratoire d'Informatique et de Vision de Laval",
        "12 Rue des Sciences, 53000 Laval, France",
    ),
]
DATE_FORMATS = ("month_name", "day_month_name", "chinese", "dmy_slash", "iso")

#: Label wordings per table style; the official ones are the LA's own.
LABELS: dict[str, dict[str, list[str]]] = {
    "grid2": {
        "signer_name": ["The Signer's Name", "Name of signer", "Full name"],
        "signer_title": ["The Signer's Title (dean, professor...)", "Title", "Position"],
        "affiliation": ["Affiliation (Institute, University, company...)", "Affiliation"],
        "work_email": ["Work email (at your affiliation)", "Work e-mail", "Email"],
        "address": ["Detail Address of your affiliation", "Address", "Postal address"],
        "signature": ["Signature", "Signature of signer"],
        "date": ["Date", "Date of signing"],
    },
    "grid4": {k: [v] for k, v in OFFICIAL_LABELS.items()},
    "underline": {
        "signer_name": ["Signer's name", "Name", "The Signer's Name"],
        "signer_title": ["Title", "Signer's title", "Position / title"],
        "affiliation": ["Affiliation", "Institution"],
        "work_email": ["Work email", "E-mail"],
        "address": ["Address", "Address of affiliation"],
        "signature": ["Signature", "Signed"],
        "date": ["Date"],
    },
    "stacked": {
        "signer_name": ["Name of the signer", "The Signer's Name", "NAME"],
        "signer_title": ["Title / position", "TITLE"],
        "affiliation": ["Affiliation (institute, university, company)", "AFFILIATION"],
        "work_email": ["Work email address", "WORK EMAIL"],
        "address": ["Full address of the affiliation", "ADDRESS"],
        "signature": ["Signature", "SIGNATURE"],
        "date": ["Date", "DATE"],
    },
    "bilingual": {
        "signer_name": ["签署人姓名\nThe Signer's Name", "姓名 Name"],
        "signer_title": ["职称\nTitle", "职务/职称 Position"],
        "affiliation": ["工作单位\nAffiliation", "单位 Institution"],
        "work_email": ["工作邮箱\nWork email", "邮箱 E-mail"],
        "address": ["单位地址\nAddress", "通讯地址 Address"],
        "signature": ["签名\nSignature", "签字 Signature"],
        "date": ["日期\nDate", "日期 Date"],
    },
    "chinese": {
        "signer_name": ["签署人姓名", "姓名", "签署人"],
        "signer_title": ["职称", "职务", "职称/职务"],
        "affiliation": ["工作单位", "单位", "单位名称"],
        "work_email": ["工作邮箱", "电子邮箱", "邮箱"],
        "address": ["单位地址", "详细地址", "通讯地址"],
        "signature": ["签名", "签字", "签署人签字"],
        "date": ["日期", "签署日期"],
    },
    "hinted": {
        "signer_name": ["Name", "Signer's name", "Full name"],
        "signer_title": ["Title", "Position"],
        "affiliation": ["Affiliation", "Institution"],
        "work_email": ["Work email", "Email"],
        "address": ["Address", "Postal address"],
        "signature": ["Signature"],
        "date": ["Date"],
    },
    "tabbed": {
        "signer_name": ["Name", "Full name", "Signer's name"],
        "signer_title": ["Title", "Position"],
        "affiliation": ["Affiliation", "Institution"],
        "work_email": ["Work email", "E-mail"],
        "address": ["Address", "Postal address"],
        "signature": ["Signature"],
        "date": ["Date"],
    },
}
#: The Chinese an applicant adds in parentheses after a `tabbed` label: "Name (姓名)".
GLOSSES = {
    "signer_name": "姓名",
    "signer_title": "职称",
    "affiliation": "单位",
    "work_email": "邮箱",
    "address": "地址",
    "signature": "签名",
    "date": "日期",
}

#: The smaller second line under a `hinted` form's English label, when it is not the Chinese.
HINTS = {
    "signer_name": "(in full, as in your passport)",
    "signer_title": "(e.g. professor, dean, director)",
    "affiliation": "(university, institute or company)",
    "work_email": "(the address at your institution)",
    "address": "(street, city, postcode, country)",
    "signature": "(by hand, in ink)",
    "date": "(day, month, year)",
}


def draw_labels(rng: random.Random, style: str) -> dict[str, str]:
    """The label wordings of a form in `style`: one of the style's wordings per label; on a
    `chinese` form a full-width colon after every label or none, on a `tabbed` form the Chinese
    in parentheses after every label or none, on a `hinted` form a second line under every
    label, the Chinese or a hint in English. (The older styles draw as they always did.)"""
    labels = {k: rng.choice(v) for k, v in LABELS[style].items()}
    if style == "hinted":
        second = GLOSSES if rng.random() < 0.5 else HINTS
        labels = {k: f"{v}\n{second[k]}" for k, v in labels.items()}
    if style == "chinese" and rng.random() < 0.5:
        labels = {k: f"{v}：" for k, v in labels.items()}
    if style == "tabbed" and rng.random() < 0.5:
        labels = {k: f"{v} ({GLOSSES[k]})" for k, v in labels.items()}
    return labels


@dataclass(frozen=True)
class IndependentSpec:
    """One independently made form: how it was typed, filled in and delivered, and the truth."""

    seed: int
    split: str
    version: LaVersion
    table_style: str = "grid2"
    font: str = "Liberation Serif"
    cjk_font: str = "WenQuanYi Micro Hei"
    font_size: float = 11.0
    margins_mm: float = 25.0
    paper: str = "A4"  # A4 | Letter
    own_page: bool = False  # the signer table on a page of its own
    heading_color: bool = True  # Word's blue headings, or black
    name_style: str = "western"
    kind: str = "typed"  # typed | handwritten | unsigned | older
    medium: str = "scan"  # digital | scan | photo
    # digital | copier | phone_app | worn_copier | creased | folded_scan | photo
    preset: str = "copier"
    dpi: int = 200
    turn: int = 0  # 0, 90, 180, 270
    ink: tuple[int, int, int] = (20, 30, 110)
    #: what else is in the Signature cell (paper only; never drawn, only fixed by a test):
    #: "" nothing, "seal" a red round seal stamped over the signature, "seal_only" the seal
    #: and no signature, "typed_name" the signer's name typed there and no ink, "crossing" a
    #: signature that runs across the cell's top rule
    mark: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    written: dict[str, str] = field(default_factory=dict)  # as typed or written on the form
    truth: dict[str, str | None] = field(default_factory=dict)  # what the reader should give
    members: tuple[tuple[str, str], ...] = ()
    domain: str = ""

    @property
    def scanned(self) -> bool:
        return self.medium != "digital"

    @property
    def signed(self) -> bool:
        return self.kind != "unsigned" and self.mark not in ("seal_only", "typed_name")

    @property
    def hand(self) -> str:
        return "handwritten" if self.kind == "handwritten" else "typed"

    @property
    def category(self) -> str:
        return f"{self.medium}/{self.kind}"

    @property
    def expected_reasons(self) -> tuple[str, ...]:
        """The form's own reasons (in the contract's order), sent by its signer from the work
        email with a right file name."""
        flags = (
            ("outdated_form", self.kind == "older"),
            ("not_signed", not self.signed),
            ("not_scanned", not self.scanned),
            ("unreadable", self.kind == "handwritten"),
        )
        return tuple(code for code, on in flags if on)

    @property
    def expected_decision(self) -> str:
        reasons = set(self.expected_reasons)
        if reasons - {"unreadable"}:
            return "reject"
        return "review" if reasons else "approve"


@cache
def current_la() -> LaVersion:
    return load_versions(ROOT / "config" / "la")[-1]


@cache
def older_la() -> LaVersion:
    return older_version(current_la())


def write_date(d: date, fmt: str) -> str:
    return {
        "month_name": f"{d.strftime('%B')} {d.day}, {d.year}",
        "day_month_name": f"{d.day} {d.strftime('%B')} {d.year}",
        "chinese": f"{d.year}年{d.month}月{d.day}日",
        "dmy_slash": f"{d.day:02d}/{d.month:02d}/{d.year}",
        "iso": d.isoformat(),
    }[fmt]


def _ascii_local(first: str, last: str) -> str:
    local = unicodedata.normalize("NFKD", f"{first[0]}.{last}".lower())
    return "".join(c for c in local if c.isascii() and (c.isalnum() or c == "."))


def draw_spec(seed: int, **fixed: Any) -> IndependentSpec:
    """The form of `seed`; keyword arguments fix any of IndependentSpec's choices (`kind`,
    `medium`, ...). A choice only the other split may draw is refused (`tests/forms/split.py`):
    a held-out-only one for a dev seed, a development-only one for a held-out seed.

    The seed's stream draws every choice as it did before the development-only choices came;
    a development seed then replaces some of its table style, font and preset by
    development-only ones (`splits.dev_only_draws`, a stream of their own), unless
    `dev_only=False`: the form the seed drew before, for tests written for that form."""
    dev_only = fixed.pop("dev_only", True)
    split = splits.split_of(seed)
    rng = random.Random(f"independent-{seed}")
    style = rng.choice(splits.first_draw("table_style", split))
    name_style = rng.choice(("western", "accented", "chinese"))
    if name_style == "chinese":
        name, local = rng.choice(CHINESE)
    else:
        first, last = rng.choice(WESTERN if name_style == "western" else ACCENTED)
        name, local = f"{first} {last}", _ascii_local(first, last)
    domain, affiliation, address = rng.choice(INSTITUTIONS)
    day = date.fromordinal(date(2023, 9, 1).toordinal() + rng.randrange(800))
    fmt = rng.choice(DATE_FORMATS)
    if fmt == "dmy_slash" and day.day <= 12:
        day = day.replace(day=day.day + 12)  # unambiguous day-first dates only
    written = {
        "signer_name": name,
        "signer_title": rng.choice(TITLES),
        "affiliation": affiliation,
        "work_email": f"{local}@{domain}",
        "address": address,
        "date": write_date(day, fmt),
    }
    truth: dict[str, str | None] = {k: " ".join(v.split()) for k, v in written.items()}
    truth["date"] = day.isoformat()
    pool = CHINESE if name_style == "chinese" else WESTERN + ACCENTED
    n_members = rng.choice((0, 0, 0, 1, 2))
    members = tuple(
        (
            m[0] if name_style == "chinese" else f"{m[0]} {m[1]}",
            f"MEGC2025-{rng.randrange(100000):05d}",
        )
        for m in rng.sample([p for p in pool if p[0] not in name], n_members)
    )
    medium = rng.choice(("digital", "scan", "scan", "scan", "photo"))
    kind = rng.choice(("typed",) * 5 + ("handwritten", "unsigned", "older"))
    preset = rng.choice(splits.first_draw("preset", split))
    spec = IndependentSpec(
        seed=seed,
        split=split,
        version=current_la(),
        table_style=style,
        font=rng.choice(splits.first_draw("font", split)),
        cjk_font=rng.choice(("WenQuanYi Micro Hei", "AR PL UKai CN")),
        font_size=rng.choice((10.0, 10.5, 11.0, 12.0)),
        margins_mm=rng.choice((15.0, 20.0, 25.4, 30.0)),
        paper=rng.choice(("A4", "A4", "Letter")),
        own_page=rng.random() < 0.3,
        heading_color=rng.random() < 0.5,
        name_style=name_style,
        kind=kind,
        medium=medium,
        preset=preset,
        dpi=rng.choice((150, 200, 200, 300)),
        turn=rng.choice((0,) * 8 + (90, 180, 270)),
        ink=rng.choice(((20, 30, 110), (15, 15, 20), (10, 40, 140))),
        labels=draw_labels(rng, style),
        written=written,
        truth=truth,
        members=members,
        domain=domain,
    )
    widened: dict[str, Any] = splits.dev_only_draws(seed) if dev_only else {}
    if "table_style" in widened:
        labels = random.Random(f"independent-dev-labels-{seed}")
        widened["labels"] = draw_labels(labels, widened["table_style"])
    spec = replace(spec, **widened)
    for key in ("table_style", "font", "preset"):
        allowed = splits.choices(key, split) + (("digital", "photo") if key == "preset" else ())
        if key in fixed and fixed[key] not in allowed:
            raise ValueError(f"{key}={fixed[key]!r} is not drawn in the {split} split")
    if "table_style" in fixed and "labels" not in fixed:
        fixed["labels"] = draw_labels(rng, fixed["table_style"])
    spec = replace(spec, **fixed)
    if spec.kind == "older":
        spec = replace(spec, version=older_la())
    if spec.kind == "handwritten" and spec.medium == "digital":
        spec = replace(spec, medium="scan")  # handwriting is on paper
    if spec.mark and spec.medium == "digital":
        spec = replace(spec, medium="scan")  # a seal, a pen on paper
    if spec.medium == "digital":
        spec = replace(spec, preset="digital", turn=0)
    elif spec.medium == "photo":
        spec = replace(spec, preset="photo", turn=fixed.get("turn", 0))
    elif spec.preset in ("digital", "photo"):
        spec = replace(spec, preset=splits.first_draw("preset", split)[0])
    return spec


#: (medium, kind) in the order the benchmarks draw them: good scans most often.
MIX = (
    ("scan", "typed"),
    ("photo", "typed"),
    ("digital", "typed"),
    ("scan", "handwritten"),
    ("scan", "typed"),
    ("scan", "unsigned"),
    ("scan", "older"),
    ("photo", "typed"),
    ("digital", "unsigned"),
    ("scan", "typed"),
)


def stratified(seeds: Sequence[int], **fixed: Any) -> list[IndependentSpec]:
    """Specs for `seeds`, the i-th with the medium and kind of `MIX[i % len(MIX)]`, and the
    choices in `fixed` (`draw_spec`'s; a medium or kind fixed there is every form's: the
    benchmarks' `--fix medium=photo`)."""
    return [
        draw_spec(seed, **{"medium": medium, "kind": kind, **fixed})
        for seed, (medium, kind) in zip(seeds, itertools.cycle(MIX), strict=False)
    ]


def export(specs: Sequence[IndependentSpec]) -> list[bytes]:
    """The word processor's PDF exports of `specs` (one LibreOffice batch, cached)."""
    from tests.forms.wordproc import build_docx, docx_to_pdf

    return docx_to_pdf([build_docx(s) for s in specs])


def make_many(seeds: Sequence[int], **fixed: Any) -> list[tuple[bytes, IndependentSpec]]:
    """Forms for `seeds` (LibreOffice converts them in one batch) with their specs."""
    from tests.forms.delivery import deliver

    specs = [draw_spec(s, **fixed) for s in seeds]
    return [(deliver(pdf, spec), spec) for pdf, spec in zip(export(specs), specs, strict=True)]


def make_each(
    choices: Mapping[int, Mapping[str, Any]],
) -> dict[int, tuple[bytes, IndependentSpec]]:
    """Seed -> its form and spec, each seed with its own fixed choices; LibreOffice converts
    them all in one batch (the same documents, so the same exports, as one `make_many` per
    seed: a LibreOffice start-up each, about a second)."""
    from tests.forms.delivery import deliver

    specs = [draw_spec(seed, **fixed) for seed, fixed in choices.items()]
    return {
        spec.seed: (deliver(pdf, spec), spec)
        for pdf, spec in zip(export(specs), specs, strict=True)
    }


def make_independent(seed: int, **fixed: Any) -> tuple[bytes, IndependentSpec]:
    """One form of the independent source: its PDF bytes and its ground truth."""
    return make_many([seed], **fixed)[0]
