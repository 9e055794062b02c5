#!/usr/bin/env bash
# Smoke test of the README's run command, the way a newcomer meets it: clone the current commit
# (HEAD of this repository) into a temporary folder and run `make run` there on a free port:
# it must set up .venv, create and migrate the database, seed the demo, print the logins and
# serve. Then, over HTTP on 127.0.0.1 only: /login answers 200, the demo patient logs in
# (password only, CSRF token from the form) and "Mijn plan" shows her plan. The server is
# stopped (its whole process group) and the folder removed afterwards.
#
# Runs on SQLite, then on PostgreSQL in a new, uniquely named database that `make run` must
# create itself (dropped afterwards). PostgreSQL is skipped with SMOKE_POSTGRES=0 or
# SKIP_POSTGRES=1 (as in `make test`); otherwise a server that does not answer fails the run.
#
# Only committed work is tested: uncommitted changes are not part of the clone.
#
#   SMOKE_TIMEOUT   seconds to wait for each server to come up (default 360)
#   SMOKE_PG_SERVER PostgreSQL server URL without database
#                   (default postgresql+psycopg://postgres@127.0.0.1:5432)
#   SMOKE_KEEP=1    keep the temporary folder (for debugging)
set -euo pipefail

REPO=$(git -C "$(dirname "${BASH_SOURCE[0]}")/.." rev-parse --show-toplevel)
COMMIT=$(git -C "$REPO" rev-parse HEAD)
TIMEOUT=${SMOKE_TIMEOUT:-360}
PG_SERVER=${SMOKE_PG_SERVER:-postgresql+psycopg://postgres@127.0.0.1:5432}
if [ "${SKIP_POSTGRES:-0}" = "1" ]; then
  SMOKE_POSTGRES=${SMOKE_POSTGRES:-0}
fi
SMOKE_POSTGRES=${SMOKE_POSTGRES:-1}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/zelfzorg-smoke.XXXXXX")
CLONE="$WORK/zelfzorg"
SERVER_PGID=""
PG_DB=""
STARTED=$SECONDS

say() { echo "smoke: $*"; }

stop_server() {
  [ -n "$SERVER_PGID" ] || return 0
  kill -TERM -- "-$SERVER_PGID" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 -- "-$SERVER_PGID" 2>/dev/null || break
    sleep 0.2
  done
  kill -KILL -- "-$SERVER_PGID" 2>/dev/null || true
  SERVER_PGID=""
}

drop_pg_db() {
  [ -n "$PG_DB" ] || return 0
  "$CLONE/.venv/bin/python" - "$PG_SERVER" "$PG_DB" <<'PY' || say "could not drop database $PG_DB"
import sys
import psycopg
from sqlalchemy.engine import make_url

server = make_url(sys.argv[1] + "/postgres").set(drivername="postgresql")
try:
    dsn = server.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{sys.argv[2]}" WITH (FORCE)')
except psycopg.Error as error:
    sys.exit(f"smoke: {str(error).strip().splitlines()[0]}")
PY
  PG_DB=""
}

cleanup() {
  stop_server
  drop_pg_db
  if [ "${SMOKE_KEEP:-0}" = "1" ]; then
    say "kept $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "smoke: FAILED: $*" >&2
  if [ -n "${LOG:-}" ] && [ -f "$LOG" ]; then
    echo "---- last 60 lines of the server output ($LOG) ----" >&2
    tail -n 60 "$LOG" >&2
    echo "----" >&2
  fi
  exit 1
}

if [ -n "$(git -C "$REPO" status --porcelain --untracked-files=no)" ]; then
  say "NOTE: uncommitted changes in $REPO are not tested; this clones commit ${COMMIT:0:12}."
fi
say "cloning $REPO at ${COMMIT:0:12} into $CLONE"
git clone --quiet --no-checkout "$REPO" "$CLONE"
if ! git -C "$CLONE" cat-file -e "$COMMIT^{commit}" 2>/dev/null; then
  # HEAD on no branch (detached): hand the commit over explicitly.
  git -C "$REPO" push --quiet "$CLONE" "$COMMIT:refs/heads/smoke-run"
fi
git -C "$CLONE" checkout --quiet --detach "$COMMIT"
[ ! -e "$CLONE/instance" ] && [ ! -e "$CLONE/.venv" ] || fail "the clone is not fresh"

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# run_case NAME [VAR=value ...]: `make run` in the clone with that environment, then check it.
run_case() {
  local name=$1
  shift
  local port
  port=$(free_port)
  LOG="$WORK/run-$name.log"
  local pidfile="$WORK/run-$name.pid"
  say "[$name] make run PORT=$port (output in $LOG)"
  local t0=$SECONDS
  # setsid: the server and everything make starts share one process group, stopped together.
  (
    cd "$CLONE"
    unset DATABASE_URL SECRET_KEY VIRTUAL_ENV ZELFZORG_ENV SCHEDULER_ENABLED MAKEFLAGS MFLAGS MAKELEVEL
    exec env "$@" setsid bash -c 'echo $$ >"$0"; exec make run PORT="$1" HOST=127.0.0.1' \
      "$pidfile" "$port"
  ) >"$LOG" 2>&1 </dev/null &
  local launcher=$!
  for _ in $(seq 1 50); do
    [ -s "$pidfile" ] && break
    sleep 0.1
  done
  [ -s "$pidfile" ] || fail "[$name] make run did not start"
  SERVER_PGID=$(cat "$pidfile")

  local base="http://127.0.0.1:$port"
  local deadline=$((SECONDS + TIMEOUT))
  while :; do
    if ! kill -0 "$launcher" 2>/dev/null; then
      wait "$launcher" && rc=0 || rc=$?
      fail "[$name] make run exited (status $rc) before serving $base/login"
    fi
    if grep -q "Demo logins (password for all:" "$LOG" && grep -q "patient@demo.zelfzorg.nl" "$LOG" &&
      [ "$(python3 - "$base/login" <<'PY'
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy for 127.0.0.1
try:
    print(opener.open(sys.argv[1], timeout=5).status)
except Exception as error:
    print(getattr(error, "code", 0))
PY
)" = "200" ]; then
      break
    fi
    [ "$SECONDS" -lt "$deadline" ] || fail "[$name] no demo logins printed and /login answering 200 within ${TIMEOUT}s"
    sleep 1
  done
  say "[$name] serving with demo logins after $((SECONDS - t0))s; logging in as the demo patient"

  python3 - "$base" <<'PY' || fail "[$name] the demo patient could not open Mijn plan"
import html
import http.cookiejar
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

base = sys.argv[1]
opener = urllib.request.build_opener(
    urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
    urllib.request.ProxyHandler({}),  # 127.0.0.1 only, whatever the environment says
)


def get(path, data=None):
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with opener.open(base + path, body, timeout=30) as response:
            return response.status, response.geturl(), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.geturl(), error.read().decode(errors="replace")


def die(message):
    print(f"smoke: {message}", file=sys.stderr)
    sys.exit(1)


status, _, page = get("/login")
match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
if status != 200 or not match:
    die(f"GET /login: status {status}, CSRF token {'found' if match else 'missing'}")
status, url, page = get(
    "/login",
    {
        "csrf_token": html.unescape(match.group(1)),
        "email": "patient@demo.zelfzorg.nl",
        "password": "demo-wachtwoord-2026",
    },
)
if status != 200 or urllib.parse.urlsplit(url).path.startswith("/login"):
    flash = re.findall(r'class="flash[^"]*"[^>]*>(.*?)<', page, re.S)
    die(f"login as patient@demo.zelfzorg.nl failed: status {status} at {url} {flash}")
status, url, page = get("/mijn/plan")
if status != 200:
    die(f"GET /mijn/plan: status {status} at {url}")
expected = ["<h1>Mijn plan</h1>", "Mijn doelen", "Gerda Willemsen", "Afspraken"]
missing = [text for text in expected if text not in page]
if missing:
    die(f"GET /mijn/plan lacks {missing}")
goals = set(re.findall(r'<a href="/doelen/\d+">([^<]+)</a>', page))
if not goals:
    die("GET /mijn/plan shows no goals of the demo patient")
print(f"smoke: Mijn plan of Gerda Willemsen answers 200 with {len(goals)} goals")
PY
  stop_server
  say "[$name] OK in $((SECONDS - t0))s"
}

run_case sqlite

if [ "$SMOKE_POSTGRES" = "1" ]; then
  PG_DB="zelfzorg_smoke_$(date +%s)_$$"
  run_case postgresql "DATABASE_URL=$PG_SERVER/$PG_DB"
  drop_pg_db
else
  say "PostgreSQL run skipped (SMOKE_POSTGRES=0 or SKIP_POSTGRES=1)"
fi
say "all OK in $((SECONDS - STARTED))s (commit ${COMMIT:0:12})"
