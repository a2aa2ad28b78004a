"""Reply wording lives in `config/templates/`, one file per audience, purpose and language
(`applicant.review.en.txt`, `applicant.review.zh.txt`). A template may start with a
`Subject:` line, used when the message is not a reply.

Maintainers are not applicants: their messages (`maintainer.digest.txt`,
`maintainer.digest.html`, ...) have one language and are rendered by `render_one`; a name
ending in `.html` is rendered with HTML escaping on.

Templates are rendered with StrictUndefined and checked once at start-up against sample data,
so a misspelt variable stops the worker with a clear error instead of reaching an applicant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from licensebot.errors import LicensebotError

LANGUAGES = ("en", "zh")
SEPARATOR = "\n\n" + "-" * 60 + "\n\n"


class TemplateError(LicensebotError):
    """A reply template is missing or does not render; the message names the file."""


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str | None
    body: str


class Templates:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(directory)),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # noqa: S701 - plain-text mail, never HTML
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )

        self._html_env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(directory)),
            undefined=jinja2.StrictUndefined,
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render_one(self, name: str, context: Mapping[str, Any]) -> Rendered:
        """One single-language template by file name (`maintainer.digest.txt`)."""
        env = self._html_env if name.endswith(".html") else self._env
        text = self._render(env, name, context)
        if name.endswith(".html"):
            return Rendered(None, text)
        subject, body = _split_subject(text)
        return Rendered(subject, body.strip() + "\n")

    def check_one(self, samples: Mapping[str, Mapping[str, Any]]) -> list[str]:
        """Like `check`, for single-language templates named by file name."""
        problems = []
        for name, context in samples.items():
            try:
                self.render_one(name, context)
            except TemplateError as exc:
                problems.append(str(exc))
        return problems

    def _render(self, env: jinja2.Environment, name: str, context: Mapping[str, Any]) -> str:
        try:
            return env.get_template(name).render(**context)
        except jinja2.TemplateNotFound:
            raise TemplateError(f"template {self.directory / name} is missing") from None
        except jinja2.UndefinedError as exc:
            raise TemplateError(f"template {self.directory / name}: {exc.message}") from None
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(
                f"template {self.directory / name}, line {exc.lineno}: {exc.message}"
            ) from None

    def render(self, kind: str, context: Mapping[str, Any]) -> Rendered:
        """Both languages of template `kind`, English first, as one plain-text body."""
        subjects: list[str] = []
        bodies: list[str] = []
        for lang in LANGUAGES:
            name = f"{kind}.{lang}.txt"
            try:
                text = self._env.get_template(name).render(**context, lang=lang)
            except jinja2.TemplateNotFound as exc:
                if exc.name != name:  # an {% include %} inside the template
                    raise TemplateError(
                        f"template {self.directory / name} includes {exc.name}, which is missing"
                    ) from None
                raise TemplateError(f"template {self.directory / name} is missing") from None
            except jinja2.UndefinedError as exc:
                raise TemplateError(f"template {self.directory / name}: {exc.message}") from None
            except jinja2.TemplateSyntaxError as exc:
                raise TemplateError(
                    f"template {self.directory / name}, line {exc.lineno}: {exc.message}"
                ) from None
            subject, body = _split_subject(text)
            if subject:
                subjects.append(subject)
            bodies.append(body.strip())
        return Rendered(" / ".join(subjects) or None, SEPARATOR.join(bodies) + "\n")

    def check(self, samples: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[str]:
        """Render every kind with each of its sample contexts; the problems, as sentences."""
        problems: list[str] = []
        for kind, contexts in samples.items():
            for context in contexts:
                try:
                    self.render(kind, context)
                except TemplateError as exc:
                    if str(exc) not in problems:
                        problems.append(str(exc))
        return problems


def _split_subject(text: str) -> tuple[str | None, str]:
    first, _, rest = text.lstrip("\n").partition("\n")
    if first.lower().startswith("subject:"):
        return first.split(":", 1)[1].strip(), rest
    return None, text
