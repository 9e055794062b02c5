"""SQLite: one text form for every stored moment

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03

SQLite keeps a DATETIME as text, and SQLAlchemy writes "YYYY-MM-DD HH:MM:SS.ffffff". The
bulk inserts (measurement imports, FHIR imports, the eligibility table) wrote whole seconds
as "YYYY-MM-DD HH:MM:SS" (the driver's own adapter), which sorts before the same moment in
the long form: a comparison with a bound moment (a period that starts at that second, an
equality look-up) missed those rows. Such values get their ".000000"; PostgreSQL stores
timestamps, not text, and has nothing to do. Downgrade: nothing to undo (the same moments).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHORT = 19  # len("2026-12-03 08:00:00")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    inspector = sa.inspect(bind)
    for table in inspector.get_table_names():
        for column in inspector.get_columns(table):
            if not isinstance(column["type"], sa.DateTime):
                continue
            name = column["name"]
            op.execute(
                sa.text(
                    f'UPDATE "{table}" SET "{name}" = "{name}" || \'.000000\' '
                    f'WHERE length("{name}") = {SHORT}'
                )
            )


def downgrade() -> None:
    """Nothing to undo: the long form names the same moments, and the older code reads it."""
