"""``flask --app wsgi zelfzorg report``: a care group's contracting report to a file."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from zelfzorg.contracting.exports import FORMATS


def _day(_ctx, param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date as YYYY-MM-DD.", param=param) from None


def register(group: click.Group) -> None:
    @group.command("report")
    @click.option("--caregroup", "care_group_id", type=int, required=True, help="Care group id.")
    @click.option("--from", "start", required=True, callback=_day, help="First day, YYYY-MM-DD.")
    @click.option("--to", "end", required=True, callback=_day, help="Last day (reference date).")
    @click.option("--format", "fmt", type=click.Choice(FORMATS), required=True)
    @click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
    @click.option("--delimiter", type=click.Choice([",", ";"]), default=",", show_default=True)
    @click.option("--lang", type=click.Choice(["nl", "en"]), default="nl", show_default=True)
    def report(
        care_group_id: int,
        start: date,
        end: date,
        fmt: str,
        output: Path,
        delimiter: str,
        lang: str,
    ):
        """Export a care group's contracting report (suppressed for the insurer; audited)."""
        from zelfzorg.accounts.models import CareGroup
        from zelfzorg.cli import engine, refusals
        from zelfzorg.contracting.exports import SYSTEM_SUBJECT, audit_export, export_report
        from zelfzorg.contracting.services import check_period, compute_report
        from zelfzorg.db import session_scope

        if end < start:
            raise click.BadParameter("--to lies before --from.", param_hint="'--to'")
        if not output.parent.is_dir():
            raise click.BadParameter(
                f"directory {output.parent} does not exist.", param_hint="'--output'"
            )
        with refusals(), session_scope(engine()) as session:
            check_period(start, end)
            group = session.get(CareGroup, care_group_id)
            if group is None:
                raise click.ClickException(f"Care group {care_group_id} does not exist.")
            click.echo(f"[1/3] Computing the indicators for {group.name}, {start} to {end} ...")
            data = compute_report(session, care_group_id=care_group_id, start=start, end=end)
            click.echo(f"[2/3] Writing {fmt} ({len(data.practices)} practices) ...")
            result = export_report(data, fmt, lang=lang, delimiter=delimiter)
            partial = output.with_name(output.name + ".part")
            partial.write_bytes(result.content)
            partial.replace(output)
            audit_export(session, SYSTEM_SUBJECT, data, fmt, detail="cli")
        click.echo(f"[3/3] Saved {output} ({len(result.content):,} bytes).")
