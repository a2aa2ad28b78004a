"""Who may sign: the signer's title (English or Chinese) classified as a student-like position
or a supervisor, for the `student_signer` rule.

Decisions, so that maintainers know what the bot does:
- students of every level, candidates, interns, trainees, research/teaching assistants,
  visiting students and visiting scholars, temporary staff and contractors may not sign:
  a supervisor must. (A visiting scholar holds a temporary post at the host; if they are
  a professor at home, they sign with their home affiliation and title.)
- a postdoc is an employee (博士后 is a job, not a degree course) and may sign.
- a degree is not a title: "PhD", "Dr.", "PhD, Professor" are not students.
- titles that contain a student word but name a supervisor ("PhD supervisor", 博士生导师,
  "Dean of Students", "research assistant professor") are supervisors.
- anything unrecognised is UNKNOWN, which does not hit: the rule rejects, so it needs a
  positive finding.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class TitleKind(StrEnum):
    STUDENT = "student"  # student, intern, temporary staff: must not sign
    SUPERVISOR = "supervisor"  # faculty, staff researcher, manager: may sign
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class TitleClass:
    kind: TitleKind
    term: str | None  # the phrase that decided it, for `explain`


# Supervisor phrases that contain a student word: removed before the student words are looked
# for, so that "博士生导师" is not read as "博士生".
_SUPERVISOR_OVER_STUDENT = [
    r"(?:ph\.?\s?d|doctoral|master'?s?|graduate|postgraduate|undergraduate)\s+(?:students?\s+)?"
    r"(?:supervisor|advisor|adviser|mentor)",
    r"(?:supervisor|advisor|adviser|mentor|director|head|coordinator|dean)\s+of\s+"
    r"(?:(?:ph\.?\s?d|doctoral|graduate|postgraduate|undergraduate|master'?s?)\s+)?"
    r"(?:students?|studies|programs?|programmes?|school|education)",
    r"research\s+assistant\s+professor",
    r"博士生导师",
    r"硕士生导师",
    r"研究生导师",
    r"博导",
    r"硕导",
    r"研究生院",
    r"学生处",
    r"学生工作",
]

# Degrees that contain a student word: removed, deciding nothing ("Candidate of Sciences" is
# the post-Soviet doctorate).
_DEGREES = [r"candidate\s+of\s+(?:[a-z-]+\s+){0,2}sciences?"]

# Degrees that contain a student word: removed, deciding nothing ("Candidate of Sciences" is
# the post-Soviet doctorate).
_DEGREES = [r"candidate\s+of\s+(?:[a-z-]+\s+){0,2}sciences?"]

_STUDENT = [
    # English
    r"(?:ph\.?\s?d\.?|doctoral|doctorate|master'?s?|msc|m\.?\s?s\.?|ma|mphil|graduate|grad|"
    r"postgraduate|undergraduate|undergrad|bachelor'?s?|bsc|b\.?\s?s\.?|college|university|"
    r"visiting|exchange|research|phd)\s+(?:student|candidate|researcher|scholar|trainee)",
    r"students?",
    r"candidate",
    r"undergrad(?:uate)?",
    r"post-?graduate",
    r"interns?(?:hip)?",
    r"trainee",
    r"apprentice",
    r"(?:research|teaching|graduate|student)\s+assistant",
    r"visiting\s+(?:scholar|researcher|fellow)",
    r"temp(?:orary)?(?:\s+(?:staff|employee|worker|position|researcher))?",
    r"contractor",
    r"part-?time\s+(?:staff|employee|worker|assistant)",
    # Chinese
    r"博士研究生",
    r"硕士研究生",
    r"博士生",
    r"硕士生",
    r"研究生",
    r"本科生",
    r"大学生",
    r"访问学生",
    r"实习生",
    r"学生",
    r"在读",
    r"实习",
    r"访问学者",
    r"交换生",
    r"进修生",
    r"科研助理",
    r"研究助理",
    r"助教",
    r"临时工",
    r"临时员工",
    r"临时",
    r"外包",
    r"劳务派遣",
]

_SUPERVISOR = [
    # English
    r"professor",
    r"prof",
    r"lecturer",
    r"reader",
    r"dean",
    r"chair(?:man|woman|person)?",
    r"head",
    r"director",
    r"principal\s+investigator",
    r"pi",
    r"post-?doc(?:toral)?(?:\s+(?:fellow|researcher|scholar|associate))?",
    r"(?:research|staff|senior|chief|lead|principal)?\s*scientist",
    r"researcher",
    r"research\s+(?:fellow|associate|engineer)",
    r"fellow",
    r"engineer",
    r"manager",
    r"president",
    r"vice[-\s]president",
    r"c[etos]o",
    r"founder",
    r"faculty",
    r"supervisor",
    r"advisor",
    r"team\s+lead(?:er)?",
    r"group\s+leader",
    r"officer",
    r"analyst",
    r"developer",
    r"architect",
    r"consultant",
    r"physician",
    r"doctor",
    # Chinese
    r"博士后",
    r"教授",
    r"讲师",
    r"研究员",
    r"院长",
    r"校长",
    r"所长",
    r"主任",
    r"系主任",
    r"处长",
    r"科长",
    r"导师",
    r"工程师",
    r"经理",
    r"总监",
    r"总裁",
    r"董事",
    r"科学家",
    r"医生",
    r"医师",
    r"负责人",
    r"组长",
    r"教师",
    r"老师",
    r"主管",
    r"职员",
    r"员工",
]


def _compile(patterns: list[str]) -> list[re.Pattern[str]]:
    # \b does not separate Chinese characters from each other, so Chinese patterns match as
    # substrings and English ones as whole words.
    out = []
    for p in patterns:
        if re.search(r"[\u4e00-\u9fff]", p):
            out.append(re.compile(p))
        else:
            out.append(re.compile(rf"(?<![a-z]){p}(?![a-z])"))
    return out


_OVERRIDES = _compile(_SUPERVISOR_OVER_STUDENT)
_NEUTRAL = _compile(_DEGREES)
_STUDENTS = _compile(_STUDENT)
_SUPERVISORS = _compile(_SUPERVISOR)


def classify_title(title: str | None) -> TitleClass:
    """Student-like, supervisor or unknown, with the phrase that decided it."""
    if not title:
        return TitleClass(TitleKind.UNKNOWN, None)
    text = unicodedata.normalize("NFKC", title).casefold()
    text = re.sub(r"[\s_/,;|()（）、，；]+", " ", text)
    for pattern in _NEUTRAL:
        text = pattern.sub(" ", text)
    override: str | None = None
    for pattern in _OVERRIDES:
        m = pattern.search(text)
        if m:
            override = override or m.group(0)
            text = pattern.sub(" ", text)
    # 临时 and 员工 overlap in 临时员工: a student-like word anywhere wins over a supervisor one
    # ("Research assistant to Prof. Li" is an assistant, not a professor).
    for pattern in _STUDENTS:
        m = pattern.search(text)
        if m:
            return TitleClass(TitleKind.STUDENT, m.group(0).strip())
    if override:
        return TitleClass(TitleKind.SUPERVISOR, override.strip())
    for pattern in _SUPERVISORS:
        m = pattern.search(text)
        if m:
            return TitleClass(TitleKind.SUPERVISOR, m.group(0).strip())
    return TitleClass(TitleKind.UNKNOWN, None)
