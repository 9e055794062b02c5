"""``flask --app wsgi zelfzorg import-measurements FILE [--partial]``."""

from __future__ import annotations

import csv
from pathlib import Path

import click

from zelfzorg.audit.services import AuditSubject
from zelfzorg.cli import engine as cli_engine
from zelfzorg.csvexport import csv_bytes
from zelfzorg.db import gc_paused, session_scope
from zelfzorg.models_base import utcnow

CLI_SUBJECT = AuditSubject(
    user_id=None,
    user_name="import-measurements (CLI)",
    role="system",
    organisation="platform",
    client_address="",
)


def read_csv(path: Path) -> list[tuple[int, dict]]:
    """(line number, row) pairs; the header is line 1. What ``csv.DictReader`` gives, with the
    header names stripped and unnamed columns dropped; a short row's missing columns are
    absent instead of None (both read as empty)."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        while header == []:
            header = next(reader, None)
        if header is None:
            return []
        names = [k.strip() for k in header]
        # Usually every column is named once: then a row is the names zipped with its values.
        plain = all(header) and len(set(names)) == len(names)
        rows = []
        for values in reader:
            if not values:
                continue
            if plain:
                row = dict(zip(names, values, strict=False))
            else:  # DictReader's dict, then the names stripped, as it always was
                raw = dict(zip(header, values, strict=False))
                row = {k.strip(): v for k, v in raw.items() if k}
            rows.append((reader.line_num, row))
        return rows


def register(group: click.Group) -> None:
    @group.command("import-measurements")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option(
        "--partial",
        is_flag=True,
        help="Store the good rows and list the bad ones (default: one bad row stores nothing).",
    )
    @click.option(
        "--lang",
        type=click.Choice(["nl", "en"]),
        default="nl",
        show_default=True,
        help="Language of the reasons given for bad rows.",
    )
    @click.option(
        "--errors-csv",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Also write the bad rows (line; reason) to this CSV file (UTF-8 with BOM, ';').",
    )
    @gc_paused()  # the parsed file, the import and its commit
    def import_measurements(file: Path, partial: bool, lang: str, errors_csv: Path | None):
        """Import readings from a CSV file: patient_id (or practice + his_number), type_code
        (or loinc), value, unit, measured_at (ISO 8601), source_id, and optionally reading_id
        (the systolic and diastolic rows of one blood pressure share it; without it they pair
        by patient and moment). Idempotent by source_id."""
        from flask_babel import force_locale, gettext

        from zelfzorg.telemonitoring.importer import import_readings

        rows = read_csv(file)
        click.echo(f"{len(rows)} rows read from {file.name}; checking ...")
        engine = cli_engine()
        with (
            session_scope(engine) as session,
            click.progressbar(length=len(rows), label="Checking", show_pos=True) as bar,
        ):
            result = import_readings(
                session,
                rows,
                subject=CLI_SUBJECT,
                partial=partial,
                now=utcnow(),
                progress=bar.update,
            )
        with force_locale(lang):
            for error in result.errors[:200]:
                click.echo(f"line {error.line}: {error.render(lang, gettext)}", err=True)
            if errors_csv is not None:
                # The reasons quote the file's own values: the shared writer keeps a value
                # like "=HYPERLINK(...)" from running as a formula in a spreadsheet.
                header = ["line", "reason"] if lang == "en" else ["regel", "reden"]
                rows = [(e.line, e.render(lang, gettext)) for e in result.errors]
                errors_csv.write_bytes(csv_bytes(header, rows, delimiter=";"))
        if len(result.errors) > 200:
            click.echo(f"... and {len(result.errors) - 200} more bad rows", err=True)
        if result.refused:
            click.echo(
                f"Nothing stored: {len(result.errors)} bad row(s). Fix them, or use --partial "
                "to store the good rows.",
                err=True,
            )
            raise SystemExit(1)
        click.echo(
            f"Stored {result.stored} reading(s); {result.duplicates} already present; "
            f"{len(result.errors)} bad row(s) skipped."
        )
