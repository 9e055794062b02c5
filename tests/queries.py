"""Count the SQL statements a block of code sends (for "does not grow with the patients")."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def count_statements(engine) -> Iterator[list[str]]:
    """Every statement executed on ``engine`` inside the block, in order."""
    statements: list[str] = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)


@contextmanager
def sqlite_steps(session) -> Iterator[list[int]]:
    """SQLite virtual-machine instructions the session's connection runs inside the block
    (``steps[0]``, in thousands): work done, independent of the machine's speed, to show that a
    statement grows linearly with its rows and not with their square."""
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    raw = session.connection().connection.driver_connection
    raw.set_progress_handler(tick, 1000)
    try:
        yield steps
    finally:
        raw.set_progress_handler(None, 0)
