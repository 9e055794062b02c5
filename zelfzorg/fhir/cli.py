"""``flask --app wsgi zelfzorg token --user EMAIL --scope user/*.read [--days N]``."""

from __future__ import annotations

import click

from zelfzorg.cli import engine as cli_engine
from zelfzorg.db import gc_paused, session_scope


def register(group: click.Group) -> None:
    register_import(group)
    register_csv(group)

    @group.command("token")
    @click.option("--user", "email", required=True, help="E-mail address of the account.")
    @click.option(
        "--scope",
        "scopes",
        multiple=True,
        required=True,
        help="patient/*.read, user/*.read or user/*.write (repeat for more).",
    )
    @click.option("--days", default=90, show_default=True, type=int)
    @click.option("--label", default="CLI", show_default=True)
    def token(email: str, scopes: tuple[str, ...], days: int, label: str):
        """Make an API token for a user and print it once (only its hash is stored)."""
        from sqlmodel import select

        from zelfzorg.accounts.models import User
        from zelfzorg.accounts.scope import actor_for
        from zelfzorg.accounts.tokens import create_api_token
        from zelfzorg.errors import DomainError
        from zelfzorg.models_base import utcnow

        engine = cli_engine()
        try:
            with session_scope(engine) as session:
                user = session.exec(select(User).where(User.email == email.strip())).first()
                if user is None:
                    raise click.ClickException(f"No user with e-mail address {email}.")
                plain, row = create_api_token(
                    session,
                    actor_for(session, user, "cli"),
                    label=label,
                    scopes=[p for s in scopes for p in s.split()],
                    days=days,
                    now=utcnow(),
                )
                expires = row.expires_at
        except DomainError as error:
            raise click.ClickException(str(error)) from error
        click.echo(plain)
        click.echo(f"Expires {expires.isoformat(timespec='minutes')}.", err=True)


def _plain(message: str, params: dict) -> str:
    from zelfzorg.texts import localize_params

    return message % localize_params(params, "nl") if params else message


