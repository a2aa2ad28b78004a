"""The root of licensebot's own errors. Each error says what to do in its message; the CLI
catches the root and prints that message as one line (`licensebot.cli.app.main`).

    LicensebotError
    ├── ConfigError            config            the configuration cannot be used
    │   └── SecretMissing      config            a secret it names is not set
    ├── MailboxError           mail.sources      a mailbox cannot be opened or used
    ├── TemplateError          mail.templates    a reply template is missing or does not render
    ├── TemplateCheckFailed    worker.runner     the templates fail the start-up check
    └── LaError                worker.la         an LA publication cannot go ahead

The reading layer's errors (`reading/`: ReadError, OcrError, RapidError, PageRenderError,
LaConfigError, OrientationModelMissing, FontMissingError) still derive from `Exception`; they
join this tree when the reader's owner moves them (one base class each).
"""

from __future__ import annotations


class LicensebotError(Exception):
    """Something licensebot cannot do; the message says what to change."""
