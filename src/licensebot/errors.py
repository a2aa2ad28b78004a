"""The root of licensebot's own errors. Each error says what to do in its message; the CLI
catches the root and prints that message as one line (`licensebot.cli.app.main`).

    LicensebotError
    ├── ConfigError            config            the configuration cannot be used
    │   └── SecretMissing      config            a secret it names is not set
    ├── MailboxError           mail.sources      a mailbox cannot be opened or used
    ├── TemplateError          mail.templates    a reply template is missing or does not render
    ├── TemplateCheckFailed    worker.runner     the templates fail the start-up check
    ├── LaError                worker.la         an LA publication cannot go ahead
    ├── LaConfigError          reading.la_versions  config/la/ does not load
    ├── FontMissingError       reading.blank_form   a font the blank form needs is missing
    ├── OrientationModelMissing reading.orientation the direction model is not in the wheel
    ├── ReadError              reading.limits    a PDF cannot be read at all (its `code`)
    ├── OcrError               reading.ocr       Tesseract failed or timed out
    ├── RapidError             reading.rapid     RapidOCR failed on a cell
    └── PageRenderError        reading.pages     a page does not render

The reader's errors are caught inside it and become a `ReadForm.error` (a reply, never a
traceback); they are under the root so that a command reaching one prints one line.
"""

from __future__ import annotations


class LicensebotError(Exception):
    """Something licensebot cannot do; the message says what to change."""
