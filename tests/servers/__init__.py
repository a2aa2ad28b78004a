"""Real servers for integration tests, end-to-end tests and bench scripts (no pytest inside).

- `tests.servers.dovecot.DovecotServer`: private Dovecot IMAP(S) server, passwd-file users.
- `tests.servers.smtp.SmtpServer`: capturing aiosmtpd server with TLS, AUTH and faults.
- `tests.servers.postgres.postgres_schema()`: fresh schema on the local PostgreSQL.
- `tests.servers.tls.TestCA`: throw-away CA (openssl CLI) shared by the above.

From a script under bench/, put the repository root on sys.path first:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
Set LICENSEBOT_KEEP_SERVERS=1 to keep a Dovecot temp dir (config, log, Maildirs) after stop().
"""
