"""Load and fault test: mixed patient and POH traffic on gunicorn, one worker killed midway.

``python -m bench.loadtest [--db postgresql|sqlite] [--seconds 180] [--workers 4] [--clients 8]``

A fresh database (PostgreSQL: ``LOAD_DATABASE_URL``, default ``zelfzorg_load``, dropped and
created) gets a small generated care group; gunicorn (sync workers) serves it on 127.0.0.1.
Client threads, each a patient or a POH of the practice, read pages (plan, measurements,
worklist, a patient's measurements) and write: a patient enters a reading and proposes a goal,
a POH enters a reading for a patient. Every write carries a unique marker (the reading's note,
the goal's title). Halfway, one worker is killed with SIGKILL; gunicorn starts a new one.

Afterwards the database must prove: every acknowledged write (answered with a redirect) is
stored exactly once, no write is stored twice (also the unacknowledged ones, cut off by the
kill), no request answered 5xx, the worker count recovered, and ``audit-verify`` passes.
``tests/load/test_load.py`` runs a reduced form (about 30 s); the exit code is 1 on failure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from http.client import HTTPConnection, HTTPException
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bench.runner import RESULTS, ROOT, SECRET, build, fresh_database, session_cookie

LOAD_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/zelfzorg_load"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CONFIRM = re.compile(r'name="confirm"[^>]*value="([^"]+)"')


@dataclass
class Write:
    kind: str  # "measurement" or "goal"
    marker: str
    status: int | None  # None: no answer (connection cut)

    @property
    def acknowledged(self) -> bool:
        return self.status in (302, 303)


@dataclass
class LoadResult:
    database: str
    seconds: float
    workers: int
    clients: int
    requests: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    connection_errors: int = 0
    writes_sent: int = 0
    writes_acknowledged: int = 0
    acknowledged_missing: int = 0
    duplicated: int = 0
    killed_pid: int | None = None
    workers_after: int = 0
    audit_ok: bool = False
    audit_output: str = ""
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


class Client:
    """One keep-alive connection with the session cookie kept up to date."""

    def __init__(self, port: int, cookie: str):
        self.port = port
        self.cookie = cookie
        self.conn = HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = {"Cookie": self.cookie}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, HTTPException) as error:
            # A worker killed mid-answer cuts the body short (IncompleteRead is no OSError):
            # every broken connection is one kind of failure for the callers, counted as such.
            self.conn.close()
            self.conn = HTTPConnection("127.0.0.1", self.port, timeout=60)
            if isinstance(error, OSError):
                raise
            raise ConnectionError(f"{type(error).__name__}: {error}") from error
        for header, value in response.getheaders():
            if header.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        return response.status, text

    def close(self) -> None:
        self.conn.close()


@dataclass
class Persona:
    role: str  # "patient" or "poh"
    user_id: int
    patient_ids: list[int]


def personas(engine, patients: int, pohs: int) -> list[Persona]:
    with engine.connect() as conn:
        practice_id = conn.execute(
            sa.text(
                "SELECT practice_id FROM patient GROUP BY practice_id "
                "ORDER BY count(*) DESC, practice_id LIMIT 1"
            )
        ).scalar_one()
        patient_users = conn.execute(
            sa.text(
                "SELECT u.id, u.patient_id FROM user_account u "
                "JOIN patient p ON p.id = u.patient_id "
                "WHERE u.role = 'patient' AND u.is_active AND p.practice_id = :p "
                "ORDER BY u.id LIMIT :n"
            ),
            {"p": practice_id, "n": patients},
        ).all()
        poh_ids = conn.execute(
            sa.text(
                "SELECT id FROM user_account WHERE role = 'professional' AND discipline = 'poh' "
                "AND is_active AND practice_id = :p ORDER BY id LIMIT :n"
            ),
            {"p": practice_id, "n": pohs},
        ).scalars()
        practice_patients = [pid for _, pid in patient_users]
        result = [Persona("patient", uid, [pid]) for uid, pid in patient_users]
        result += [Persona("poh", uid, practice_patients) for uid in poh_ids]
    return result


def _when(rng: random.Random) -> datetime:
    """A distinct moment in the last days (the form has minutes), never in the future."""
    return datetime.now(AMSTERDAM) - timedelta(minutes=rng.randrange(5, 60 * 24 * 20))


def write_measurement(client: Client, path_new: str, rng: random.Random) -> Write:
    marker = f"load-{uuid.uuid4().hex}"
    status = None
    try:
        _, page = client.request("GET", path_new)
        token = CSRF.search(page)
        moment = _when(rng)
        form = {
            "csrf_token": token.group(1) if token else "",
            "date": moment.strftime("%Y-%m-%d"),
            "time": moment.strftime("%H:%M"),
            "steps": str(rng.randrange(3000, 9000)),
            "note": marker,
        }
        status, page = client.request("POST", path_new, form)
        confirm = CONFIRM.search(page) if status == 200 else None
        if confirm:  # an unlikely value asks to confirm; the same write, confirmed
            status, _ = client.request("POST", path_new, form | {"confirm": confirm.group(1)})
    except OSError:
        status = None
    return Write("measurement", marker, status)


def write_goal(client: Client, patient_id: int) -> Write:
    marker = f"load-{uuid.uuid4().hex[:24]}"
    status = None
    try:
        _, page = client.request("GET", "/mijn/plan")
        token = CSRF.search(page)
        form = {"csrf_token": token.group(1) if token else "", "title": marker, "domain": "health"}
        status, _ = client.request("POST", f"/patienten/{patient_id}/plan/doelen", form)
    except OSError:
        status = None
    return Write("goal", marker, status)


def drive(port: int, who: Persona, cookie: str, deadline: float, seed: int, out: dict) -> None:
    rng = random.Random(seed)
    client = Client(port, cookie)
    statuses: Counter = Counter()
    writes: list[Write] = []
    errors = 0
    while time.time() < deadline:
        pick = rng.random()
        patient_id = rng.choice(who.patient_ids)
        if who.role == "patient":
            if pick < 0.15:
                writes.append(write_measurement(client, "/mijn/metingen/nieuw", rng))
                continue
            if pick < 0.22:
                writes.append(write_goal(client, patient_id))
                continue
            path = "/mijn/plan" if pick < 0.6 else "/mijn/metingen"
        else:
            if pick < 0.12:
                new = f"/patienten/{patient_id}/metingen/nieuw"
                writes.append(write_measurement(client, new, rng))
                continue
            path = "/werklijst" if pick < 0.4 else f"/patienten/{patient_id}/metingen"
        try:
            status, _ = client.request("GET", path)
            statuses[str(status)] += 1
        except OSError:
            errors += 1
    client.close()
    for w in writes:
        statuses[str(w.status)] += 1
    out[seed] = (statuses, writes, errors)


def worker_pids(master: int) -> set[int]:
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return set()
    return {int(pid) for pid in children}


@contextmanager
def gunicorn(url: str, workers: int, port: int):
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=SECRET, ZELFZORG_ENV="production")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
         f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    try:
        deadline = time.time() + 60
        while len(worker_pids(server.pid)) < workers or not _answers(port):
            if time.time() > deadline or server.poll() is not None:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.3)
        yield server
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


def _answers(port: int) -> bool:
    conn = HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/login")
        response = conn.getresponse()
        response.read()
        return response.status == 200
    except OSError:
        return False
    finally:
        conn.close()


def check(engine, writes: list[Write], result: LoadResult) -> None:
    markers = {"measurement": [], "goal": []}
    for w in writes:
        markers[w.kind].append(w.marker)
    stored: Counter = Counter()
    with engine.connect() as conn:
        for kind, column in (("measurement", "note"), ("goal", "title")):
            names = markers[kind]
            for start in range(0, len(names), 500):
                rows = conn.execute(
                    sa.text(f"SELECT {column} FROM {kind} WHERE {column} IN :m").bindparams(
                        sa.bindparam("m", expanding=True)
                    ),
                    {"m": names[start : start + 500]},
                ).scalars()
                stored.update(rows)
    result.writes_sent = len(writes)
    result.writes_acknowledged = sum(w.acknowledged for w in writes)
    result.acknowledged_missing = sum(w.acknowledged and stored[w.marker] == 0 for w in writes)
    result.duplicated = sum(count > 1 for count in stored.values())
    if result.acknowledged_missing:
        result.problems.append(f"{result.acknowledged_missing} acknowledged writes missing")
    if result.duplicated:
        result.problems.append(f"{result.duplicated} writes stored more than once")
    if not result.writes_acknowledged:
        result.problems.append("no write was acknowledged")


def audit_verify(url: str) -> tuple[bool, str]:
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=SECRET, ZELFZORG_ENV="production")
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "zelfzorg", "audit-verify"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done.returncode == 0, (done.stdout + done.stderr).strip()


def run(
    *,
    db: str = "postgresql",
    seconds: float = 180,
    workers: int = 4,
    clients: int = 8,
    patients: int = 200,
    url: str | None = None,
    kill: bool = True,
    echo=print,
    save: bool = True,
) -> LoadResult:
    url = url or fresh_database(db, os.environ.get("LOAD_DATABASE_URL", LOAD_URL))
    app, engine = build(url, patients, 1, echo)
    pohs = max(1, clients // 4)
    people = personas(engine, patients=max(1, clients - pohs), pohs=pohs)
    people = people[:clients]
    cookies = [session_cookie(app, p.user_id, engine) for p in people]
    from bench.runner import free_port

    port = free_port()
    result = LoadResult(engine.dialect.name, seconds, workers, len(people))
    out: dict = {}
    with gunicorn(url, workers, port) as server:
        deadline = time.time() + seconds
        threads = [
            threading.Thread(target=drive, args=(port, p, c, deadline, i, out))
            for i, (p, c) in enumerate(zip(people, cookies, strict=True))
        ]
        for thread in threads:
            thread.start()
        if kill:
            time.sleep(seconds / 2)
            victim = min(worker_pids(server.pid))
            os.kill(victim, signal.SIGKILL)
            result.killed_pid = victim
            echo(f"killed worker {victim} (SIGKILL) at {seconds / 2:.0f} s")
        for thread in threads:
            thread.join(timeout=seconds + 120)
        recovered = time.time() + 30
        while len(worker_pids(server.pid)) < workers and time.time() < recovered:
            time.sleep(0.5)
        result.workers_after = len(worker_pids(server.pid))
        if kill and result.killed_pid in worker_pids(server.pid):
            result.problems.append("the killed worker is still listed")
    statuses: Counter = Counter()
    writes: list[Write] = []
    for s, w, errors in out.values():
        statuses.update(s)
        writes.extend(w)
        result.connection_errors += errors
    result.statuses = dict(sorted(statuses.items()))
    result.requests = sum(statuses.values())
    server_errors = sum(n for code, n in statuses.items() if code.startswith("5"))
    if server_errors:
        result.problems.append(f"{server_errors} answers 5xx")
    if result.workers_after < workers:
        result.problems.append(f"only {result.workers_after} of {workers} workers after the kill")
    check(engine, writes, result)
    result.audit_ok, result.audit_output = audit_verify(url)
    if not result.audit_ok:
        result.problems.append(f"audit-verify failed: {result.audit_output}")
    result.load_average = os.getloadavg()
    engine.dispose()
    echo(summary(result))
    if save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}-load-{result.database}.json"
        path.write_text(json.dumps(asdict(result) | {"passed": result.passed}, indent=2))
        echo(f"results: {path.relative_to(ROOT)}")
    return result


def summary(r: LoadResult) -> str:
    load = ", ".join(f"{x:.1f}" for x in r.load_average)
    return "\n".join(
        [
            f"load and fault test, {r.database}: {r.seconds:.0f} s, {r.workers} workers, "
            f"{r.clients} clients (load average {load})",
            f"requests: {r.requests} ({r.requests / r.seconds:.0f}/s), statuses {r.statuses}, "
            f"{r.connection_errors} cut connections (reads)",
            f"writes: {r.writes_sent} sent, {r.writes_acknowledged} acknowledged, "
            f"{r.acknowledged_missing} acknowledged but missing, {r.duplicated} duplicated",
            f"worker {r.killed_pid} killed; {r.workers_after} workers after",
            f"audit-verify: {r.audit_output}",
            "PASS" if r.passed else "FAIL: " + "; ".join(r.problems),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.loadtest")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--patients", type=int, default=200)
    args = parser.parse_args()
    result = run(
        db=args.db,
        seconds=args.seconds,
        workers=args.workers,
        clients=args.clients,
        patients=args.patients,
    )
    raise SystemExit(0 if result.passed else 1)


if __name__ == "__main__":
    main()
