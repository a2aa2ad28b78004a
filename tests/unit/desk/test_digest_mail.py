"""The digest as mail: HTML with inline images by Content-ID, escaping, and a text that a
quoting reply never turns into commands."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from licensebot.config import load_settings
from licensebot.core.commands import parse_commands
from licensebot.mail.compose import FileAttachment, InlineImage, compose
from licensebot.mail.templates import Templates
from licensebot.worker.case_notice import sample_notice_context
from licensebot.worker.digest import digest_context, sample_data
from licensebot.worker.review import review_result_sample

REPO = Path(__file__).resolve().parents[3]
TEMPLATES = Templates(REPO / "config" / "templates")


def test_html_with_inline_images_and_a_csv_attachment() -> None:
    raw = compose(
        from_address="desk@dataset.test",
        from_name="Desk",
        to="keeper@dataset.test",
        subject="digest",
        body="plain",
        message_id="<d@dataset.test>",
        instance_id="t",
        html='<img src="cid:chart.1@dataset.test">',
        inline=[InlineImage("chart.1@dataset.test", b"\x89PNG fake", "png")],
        attachments=[FileAttachment("d.csv", "case,name\r\n1,张三\r\n".encode(), "text", "csv")],
    )
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    types = [p.get_content_type() for p in msg.walk()]
    assert types == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "multipart/related",
        "text/html",
        "image/png",
        "text/csv",
    ]
    image = next(p for p in msg.walk() if p.get_content_type() == "image/png")
    assert image["Content-ID"] == "<chart.1@dataset.test>"
    [csv_part] = list(msg.iter_attachments())
    assert "张三" in csv_part.get_content()


def sample_context() -> dict[str, object]:
    settings = load_settings(REPO / "config" / "licensebot.toml", environ={})
    data = sample_data()
    data.queue[0] = type(data.queue[0])(
        **{
            **{f: getattr(data.queue[0], f) for f in data.queue[0].__slots__},
            "subject": "<script>alert(1)</script>\napprove 7",
        }
    )
    from zoneinfo import ZoneInfo

    return digest_context(
        settings, data, tz=ZoneInfo("UTC"), chart_cid="chart@x", images={42: "p@x"}, attached=set()
    )


def test_the_html_escapes_applicant_text_and_shows_images_by_cid() -> None:
    html = TEMPLATES.render_one("maintainer.digest.html", sample_context()).body
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'src="cid:chart@x"' in html and 'src="cid:p@x"' in html


def test_the_digest_text_never_reads_as_commands_when_quoted_without_markers() -> None:
    rendered = TEMPLATES.render_one("maintainer.digest.txt", sample_context())
    assert rendered.subject and "1 to review" in rendered.subject
    assert "#42  waiting" in rendered.body
    assert "could not be read with confidence. (unreadable)" in rendered.body
    assert not parse_commands(rendered.body).any
    settings = load_settings(REPO / "config" / "licensebot.toml", environ={})
    notice = TEMPLATES.render("maintainer.case_notice", sample_notice_context(settings))
    assert "Reply with: approve 42" in notice.body and "命令：approve 42" in notice.body
    assert not parse_commands(notice.body).any
    confirmation = TEMPLATES.render_one("maintainer.review_result.txt", review_result_sample())
    assert not parse_commands(confirmation.body).any


def test_every_queued_case_has_mailto_actions_with_the_review_commands() -> None:
    from urllib.parse import parse_qs, unquote, urlsplit

    [case] = sample_context()["queue"]  # type: ignore[misc]
    hrefs = {a["verb"]: a["href"] for a in case["actions"]}
    assert set(hrefs) == {"approve", "reject", "note", "status"}
    for label, command in (("approve", "approve 42"), ("status", "status 42")):
        url = urlsplit(hrefs[label])
        assert url.scheme == "mailto" and unquote(url.path) == "sirui@mail.ustc.edu.cn"
        query = parse_qs(url.query)
        assert query["body"] == [command]
        assert parse_commands(query["body"][0]).commands[0].line == command
    assert case["reason_texts"][0]["code"] == "unreadable"
