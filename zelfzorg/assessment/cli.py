"""``flask --app wsgi zelfzorg instruments load|list|settings``."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

import click

from zelfzorg.cli import engine as cli_engine
from zelfzorg.db import session_scope
from zelfzorg.errors import DomainError


def _fail(error: DomainError) -> None:
    click.echo(f"Error: {error}", err=True)
    raise SystemExit(2)


def _pairs(values: tuple[str, ...], option: str) -> dict[int, str]:
    found: dict[int, str] = {}
    for value in values:
        level, sep, rest = value.partition("=")
        if not sep or not level.strip().isdigit() or not rest.strip():
            raise click.BadParameter(f"expected LEVEL=VALUE, got {value!r}", param_hint=option)
        found[int(level)] = rest.strip()
    return found


def register(group) -> None:
    @group.group("instruments")
    def instruments():
        """Questionnaires (instrument definitions) and care-group assessment settings."""

    @instruments.command("load")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--care-group", "care_group_id", type=int, help="Only for this care group.")
    def load(file: Path, care_group_id: int | None):
        """Validate FILE (YAML) and store it as the current version of its instrument."""
        from zelfzorg.assessment.versions import load_instrument_file

        try:
            with session_scope(cli_engine()) as session:
                result = load_instrument_file(session, file, care_group_id=care_group_id)
                row = result.version
                text = f"{row.code} {row.version} ({row.kind})"
        except DomainError as error:
            _fail(error)
        if result.created:
            click.echo(f"Loaded {text}; it is now the current version.")
        else:
            click.echo(f"{text} was already loaded with the same content; nothing changed.")

    @instruments.command("list")
    def list_():
        """Every stored version, with the number of responses scored by it."""
        from sqlmodel import col, func, select

        from zelfzorg.assessment.models import AssessmentResponse, InstrumentVersion
        from zelfzorg.assessment.versions import sync_builtins

        with session_scope(cli_engine()) as session:
            sync_builtins(session)
            counts = dict(
                session.exec(
                    select(AssessmentResponse.instrument_version_id, func.count()).group_by(
                        AssessmentResponse.instrument_version_id
                    )
                ).all()
            )
            rows = session.exec(
                select(InstrumentVersion).order_by(
                    InstrumentVersion.code, col(InstrumentVersion.id)
                )
            ).all()
            for row in rows:
                scope = f"care group {row.care_group_id}" if row.care_group_id else "platform"
                current = "current" if row.is_current else "kept"
                click.echo(
                    f"{row.code:<20} {row.version:<16} {row.kind:<14} {scope:<16} {current:<8} "
                    f"{counts.get(row.id, 0)} responses  loaded {row.loaded_at:%Y-%m-%d}"
                )

    @instruments.command("settings")
    @click.option("--care-group", "care_group_id", type=int, required=True)
    @click.option("--due-months", type=int, help="Months between activation assessments.")
    @click.option(
        "--review-weeks",
        multiple=True,
        metavar="LEVEL=WEEKS",
        help="Default goal review interval for an activation level (repeatable).",
    )
    @click.option(
        "--cutoff",
        multiple=True,
        metavar="LEVEL=MIN:MAX",
        help="Score range of an activation level, e.g. 3=55.2:72.4 (repeatable).",
    )
    def settings(care_group_id: int, due_months, review_weeks, cutoff):
        """Show or change a care group's assessment settings."""
        from zelfzorg.assessment.versions import (
            ACTIVATION_CODE,
            current_version,
            set_care_group_settings,
            settings_for,
        )

        weeks: dict[int, int] = {}
        for level, value in _pairs(review_weeks, "--review-weeks").items():
            if not value.isdigit():
                raise click.BadParameter(f"weeks must be a whole number: {value!r}")
            weeks[level] = int(value)
        cutoffs: dict[int, tuple[Decimal, Decimal]] = {}
        for level, value in _pairs(cutoff, "--cutoff").items():
            low, _sep, high = value.partition(":")
            try:
                cutoffs[level] = (Decimal(low), Decimal(high))
            except InvalidOperation:
                raise click.BadParameter(f"expected MIN:MAX, got {value!r}") from None
        try:
            with session_scope(cli_engine()) as session:
                if due_months is not None or weeks or cutoffs:
                    set_care_group_settings(
                        session,
                        care_group_id=care_group_id,
                        due_interval_months=due_months,
                        review_interval_weeks=weeks,
                        cutoffs=cutoffs,
                    )
                setting = settings_for(session, care_group_id)
                version = current_version(session, ACTIVATION_CODE, care_group_id)
                click.echo(f"Care group {care_group_id}:")
                click.echo(
                    f"  assessment due every {setting.due_interval_months if setting else 12}"
                    " months"
                )
                click.echo(
                    "  review weeks per level: "
                    f"{(setting.review_interval_weeks if setting else None) or 'defaults'}"
                )
                if version is not None:
                    levels = ", ".join(
                        f"{lv['number']}: {lv['min']}-{lv['max']}"
                        for lv in version.definition["levels"]
                    )
                    click.echo(f"  activation version {version.version}, levels {levels}")
        except DomainError as error:
            _fail(error)
