"""Is this text an email address? email-validator's syntax check (RFC 5321/5322, IDNA, no
DNS lookups), for the addresses in the configuration and the work email read from a form."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


def address_problem(text: str) -> str | None:
    """Why `text` is not an email address, or None when it is one."""
    try:
        # test_environment: `.test` domains (RFC 2606) pass, for the bot's own test setups
        validate_email(text, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        return str(exc)
    return None


def normalized_address(text: str) -> str | None:
    """The address in its normal form (the domain lower-cased, IDNA checked), or None."""
    try:
        found = validate_email(text, check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        return None
    return str(found.normalized)
