#!/bin/sh
# licensebot container entrypoint. The first argument picks what to do:
#   run (default)  apply database migrations, then become `licensebot run` (the worker)
#   migrate        apply database migrations and exit
#   poll [ARGS]    `licensebot poll ARGS` (default: --once), a one-shot fetch
#   check          `licensebot config check`
#   anything else  passed to licensebot as is (`version`, `db current`, ...)
# The worker is exec'd, so it gets docker's SIGTERM itself (via tini, PID 1).
set -eu
# Stored mails, PDFs and the password file below: 0600/0700.
umask 077

# A PostgreSQL password in a docker secret becomes a libpq password file (PGPASSFILE), so it
# is in neither the database URL nor the environment of the bot and its OCR children.
if [ -n "${LICENSEBOT_DATABASE_PASSWORD_FILE:-}" ]; then
    secret=$LICENSEBOT_DATABASE_PASSWORD_FILE
    if [ ! -r "$secret" ] || [ ! -s "$secret" ]; then
        echo "licensebot-entrypoint: LICENSEBOT_DATABASE_PASSWORD_FILE=$secret is missing," \
            "empty or unreadable for uid $(id -u)" >&2
        exit 1
    fi
    PGPASSFILE=$(mktemp "${TMPDIR:-/tmp}/pgpass.XXXXXX")
    # First line of the secret; ':' and '\' escaped as the pgpass format wants.
    printf '*:*:*:*:%s\n' "$(sed -n '1{s/[\\:]/\\&/g;p;}' "$secret")" >"$PGPASSFILE"
    export PGPASSFILE
    unset LICENSEBOT_DATABASE_PASSWORD_FILE secret
fi

cmd=${1:-run}
if [ "$#" -gt 0 ]; then
    shift
fi

case "$cmd" in
    run)
        echo "licensebot-entrypoint: applying database migrations" >&2
        licensebot db upgrade
        exec licensebot run "$@"
        ;;
    migrate)
        exec licensebot db upgrade "$@"
        ;;
    poll)
        if [ "$#" -eq 0 ]; then
            set -- --once
        fi
        exec licensebot poll "$@"
        ;;
    check)
        exec licensebot config check "$@"
        ;;
    *)
        exec licensebot "$cmd" "$@"
        ;;
esac
