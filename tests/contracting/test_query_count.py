"""The report's number of SQL statements does not grow with patients or practices."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from tests.contracting.test_reference import END, START, generate
from zelfzorg.contracting.services import compute_report


@contextmanager
def counting(engine):
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def test_query_count_is_independent_of_size(db, engine):
    sizes = []
    for seed, copies in ((3, 1), (4, 3)):
        groups = [generate(db, seed + 10 * i) for i in range(copies)]
        group = groups[0][0]
        if copies > 1:  # a bigger care group: the other generated practices join it
            for _other, practices, _people in groups[1:]:
                for practice in practices:
                    practice.care_group_id = group.id
                    db.add(practice)
            db.commit()
        with counting(engine) as statements:
            report = compute_report(db, care_group_id=group.id, start=START, end=END)
        sizes.append((len(report.practices), len(statements)))
    (small_practices, small), (big_practices, big) = sizes
    assert big_practices == 3 * small_practices
    assert small == big
    assert small < 40
