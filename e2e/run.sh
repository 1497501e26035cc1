#!/usr/bin/env bash
# Real-server end-to-end tests of the Social Inbox plugin.
#
#   bash e2e/run.sh [BUNDLE] [go test flags...]
#
# BUNDLE defaults to the newest dist/social-inbox-*.tar.gz in the repository root (build it
# with `make dist`). Extra arguments go to `go test` (e.g. `-run TestOperatorClaimsLead`).
#
# Starts a throw-away PostgreSQL (Debian's packages; installed with apt-get when missing)
# on 127.0.0.1 and a free port, then runs the Go tests in e2e/, which start Mattermost
# in-process against it. PostgreSQL is stopped and its directory removed on exit.
set -euo pipefail

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$E2E_DIR/.." && pwd)"

log() { printf 'e2e: %s\n' "$*" >&2; }

# ---- the bundle -------------------------------------------------------------------------
BUNDLE=""
if [[ $# -gt 0 && "$1" != -* ]]; then
    BUNDLE="$1"
    shift
fi
if [[ -z "$BUNDLE" ]]; then
    BUNDLE="$(ls -t "$REPO_ROOT"/dist/social-inbox-*.tar.gz 2>/dev/null | head -n 1 || true)"
fi
if [[ -z "$BUNDLE" || ! -f "$BUNDLE" ]]; then
    log "plugin bundle not found${BUNDLE:+: $BUNDLE}; run \`make dist\` first (it writes dist/social-inbox-<version>.tar.gz)"
    exit 1
fi
BUNDLE="$(cd "$(dirname "$BUNDLE")" && pwd)/$(basename "$BUNDLE")"

# ---- PostgreSQL binaries --------------------------------------------------------------------
find_pg_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}
PG_BIN="$(find_pg_bin || true)"
if [[ -z "$PG_BIN" || ! -x "$PG_BIN/postgres" ]]; then
    log "PostgreSQL not found under /usr/lib/postgresql; installing Debian's postgresql package"
    SUDO=""
    if [[ "$(id -u)" -ne 0 ]]; then SUDO="sudo"; fi
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y postgresql
    PG_BIN="$(find_pg_bin || true)"
    if [[ -z "$PG_BIN" || ! -x "$PG_BIN/postgres" ]]; then
        log "postgresql installed but no /usr/lib/postgresql/*/bin/postgres found"
        exit 1
    fi
fi

# initdb refuses to run as root: run PostgreSQL as the postgres user when we are root.
as_pg() {
    if [[ "$(id -u)" -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# ---- a throw-away cluster -------------------------------------------------------------------
PG_TMP="$(mktemp -d "${TMPDIR:-/tmp}/social-inbox-e2e-pg.XXXXXX")"
PGDATA="$PG_TMP/data"
PG_PID=""

cleanup() {
    local rc=$?
    if [[ -z "$PG_PID" && -f "$PGDATA/postmaster.pid" ]]; then
        PG_PID="$(head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null || true)"
    fi
    if [[ -n "$PG_PID" ]] && kill -0 "$PG_PID" 2>/dev/null; then
        # SIGINT = PostgreSQL's "fast" shutdown.
        kill -INT "$PG_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$PG_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$PG_PID" 2>/dev/null; then
            kill -KILL "$PG_PID" 2>/dev/null || true
        fi
    fi
    rm -rf "$PG_TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ "$(id -u)" -eq 0 ]]; then
    chown postgres: "$PG_TMP"
fi
as_pg "$PG_BIN/initdb" --pgdata="$PGDATA" --username=postgres --auth=trust \
    --encoding=UTF8 --locale=C --no-sync >"$PG_TMP/initdb.log" 2>&1 || {
    cat "$PG_TMP/initdb.log" >&2
    log "initdb failed"
    exit 1
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

PG_PORT=""
for _ in $(seq 1 20); do
    candidate=$((20000 + RANDOM % 40000))
    [[ "$candidate" -eq 5432 ]] && continue
    port_in_use "$candidate" && continue
    if as_pg "$PG_BIN/pg_ctl" --pgdata="$PGDATA" --log="$PG_TMP/postgres.log" --wait --timeout=60 \
        -o "-c listen_addresses=127.0.0.1 -p $candidate -k $PG_TMP -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null 2>&1; then
        PG_PORT="$candidate"
        break
    fi
done
if [[ -z "$PG_PORT" ]]; then
    cat "$PG_TMP/postgres.log" >&2 2>/dev/null || true
    log "could not start PostgreSQL on a free port"
    exit 1
fi
PG_PID="$(head -n 1 "$PGDATA/postmaster.pid")"
log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') pid $PG_PID on 127.0.0.1:$PG_PORT"

as_pg "$PG_BIN/createdb" --host=127.0.0.1 --port="$PG_PORT" --username=postgres social_inbox_e2e

export SOCIAL_INBOX_E2E_DSN="postgres://postgres@127.0.0.1:$PG_PORT/social_inbox_e2e?sslmode=disable&connect_timeout=10"
export SOCIAL_INBOX_BUNDLE="$BUNDLE"
log "bundle $SOCIAL_INBOX_BUNDLE"

# ---- the tests ------------------------------------------------------------------------------
# No -trimpath: the server finds its i18n, templates and fonts through source paths.
cd "$E2E_DIR"
set +e
go test -count=1 -v -timeout 20m "$@" ./...
rc=$?
set -e
exit "$rc"
