"""A practice's staff list reads its staff, not every account of the care group.

``practice_staff`` (the POH patient page, alert routing, goal assignment) once asked for
"this practice's own OR a member" in one condition, which SQLite, with the statistics of a
generated care group (most accounts are patients', without a practice), answered by reading
every account: a cost that grows with the care group on a page that shows a few names. It is
checked in SQLite's query plan on its own SQLite file, as the plan is SQLite's."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from zelfzorg.accounts.models import PracticeMembership, Role, User
from zelfzorg.accounts.services import practice_staff
from zelfzorg.db import make_engine
from zelfzorg.generator import generate


def test_the_staff_list_is_found_by_index_not_by_reading_every_account(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'staff.db'}")
    import zelfzorg.models_registry  # noqa: F401 - every table in the metadata

    SQLModel.metadata.create_all(engine)
    generate(engine, patients_n=300, practices_n=2, years=1, seed=3, today=date(2026, 12, 1))
    with Session(engine) as db:
        first, second = db.execute(sa.text("SELECT id FROM practice ORDER BY id")).scalars()
        # A professional of the other practice who also works here (a membership).
        member = db.exec(
            select(User).where(User.practice_id == second, User.role == Role.professional)
        ).first()
        db.add(PracticeMembership(user_id=member.id, practice_id=first))
        db.commit()
        own = db.exec(
            select(User.name).where(User.practice_id == first, User.role == Role.professional)
        ).all()
        expected = sorted([*own, member.name])

        sent: list[tuple[str, tuple]] = []

        def remember(_conn, _cursor, statement, parameters, *_):
            sent.append((statement, parameters))

        sa.event.listen(engine, "before_cursor_execute", remember)
        staff = practice_staff(db, first)
        sa.event.remove(engine, "before_cursor_execute", remember)
        assert [u.name for u in staff] == expected
        statement, parameters = next((st, p) for st, p in sent if "user_account" in st)
        raw = db.connection().connection.driver_connection
        plan = [row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)]
        # Index look-ups only: no step reads every account (as "SCAN user_account" did).
        assert not [step for step in plan if step.startswith("SCAN user_account")], plan
    engine.dispose()
