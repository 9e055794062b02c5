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
