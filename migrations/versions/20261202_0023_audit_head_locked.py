"""audit append in fewer round trips: a PostgreSQL function that takes the append lock and
then reads the chain's head

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# VOLATILE (the default) on purpose: PL/pgSQL runs each statement of a volatile function with
# a fresh snapshot, so the SELECT sees every append committed before the lock was granted. A
# single statement (a CTE, INSERT ... SELECT) that takes the lock has its snapshot from before
# the wait and could read a stale head; keep the two steps separate statements.
# The key is zelfzorg.db.PG_APPEND_LOCK_KEY.
CREATE = """
CREATE FUNCTION audit_chain_head_locked(OUT id integer, OUT hash varchar)
RETURNS SETOF record
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7513);
    RETURN QUERY SELECT a.id, a.hash FROM audit_entry a ORDER BY a.id DESC LIMIT 1;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_chain_head_locked()")
