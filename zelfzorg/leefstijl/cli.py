"""``flask --app wsgi zelfzorg lifestyle-eligibility``: rebuild the maintained table."""

from __future__ import annotations

import click

from zelfzorg.cli import engine as cli_engine


def register(group) -> None:
    @group.command("lifestyle-eligibility")
    @click.option(
        "--today",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        help="Reference day (default: today).",
    )
    def rebuild_command(today):
        """Recompute every patient's lifestyle eligibility (set-based, one transaction)."""
        from zelfzorg.db import session_scope
        from zelfzorg.leefstijl import eligibility

        day = today.date() if today else eligibility.local_day(eligibility.utcnow())
        with session_scope(cli_engine()) as session:
            written = eligibility.rebuild(session, day)
        click.echo(f"{written} eligibility rows for {day.isoformat()}.")
