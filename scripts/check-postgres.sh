#!/usr/bin/env bash
# Fail loudly (not skip) when the PostgreSQL test server does not answer.
set -euo pipefail
url="$1"
hostport=$(python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1].replace("+psycopg","")); print(p.hostname or "127.0.0.1", p.port or 5432)' "$url")
read -r host port <<<"$hostport"
if ! python3 - "$host" "$port" <<'PY'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3).close()
except OSError:
    sys.exit(1)
PY
then
  echo "ERROR: no PostgreSQL server answers at $host:$port (TEST_DATABASE_URL=$url)." >&2
  echo "Start it (e.g. pg_ctlcluster --skip-systemctl-redirect 15 main start) or set SKIP_POSTGRES=1." >&2
  exit 1
fi
