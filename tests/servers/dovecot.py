"""A private Dovecot IMAP server for integration tests and bench scripts (no pytest needed).

    with DovecotServer(users={"bot": "secret"}) as server:
        client = server.client("bot")          # logged-in IMAPClient over IMAPS, CA-verified

Dovecot (Debian's /usr/sbin/dovecot, 2.3.x) runs in the foreground with its own config in a
temp dir: 127.0.0.1 only, free ports for IMAPS (implicit TLS) and plain IMAP, passwd-file users,
Maildir storage, log file in the temp dir. Works as root and as an unprivileged user.

`deliver()` hands a message to Dovecot's LDA, as an MTA delivers mail (`append()` is an IMAP
client's APPEND). With `push_url`, a delivery to a user's INBOX is pushed to that URL by the
push_notification plugin's `ox` driver (HTTP PUT, JSON), as deploy/README.md configures it.
"""

from __future__ import annotations

import contextlib
import getpass
import grp
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from imapclient import IMAPClient

from tests.servers.tls import TestCA

DOVECOT_BIN = os.environ.get("LICENSEBOT_DOVECOT", "/usr/sbin/dovecot")
LDA_BIN = "/usr/lib/dovecot/dovecot-lda"
DOVEADM_BIN = "/usr/bin/doveadm"
#: The server METADATA entry that turns the `ox` push driver on for a user.
PUSH_METADATA_KEY = "/private/vendor/vendor.dovecot/http-notify"
# The user the `dovecot` fixtures create (the bot's mailbox).
BOT_USER = "bot"
BOT_PASSWORD = "bot-password"

_DH_FILE = Path("/usr/share/dovecot/dh.pem")

# Dovecot 2.3.19's post-login CAPABILITY minus IDLE; `imap_capability` replaces the whole list.
_CAPS_WITHOUT_IDLE = (
    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE SORT SORT=DISPLAY THREAD=REFERENCES "
    "THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN "
    "NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES "
    "WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW "
    "STATUS=SIZE SAVEDATE LITERAL+ NOTIFY SPECIAL-USE"
)


class DovecotError(RuntimeError):
    pass


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def dovecot_version(binary: str = DOVECOT_BIN) -> tuple[int, ...]:
    if not Path(binary).exists():
        raise DovecotError(f"{binary} not found: install Debian's dovecot-imapd")
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True)
    match = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", out.stdout.strip())
    if match is None:
        raise DovecotError(f"cannot parse `dovecot --version`: {out.stdout!r}")
    return tuple(int(part) for part in match.groups() if part is not None)


