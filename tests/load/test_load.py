"""The load and fault test in its reduced form (about 25 s): gunicorn with 3 workers on the
suite's database kind (a database of its own), mixed patient and POH traffic with writes, one
worker killed with SIGKILL halfway; every acknowledged write is stored once and the audit
chain verifies. The full run: ``python -m bench.loadtest`` (README, "Security and
reliability")."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bench.loadtest import LoadResult, Write, check, run
from bench.runner import fresh_database
from tests import conftest
from zelfzorg.db import make_engine


def _load_url() -> tuple[str, str]:
    url = conftest.test_database_url()
    if url.startswith("sqlite"):
        return "sqlite", fresh_database("sqlite", url)
    parsed = make_url(url)
    own = parsed.set(database=f"{parsed.database}_load").render_as_string(hide_password=False)
    return "postgresql", fresh_database("postgresql", own)


def test_killed_worker_loses_no_acknowledged_write_and_the_chain_verifies():
    db, url = _load_url()
    result = run(
        db=db, seconds=24, workers=3, clients=6, patients=60, url=url, echo=lambda _: None,
        save=False,
    )  # fmt: skip
    assert result.passed, result.problems
    assert result.killed_pid is not None and result.workers_after == 3
    assert result.writes_acknowledged > 0 and result.acknowledged_missing == 0
    assert result.duplicated == 0
    assert result.statuses.get("200", 0) > 0
    assert not any(code.startswith("5") for code in result.statuses)
    assert result.audit_ok and "Audit chain OK" in result.audit_output

    # The checker itself sees a lost write and a write stored twice.
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            ids = conn.execute(sa.text("SELECT id FROM measurement ORDER BY id LIMIT 2")).scalars()
            conn.execute(
                sa.text("UPDATE measurement SET note = 'load-twice' WHERE id IN :ids").bindparams(
                    sa.bindparam("ids", expanding=True)
                ),
                {"ids": list(ids)},
            )
        probe = LoadResult(db, 1, 1, 1)
        check(
            engine,
            [Write("measurement", "load-lost", 303), Write("measurement", "load-twice", 302)],
            probe,
        )
        assert probe.acknowledged_missing == 1 and probe.duplicated == 1
        assert not probe.passed
    finally:
        engine.dispose()


def test_a_response_cut_short_is_a_connection_failure_for_the_load_client():
    """A worker killed while it writes a page leaves a body shorter than its Content-Length
    (http.client's IncompleteRead, not an OSError): the client counts it as a broken
    connection, as a refused or reset one, and opens a fresh connection."""
    import socket
    import threading

    from bench.loadtest import Client

    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def answer_half():
        connection, _ = server.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf")

    thread = threading.Thread(target=answer_half)
    thread.start()
    client = Client(port, "session=x")
    try:
        with pytest.raises(ConnectionError, match="IncompleteRead"):
            client.request("GET", "/mijn/plan")
    finally:
        thread.join(5)
        client.close()
        server.close()
