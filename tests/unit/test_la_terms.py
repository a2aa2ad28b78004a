from licensebot.core.la_terms import citation, unpublishable_subjects
from licensebot.reading.la_versions import load_versions
from tests.support import CONFIG_DIR


def test_the_current_la_yields_its_subjects_and_citation() -> None:
    text = load_versions(CONFIG_DIR / "la")[-1].text
    subjects = unpublishable_subjects(text)
    assert subjects[:3] == ("004", "010", "030") and subjects[-1] == "670"
    assert len(subjects) == len(set(subjects)) > 150
    assert citation(text).startswith("Zhao S, Tang H, Mao X, et al. DFME: A New Benchmark")


def test_no_subject_lines_and_no_citation_give_empty_answers() -> None:
    assert unpublishable_subjects("nothing here") == ()
    assert citation("## 3. Citations\nplain text only") == ""