class DovecotServer:
    """A Dovecot instance of its own. `start()`/`stop()` or use it as a context manager."""

    def __init__(
        self,
        users: Mapping[str, str] | None = None,
        *,
        idle: bool = True,
        ca: TestCA | None = None,
        directory: Path | None = None,
        binary: str = DOVECOT_BIN,
        oauth2_introspection_url: str | None = None,
        push_url: str | None = None,
    ) -> None:
        self.idle = idle
        # Deliveries (`deliver()`) to a user's INBOX are PUT to this URL (the `ox` driver).
        self.push_url = push_url
        # XOAUTH2/OAUTHBEARER logins are checked by POSTing the token to this URL (RFC 7662).
        self.oauth2_introspection_url = oauth2_introspection_url
        self.binary = binary
        self._own_dir = directory is None
        self.directory = Path(
            directory or tempfile.mkdtemp(prefix="licensebot-dovecot-", dir=_base_temp_dir())
        )
        self.ca = ca
        self.host = "127.0.0.1"
        self.imaps_port = 0
        self.imap_port = 0
        self._users: dict[str, str] = dict(users or {})
        self._process: subprocess.Popen[bytes] | None = None

    # --- paths -------------------------------------------------------------------------
    @property
    def ca_file(self) -> Path:
        assert self.ca is not None, "server not started"
        return self.ca.ca_file

    def client_context(self) -> ssl.SSLContext:
        """An SSL context for clients that trusts (only) this server's CA."""
        assert self.ca is not None, "server not started"
        return self.ca.client_context()

    @property
    def log_file(self) -> Path:
        return self.directory / "dovecot.log"

    @property
    def config_file(self) -> Path:
        return self.directory / "dovecot.conf"

    @property
    def maildir_root(self) -> Path:
        return self.directory / "mail"

    def log(self) -> str:
        """The server log so far (for debugging failed tests)."""
        try:
            return self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # --- users -------------------------------------------------------------------------
    def add_user(self, name: str, password: str) -> None:
        """Adds (or re-passwords) a user; passwd-file is re-read by Dovecot on change."""
        if any(c in name + password for c in ":\n"):
            raise ValueError("user names and passwords must not contain ':' or newlines")
        self._users[name] = password
        self._write_passwd()
        if self.push_url and self._process is not None:
            self._enable_push(name)

    @property
    def users(self) -> dict[str, str]:
        return dict(self._users)

    def _write_passwd(self) -> None:
        lines = [f"{name}:{{PLAIN}}{password}::::::\n" for name, password in self._users.items()]
        tmp = self.directory / "users.tmp"
        tmp.write_text("".join(lines))
        tmp.chmod(0o644)
        tmp.replace(self.directory / "users")

    # --- lifecycle ---------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> DovecotServer:
        version = dovecot_version(self.binary)
        if version >= (2, 4):
            raise DovecotError(
                f"Dovecot {'.'.join(map(str, version))} found; this harness writes 2.3 config "
                "syntax (Debian 12 ships 2.3.19). Adapt tests/servers/dovecot.py for 2.4."
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.ca is None:
            self.ca = TestCA.create(self.directory / "ca")
        cert = self.ca.issue(self.directory / "tls")
        for sub in ("run", "state", "mail"):
            (self.directory / sub).mkdir(exist_ok=True)
        if os.getuid() == 0:
            # The imap processes run as the `dovecot` user: let them reach and fill mail/.
            self.directory.chmod(0o755)
            os.chown(self.directory / "mail", *self._mail_ids())
        self._write_passwd()
        last_error = ""
        for _attempt in range(3):  # a free port may be taken between probing and binding
            self.imaps_port, self.imap_port = free_port(), free_port()
            self.config_file.write_text(self._config(cert.cert_file, cert.key_file))
            self._process = subprocess.Popen(
                [self.binary, "-F", "-c", str(self.config_file)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so stop() ends the children
            )
            try:
                self._wait_ready(timeout)
                if self.push_url:
                    for name in self._users:
                        self._enable_push(name)
                return self
            except DovecotError as error:
                last_error = str(error)
                self._terminate()
                if "Address already in use" not in last_error:
                    break
        raise DovecotError(last_error)

    def restart(self, *, down_for: float = 0.0, timeout: float = 10.0) -> None:
        """Kill the server (every connection drops at once) and start it again on the same
        ports with the same mail, after `down_for` seconds."""
        self._terminate()
        time.sleep(down_for)
        self._process = subprocess.Popen(
            [self.binary, "-F", "-c", str(self.config_file)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        assert self._process is not None
        deadline = time.monotonic() + timeout
        pending = [self.imaps_port, self.imap_port]
        while pending:
            if self._process.poll() is not None:
                output = (
                    self._process.stdout.read().decode(errors="replace")
                    if (self._process.stdout)
                    else ""
                )
                raise DovecotError(
                    f"dovecot exited with {self._process.returncode}:\n{output}\n{self.log()}"
                )
            with (
                contextlib.suppress(OSError),
                socket.create_connection((self.host, pending[0]), timeout=0.5),
            ):
                pending.pop(0)
                continue
            if time.monotonic() > deadline:
                raise DovecotError(f"dovecot did not listen within {timeout}s:\n{self.log()}")
            time.sleep(0.02)

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        # SIGTERM makes Dovecot's master wait ~1 s for its children; this is a throw-away
        # test server, so SIGKILL its whole process group (the group we created) at once.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        if process.stdout:
            process.stdout.close()

    def stop(self) -> None:
        self._terminate()
        if self._own_dir and not os.environ.get("LICENSEBOT_KEEP_SERVERS"):
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> DovecotServer:
        return self.start() if self._process is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @staticmethod
    def _mail_ids() -> tuple[int, int]:
        """uid/gid the imap processes run as: ours, or (as root; Dovecot refuses uid 0) the
        `dovecot` system user's."""
        if os.getuid() != 0:
            return os.getuid(), os.getgid()
        entry = pwd.getpwnam(_system_user("dovecot"))
        return entry.pw_uid, entry.pw_gid

    def _config(self, cert_file: Path, key_file: Path) -> str:
        uid, gid = self._mail_ids()
        user = pwd.getpwuid(os.getuid()).pw_name if _has_pw(os.getuid()) else getpass.getuser()
        internal_user = login_user = auth_user = user
        group_line = f"default_internal_group = {grp.getgrgid(os.getgid()).gr_name}\n"
        login_chroot = ""
        if os.getuid() == 0:
            # Dovecot refuses to run login processes as root: use Debian's system users,
            # chrooted into base_dir/login by the master (the temp dir's parents may be 0700);
            # auth stays root so it can read the passwd-file wherever the temp dir is.
            internal_user = _system_user("dovecot")
            login_user = _system_user("dovenull")
            login_chroot = "login"
            group_line = ""  # Debian's `dovecot` group
        d = self.directory
        dh = f"ssl_dh = <{_DH_FILE}\n" if _DH_FILE.exists() else ""
        caps = "" if self.idle else f"  imap_capability = {_CAPS_WITHOUT_IDLE}\n"
        oauth_mechs = oauth_passdb = push = ""
        if self.push_url:
            # the `ox` driver PUTs a JSON note per delivery (LDA, LMTP) to INBOX, for the users
            # whose server METADATA has PUSH_METADATA_KEY (set by `_enable_push`)
            push = (
                "mail_attribute_dict = file:%h/dovecot-attributes\n"
                "protocol lda {\n  mail_plugins = $mail_plugins notify push_notification\n}\n"
                f"plugin {{\n  push_notification_driver = ox:url={self.push_url}\n}}\n"
            )
        if self.oauth2_introspection_url:
            oauth_mechs = " xoauth2 oauthbearer"
            conf = self.directory / "oauth2.conf.ext"
            conf.write_text(
                f"introspection_mode = post\nintrospection_url = {self.oauth2_introspection_url}\n"
                "username_attribute = username\nactive_attribute = active\nactive_value = true\n"
            )
            oauth_passdb = (
                "passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n"
                f"  args = {conf}\n}}\n"
            )
        return f"""# generated by tests/servers/dovecot.py
protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
instance_name = licensebot-test-{self.imaps_port}
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
debug_log_path = {d}/dovecot.log
default_internal_user = {internal_user}
default_login_user = {login_user}
{group_line}first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
last_valid_gid = {gid}
mail_location = maildir:{d}/mail/%u/Maildir
mail_max_userip_connections = 1000
disable_plaintext_auth = no
auth_mechanisms = plain login{oauth_mechs}
auth_failure_delay = 0
ssl = yes
ssl_cert = <{cert_file}
ssl_key = <{key_file}
{dh}ssl_min_protocol = TLSv1.2
login_trusted_networks =
verbose_proctitle = no
{oauth_passdb}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/mail/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
  }}
  mailbox Trash {{
    special_use = \\Trash
  }}
}}
service imap-login {{
  chroot = {login_chroot}
  user = {login_user}
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service auth {{
  user = {auth_user}
}}
service auth-worker {{
  user = {auth_user}
}}
service imap {{
  process_limit = 1024
}}
protocol imap {{
  mail_max_userip_connections = 1000
  imap_id_log = *
{caps}}}
{push}"""

    def _enable_push(self, user: str) -> None:
        """Turn the `ox` push driver on for `user` (a server METADATA entry, as OX App Suite
        or an operator's `doveadm` sets it)."""
        args = ("mailbox", "metadata", "set", "-u", user, "-s", "", PUSH_METADATA_KEY)
        # Dovecot's auth checks the passwd-file for changes at most once a second: a user
        # added within a second of a lookup is unknown until the next second.
        deadline = time.monotonic() + 3
        while True:
            try:
                self._doveadm(*args, f"user={user}")
                return
            except DovecotError as error:
                if "doesn't exist" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def _doveadm(self, *args: str) -> None:
        done = subprocess.run(
            [DOVEADM_BIN, "-c", str(self.config_file), *args],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise DovecotError(f"doveadm {' '.join(args)}: {done.stderr or done.stdout}")

    # --- delivery ----------------------------------------------------------------------
    def deliver(self, user: str, raw: bytes, *, sender: str = "mta@example.test") -> None:
        """Deliver a message to `user`'s INBOX through Dovecot's LDA, as an MTA would (a
        MessageNew event: what the `ox` push driver reports)."""
        done = subprocess.run(
            [LDA_BIN, "-c", str(self.config_file), "-d", user, "-f", sender],
            input=raw,
            capture_output=True,
            check=False,
            timeout=30,
        )
        if done.returncode != 0:
            raise DovecotError(
                f"dovecot-lda exited with {done.returncode}: {done.stderr.decode(errors='replace')}"
            )

    # --- IMAP helpers ------------------------------------------------------------------
    def client(self, user: str, *, tls: bool = True, timeout: float = 10.0) -> IMAPClient:
        """A logged-in IMAPClient (IMAPS verified against `ca_file`, or plain IMAP)."""
        assert self.ca is not None, "server not started"
        if tls:
            client = IMAPClient(
                "localhost",
                port=self.imaps_port,
                ssl=True,
                ssl_context=self.client_context(),
                timeout=timeout,
            )
        else:
            client = IMAPClient(self.host, port=self.imap_port, ssl=False, timeout=timeout)
        client.login(user, self._users[user])
        return client

    @contextlib.contextmanager
    def _session(self, user: str) -> Any:
        client = self.client(user)
        try:
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def create_folder(self, user: str, folder: str) -> None:
        with self._session(user) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)

    def folder_exists(self, user: str, folder: str) -> bool:
        with self._session(user) as client:
            return bool(client.folder_exists(folder))

    def append(
        self,
        user: str,
        folder: str,
        raw: bytes,
        flags: Sequence[bytes | str] = (),
    ) -> int:
        """APPENDs a message (creating the folder if needed) and returns its UID."""
        with self._session(user) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            response = client.append(folder, raw, flags=tuple(flags))
            return _appenduid(response)

    def uids(self, user: str, folder: str) -> list[int]:
        with self._session(user) as client:
            client.select_folder(folder, readonly=True)
            return sorted(int(uid) for uid in client.search("ALL"))

    def fetch_raw(self, user: str, folder: str) -> dict[int, bytes]:
        """UID -> raw message bytes of everything in the folder (read-only, flags untouched)."""
        with self._session(user) as client:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            data = client.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
            return {int(uid): bytes(item[b"BODY[]"]) for uid, item in data.items()}

    def flags(self, user: str, folder: str) -> dict[int, tuple[bytes, ...]]:
        with self._session(user) as client:
            client.select_folder(folder, readonly=True)
            data = client.get_flags(client.search("ALL"))
            return {int(uid): tuple(flags) for uid, flags in data.items()}

    def uidvalidity(self, user: str, folder: str) -> int:
        with self._session(user) as client:
            return int(client.folder_status(folder, ["UIDVALIDITY"])[b"UIDVALIDITY"])

    def reset_uidvalidity(self, user: str, folder: str) -> int:
        """Recreates `folder` with the same messages (and flags) under a new UIDVALIDITY and
        new UIDs (all greater than any old one); returns the new UIDVALIDITY.
        Not for INBOX (it cannot be deleted)."""
        if folder.upper() == "INBOX":
            raise ValueError("INBOX cannot be deleted; use another folder")
        with self._session(user) as client:
            old = int(client.folder_status(folder, ["UIDVALIDITY"])[b"UIDVALIDITY"])
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            data = client.fetch(uids, ["BODY.PEEK[]", "FLAGS"]) if uids else {}
            client.unselect_folder()
            client.delete_folder(folder)
            # Dovecot derives UIDVALIDITY from the clock (seconds): make sure it moves on.
            new = old
            for _ in range(50):
                client.create_folder(folder)
                new = int(client.folder_status(folder, ["UIDVALIDITY"])[b"UIDVALIDITY"])
                if new != old:
                    break
                client.delete_folder(folder)
                time.sleep(0.1)
            if new == old:
                raise DovecotError("UIDVALIDITY did not change")
            # A fresh folder numbers from 1 again; push UIDNEXT past the old UIDs (filler
            # messages, expunged) so that no message keeps its old UID number.
            if data:
                client.multiappend(folder, [b"Subject: filler\r\n\r\n.\r\n"] * max(data))
                client.select_folder(folder)
                client.delete_messages(client.search("ALL"))
                client.expunge()
                client.unselect_folder()
            for uid in sorted(data):
                item = data[uid]
                flags = tuple(f for f in item[b"FLAGS"] if f != b"\\Recent")
                client.append(folder, bytes(item[b"BODY[]"]), flags=flags)
            return new


def _world_traversable(path: Path) -> bool:
    return all(p.exists() and p.stat().st_mode & 0o001 for p in (path, *path.parents))


def _base_temp_dir() -> str | None:
    """Where to make the server's temp dir. As root, the mail processes run as another user,
    so every parent must be world-traversable (some machines have a 0700 /tmp)."""
    if os.getuid() != 0 or _world_traversable(Path(tempfile.gettempdir())):
        return None
    for candidate in ("/var/tmp", "/dev/shm"):
        if _world_traversable(Path(candidate)):
            return candidate
    raise DovecotError("running as root needs a world-traversable temp dir (set TMPDIR)")


def _system_user(name: str) -> str:
    try:
        pwd.getpwnam(name)
    except KeyError as error:
        raise DovecotError(
            f"running as root needs the system user {name!r} (created by Debian's dovecot-core)"
        ) from error
    return name


def _has_pw(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
    except KeyError:
        return False
    return True


def _appenduid(response: bytes | str) -> int:
    text = response.decode() if isinstance(response, bytes) else str(response)
    match = re.search(r"APPENDUID \d+ (\d+)", text)
    if match is None:
        raise DovecotError(f"no APPENDUID in APPEND response: {text!r}")
    return int(match.group(1))