def register_import(group: click.Group) -> None:
    @group.command("fhir-import")
    @click.option("--practice", "practice_id", type=int, required=True)
    @click.option(
        "--as",
        "as_email",
        default=None,
        help="E-mail of a professional of the practice in whose name goals and "
        "questionnaire responses are imported (they need a care provider, as in the UI).",
    )
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @gc_paused()  # the parsed Bundle, the import and its commit
    def fhir_import(practice_id: int, as_email: str | None, file: str):
        """Import a FHIR transaction Bundle (JSON) into a practice: all or nothing,
        conditional on identifiers, so running it again changes nothing."""
        import dataclasses
        import json
        from pathlib import Path

        from sqlmodel import func, select

        from zelfzorg.accounts.models import Practice, User
        from zelfzorg.accounts.scope import actor_for
        from zelfzorg.audit.services import AuditSubject
        from zelfzorg.fhir.importer import BundleRefused, import_bundle
        from zelfzorg.models_base import utcnow

        try:
            bundle = json.loads(Path(file).read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as error:
            raise click.ClickException(f"{file} is not JSON: {error}") from error
        engine = cli_engine()
        try:
            with session_scope(engine) as session:
                if session.get(Practice, practice_id) is None:
                    raise click.ClickException(f"No practice {practice_id}.")
                actor = None
                subject = AuditSubject(
                    user_id=None,
                    user_name="fhir-import (CLI)",
                    role="system",
                    organisation=f"practice:{practice_id}",
                    client_address="",
                )
                if as_email is not None:
                    user = session.exec(
                        select(User).where(func.lower(User.email) == as_email.strip().lower())
                    ).first()
                    actor = actor_for(session, user, "cli") if user is not None else None
                    if (
                        actor is None
                        or not user.is_active
                        or not actor.is_professional
                        or practice_id not in actor.practice_ids
                    ):
                        raise click.ClickException(
                            f"--as {as_email}: no active professional of practice {practice_id}."
                        )
                    subject = dataclasses.replace(
                        actor.audit_subject,
                        user_name=f"{actor.audit_subject.user_name} (fhir-import CLI)",
                    )
                result = import_bundle(
                    session,
                    bundle,
                    practice_id=practice_id,
                    subject=subject,
                    created_by_id=actor.user_id if actor else None,
                    now=utcnow(),
                    progress=lambda n, total: click.echo(f"{n}/{total} entries", err=True),
                    actor=actor,
                )
        except BundleRefused as error:
            for issue in error.issues:
                click.echo(
                    f"{issue.expression}: {_plain(issue.message, issue.params)}",
                    err=True,
                )
            raise click.ClickException(
                f"{len(error.issues)} invalid entries; nothing stored."
            ) from error
        click.echo(f"{result.created} created, {result.unchanged} unchanged or updated.")


def register_csv(group: click.Group) -> None:
    @group.command("import-patients")
    @click.option("--practice", "practice_id", type=int, required=True)
    @click.option("--dry-run", is_flag=True, help="Check and report; store nothing.")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    def import_patients(practice_id: int, dry_run: bool, file: str):
        """Import patients and enrolments from CSV (his_number, family_name, given_name,
        date_of_birth, sex, programme, start_date; one line per enrolment). All or nothing,
        by HIS number, so running it again changes nothing."""
        from pathlib import Path

        from sqlmodel import Session

        from zelfzorg.accounts.models import Practice
        from zelfzorg.audit.services import AuditSubject
        from zelfzorg.fhir.csv_import import csv_problems, missing_columns, read_rows, to_bundle
        from zelfzorg.fhir.importer import BundleRefused, import_bundle
        from zelfzorg.models_base import utcnow

        try:
            rows = read_rows(Path(file))
        except (UnicodeDecodeError, csv_error()) as error:
            raise click.ClickException(f"{file} is not a UTF-8 CSV file: {error}") from error
        missing = missing_columns(rows)
        if missing:
            raise click.ClickException("Missing columns: " + ", ".join(missing))
        bundle, lines = to_bundle(rows)
        click.echo(f"{len(rows)} lines read; checking ...", err=True)
        subject = AuditSubject(
            user_id=None,
            user_name="import-patients (CLI)",
            role="system",
            organisation=f"practice:{practice_id}",
            client_address="",
        )
        engine = cli_engine()
        with Session(engine, expire_on_commit=False) as session:
            if session.get(Practice, practice_id) is None:
                raise click.ClickException(f"No practice {practice_id}.")
            try:
                result = import_bundle(
                    session,
                    bundle,
                    practice_id=practice_id,
                    subject=subject,
                    created_by_id=None,
                    now=utcnow(),
                    progress=lambda n, total: click.echo(f"{n}/{total} records", err=True),
                )
            except BundleRefused as error:
                session.rollback()
                for problem in csv_problems(error.issues, lines):
                    click.echo(
                        f"line {problem.line}, {problem.column}: "
                        f"{_plain(problem.message, problem.params)}",
                        err=True,
                    )
                raise click.ClickException(
                    f"{len(error.issues)} problems; nothing stored."
                ) from error
            by_type: dict[str, list[int]] = {"Patient": [0, 0], "EpisodeOfCare": [0, 0]}
            for outcome in result.outcomes:
                by_type[outcome.resource_type][0 if outcome.status == "201 Created" else 1] += 1
            report = (
                f"patients: {by_type['Patient'][0]} new, {by_type['Patient'][1]} already there; "
                f"enrolments: {by_type['EpisodeOfCare'][0]} new, "
                f"{by_type['EpisodeOfCare'][1]} already there"
            )
            if dry_run:
                session.rollback()
                click.echo(f"Dry run, nothing stored. Would store {report}.")
                return
            session.commit()
            click.echo(f"Stored {report}.")


def csv_error():
    import csv

    return csv.Error
