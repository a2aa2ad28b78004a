"""A throw-away certificate authority for the test servers (openssl CLI, no extra dependency).

`TestCA.create(directory)` makes a self-signed CA; `ca.issue(directory)` a server certificate
for `localhost` / 127.0.0.1 signed by it. Clients verify against `ca.ca_file`.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

_DEFAULT_SANS = ("DNS:localhost", "IP:127.0.0.1")


def _openssl(*args: str, cwd: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("the `openssl` command is needed to make test certificates")
    result = subprocess.run([openssl, *args], cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed: {result.stderr.strip()}")


@dataclass(frozen=True)
class ServerCert:
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        """An SSL context for a server presenting this certificate."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


@dataclass(frozen=True)
class TestCA:
    __test__ = False  # not a pytest test class

    directory: Path
    ca_file: Path
    key_file: Path

    @classmethod
    def create(cls, directory: Path | None = None, name: str = "licensebot test CA") -> TestCA:
        directory = Path(directory or tempfile.mkdtemp(prefix="licensebot-ca-"))
        directory.mkdir(parents=True, exist_ok=True)
        _openssl(
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "30", "-subj", f"/CN={name}",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout", "ca.key", "-out", "ca.pem",
            cwd=directory,
        )  # fmt: skip
        return cls(directory=directory, ca_file=directory / "ca.pem", key_file=directory / "ca.key")

    def issue(
        self, directory: Path, name: str = "localhost", sans: tuple[str, ...] = _DEFAULT_SANS
    ) -> ServerCert:
        """A server certificate (and key) signed by this CA, written into `directory`."""
        directory.mkdir(parents=True, exist_ok=True)
        ext = directory / f"{name}.ext"
        ext.write_text(
            "basicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature,keyEncipherment\n"
            "extendedKeyUsage=serverAuth\n"
            f"subjectAltName={','.join(sans)}\n"
        )
        _openssl(
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-subj", f"/CN={name}", "-keyout", f"{name}.key", "-out", f"{name}.csr",
            cwd=directory,
        )  # fmt: skip
        _openssl(
            "x509", "-req", "-in", f"{name}.csr", "-CA", str(self.ca_file),
            "-CAkey", str(self.key_file), "-CAcreateserial", "-days", "30",
            "-extfile", str(ext), "-out", f"{name}.pem",
            cwd=directory,
        )  # fmt: skip
        return ServerCert(cert_file=directory / f"{name}.pem", key_file=directory / f"{name}.key")

    def client_context(self) -> ssl.SSLContext:
        """A client SSL context that trusts this CA (and only it), hostname checks on."""
        return ssl.create_default_context(cafile=str(self.ca_file))
