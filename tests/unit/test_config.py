from pathlib import Path

import pytest

from licensebot.config import ConfigError, SecretMissing, check_settings, load_settings, read_secret

DFME = Path(__file__).resolve().parents[2] / "config" / "licensebot.toml"


def test_the_dfme_deployment_config_loads_with_both_mailboxes() -> None:
    s = load_settings(DFME, environ={})
    assert [m.address for m in s.mailbox] == ["sirui@mail.ustc.edu.cn", "iamthy@mail.ustc.edu.cn"]
    assert all(
        m.host == "mail.ustc.edu.cn" and m.port == 993 and m.security == "tls" for m in s.mailbox
    )
    assert (s.smtp.port, s.smtp.security) == (465, "tls")
    assert s.auth.trusted_authserv_ids == ("mail.ustc.edu.cn",)
    assert s.schedule.idle_renew_seconds < 29 * 60
    assert s.storage.url() == "sqlite:////var/lib/licensebot/licensebot.sqlite3"


def test_environment_overrides_storage(tmp_path: Path) -> None:
    env = {
        "LICENSEBOT_DATABASE_URL": "postgresql+psycopg://db/x",
        "LICENSEBOT_DATA_DIR": str(tmp_path),
    }
    s = load_settings(DFME, environ=env)
    assert s.storage.url() == "postgresql+psycopg://db/x"
    assert s.storage.data_dir == tmp_path


def test_config_check_names_every_missing_secret() -> None:
    problems = check_settings(load_settings(DFME, environ={}), environ={})
    assert len(problems) == 5
    assert any(
        p.startswith("mailbox sirui@mail.ustc.edu.cn: ") and "LICENSEBOT_IMAP_PASSWORD_SIRUI" in p
        for p in problems
    )
    assert any("LICENSEBOT_SMTP_PASSWORD_FILE" in p for p in problems)
    assert any("LICENSEBOT_ACCESS_CODE" in p for p in problems)
    # The real download link is set by the DFME team before go-live; until then, no start.
    assert any("approval.download_instructions is empty" in p for p in problems)


def with_download(tmp_path: Path) -> Path:
    path = tmp_path / "licensebot.toml"
    text = DFME.read_text().replace(
        'download_instructions = { en = "", zh = "" }',
        'download_instructions = { en = "Open https://example.org/dl", zh = "打开下载页面" }',
    )
    path.write_text(text)
    for d in ("templates", "la"):
        (tmp_path / d).mkdir(exist_ok=True)
    return path


def test_config_check_passes_with_secrets_from_env_and_files(tmp_path: Path) -> None:
    secret = tmp_path / "smtp"
    secret.write_text("s3cret\n")
    env = {
        "LICENSEBOT_IMAP_PASSWORD_SIRUI": "a",
        "LICENSEBOT_IMAP_PASSWORD_IAMTHY": "b",
        "LICENSEBOT_SMTP_PASSWORD_FILE": str(secret),
        "LICENSEBOT_ACCESS_CODE": "code",
    }
    settings = load_settings(with_download(tmp_path), environ={})
    assert check_settings(settings, environ=env) == []
    assert read_secret("LICENSEBOT_SMTP_PASSWORD", environ=env) == "s3cret"


def test_an_empty_secret_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").write_text("")
    with pytest.raises(SecretMissing, match="empty"):
        read_secret("X", environ={"X_FILE": str(tmp_path / "empty")})


def test_invalid_settings_say_where_and_what(tmp_path: Path) -> None:
    bad = DFME.read_text().replace("port = 993", 'port = "nine"', 1)
    bad = bad.replace("idle_renew_seconds = 540", "idle_renew_seconds = 1800")
    path = tmp_path / "bad.toml"
    path.write_text(bad)
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    # the mailbox by its address, as the admin knows it, not by its place in the file
    assert "mailbox sirui@mail.ustc.edu.cn, port: " in str(info.value)
    assert "mailbox.0" not in str(info.value)
    assert "schedule.idle_renew_seconds" in str(info.value) and "29 minutes" in str(info.value)


def test_a_misnamed_setting_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "typo.toml"
    path.write_text(DFME.read_text().replace("poll_seconds = 60", "pol_seconds = 60"))
    with pytest.raises(ConfigError, match="pol_seconds"):
        load_settings(path, environ={})


def test_port_and_security_that_do_not_belong_together_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(DFME.read_text().replace("port = 465", "port = 587"))
    env = {
        "LICENSEBOT_IMAP_PASSWORD_SIRUI": "a",
        "LICENSEBOT_IMAP_PASSWORD_IAMTHY": "b",
        "LICENSEBOT_SMTP_PASSWORD": "c",
    }
    problems = check_settings(load_settings(path, environ={}), environ=env)
    assert 'smtp: port 587 is STARTTLS: set security = "starttls"' in problems
    assert any("templates does not exist" in p for p in problems)  # relative to the file


def test_plain_smtp_is_only_for_a_relay_on_this_machine() -> None:
    from licensebot.config import Smtp

    local = Smtp(host="127.0.0.1", security="none", auth="none", from_address="a@b.c")
    assert local.security == "none"
    with pytest.raises(ValueError, match="only for a relay on this machine"):
        Smtp(host="mail.ustc.edu.cn", security="none", auth="none", from_address="a@b.c")


def test_immediate_notices_without_maintainers_are_a_problem(tmp_path: Path) -> None:
    path = with_download(tmp_path)
    text = path.read_text().replace(
        'addresses = ["sirui@mail.ustc.edu.cn", "iamthy@mail.ustc.edu.cn"]', "addresses = []"
    )
    path.write_text(text.replace('notify = "digest"', 'notify = "immediately"'))
    problems = check_settings(load_settings(path, environ={}), environ={})
    assert any("nobody would get the notices" in p for p in problems)


def test_an_address_that_is_not_one_is_refused_where_it_stands(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(DFME.read_text().replace('"iamthy@mail.ustc.edu.cn"', '"iamthy@mail..ustc"', 1))
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    assert (
        "mailbox iamthy@mail..ustc, address: Value error, 'iamthy@mail..ustc' is not an email"
        in str(info.value)
    )
