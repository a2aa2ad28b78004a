"""The decision contract lives in the repository (`docs/contract.md`), so that the README's
link works in a clone: it names only codes the bot has, says what the shared specification
says, and the README links it."""

from __future__ import annotations

import re

from licensebot.core.reasons import Decision, Reason
from tests.support import REPO

CONTRACT = REPO / "docs" / "contract.md"
SHARED = REPO.parent / "shared" / "spec" / "decisions.md"  # where the project keeps the spec


def _body(text: str) -> str:
    """The contract without the repository's header comment and with the one path that
    differs (where the LA text is), whitespace folded."""
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = re.sub(
        r"The LA text itself is .*?\(the current version(:.*?\))?\)\.", "", text, flags=re.S
    )
    return " ".join(text.split())


def test_the_contract_names_only_codes_the_bot_has() -> None:
    text = CONTRACT.read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.M)
    assert len(rows) >= 15
    known = {r.value for r in Reason}
    fields = {"signer_name", "signer_title", "affiliation", "work_email", "address", "date"}
    fields |= {"signed", "members"}
    assert set(rows) - fields <= known, set(rows) - fields - known
    for decision in re.findall(r"^- `([a-z]+)`:", text, flags=re.M):
        assert decision in {d.value for d in Decision}


def test_the_contract_says_what_the_shared_specification_says() -> None:
    if not SHARED.is_file():  # a clone without the project's shared directory beside it
        return
    assert _body(CONTRACT.read_text(encoding="utf-8")) == _body(SHARED.read_text(encoding="utf-8"))


def test_the_readme_links_the_contract_in_the_repository() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#]+)", readme)
    assert "docs/contract.md" in links
    assert not [link for link in links if link.startswith("../")], "a link out of the clone"
    for link in links:
        if not link.startswith(("http", "mailto:")):
            assert (REPO / link).exists(), link
