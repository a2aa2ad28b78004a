"""Who may sign: the title table, in English and Chinese."""

from __future__ import annotations

import pytest

from licensebot.core.titles import TitleKind, classify_title

STUDENT = [
    "Student",
    "PhD student",
    "Ph.D. Student",
    "PhD candidate",
    "Doctoral student",
    "Doctoral researcher",
    "Master's student",
    "MSc Student",
    "Graduate Student",
    "Postgraduate",
    "Undergraduate",
    "Bachelor student",
    "Candidate",
    "Intern",
    "Research Intern",
    "Visiting Student",
    "Visiting Scholar",
    "Research Assistant",
    "Teaching Assistant",
    "Research Assistant to Prof. Li",
    "Temporary staff",
    "Temporary employee",
    "Contractor",
    "学生",
    "博士生",
    "博士研究生",
    "硕士生",
    "硕士研究生",
    "研究生",
    "本科生",
    "实习生",
    "访问学生",
    "访问学者",
    "临时工",
    "临时员工",
    "在读博士",
    "科研助理",
]

SUPERVISOR = [
    "Professor",
    "Prof.",
    "Associate Professor",
    "Assistant Professor",
    "Research Assistant Professor",
    "Visiting Professor",
    "PhD, Professor",
    "Lecturer",
    "Senior Lecturer",
    "Dean",
    "Dean of Students",
    "Director of Graduate Studies",
    "PhD supervisor",
    "Undergraduate Advisor",
    "Professor (PhD student supervisor)",
    "Researcher",
    "Research Scientist",
    "Engineer",
    "Senior Engineer",
    "Manager",
    "Head of Lab",
    "Postdoc",
    "Post-doc",
    "Postdoctoral Researcher",
    "Postdoctoral Fellow",
    "Candidate of Technical Sciences, Associate Professor",
    "教授",
    "副教授",
    "讲师",
    "研究员",
    "副研究员",
    "院长",
    "工程师",
    "高级工程师",
    "博士后",
    "博士生导师",
    "教授、博士生导师",
    "硕士生导师",
]

UNKNOWN = ["PhD", "Ph.D.", "Dr.", "博士", "", "Mr.", "???"]


@pytest.mark.parametrize("title", STUDENT)
def test_students_interns_and_temporary_staff_may_not_sign(title: str) -> None:
    assert classify_title(title).kind is TitleKind.STUDENT


@pytest.mark.parametrize("title", SUPERVISOR)
def test_supervisors_may_sign(title: str) -> None:
    assert classify_title(title).kind is TitleKind.SUPERVISOR


@pytest.mark.parametrize("title", UNKNOWN)
def test_a_degree_alone_is_no_title(title: str) -> None:
    assert classify_title(title).kind is TitleKind.UNKNOWN


def test_the_deciding_phrase_is_reported() -> None:
    assert classify_title("Visiting Student").term == "visiting student"
    assert classify_title("教授，博士生导师").term == "博士生导师"
    assert classify_title(None).term is None
