"""``flask --app wsgi zelfzorg ...`` commands."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

import zelfzorg
from zelfzorg.db import session_scope

group = AppGroup("zelfzorg", help="Zelfzorg beheer- en onderhoudsopdrachten.")


def engine():
    """The app's engine, once the database is known to be migrated (else a clear message)."""
    engine = current_app.extensions["zelfzorg_engine"]
    if not current_app.extensions.get("zelfzorg_schema_checked"):
        require_schema(engine)
        current_app.extensions["zelfzorg_schema_checked"] = True
    return engine


def require_schema(engine) -> None:
    """Stop with what to do (not a traceback) when the database cannot be opened or has not
    been migrated yet, e.g. a CLI command typed on a fresh clone before ``make run``."""
    from sqlalchemy import inspect
    from sqlalchemy.exc import OperationalError

    shown = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as connection:
            migrated = inspect(connection).has_table("alembic_version")
    except OperationalError as error:
        reason = (str(error.orig).strip().splitlines() or [""])[0]
        raise click.ClickException(
            f"Cannot open the database {shown}: {reason}\n"
            "Run `make run` or `.venv/bin/alembic upgrade head` first (both create it)."
        ) from error
    if not migrated:
        raise click.ClickException(
            f"The database {shown} has no tables yet.\n"
            "Run `make run` or `.venv/bin/alembic upgrade head` first."
        )


@contextmanager
def refusals() -> Iterator[None]:
    """A refused use case ends the command with its message and exit code 1, no traceback."""
    from zelfzorg.errors import DomainError

    try:
        yield
    except DomainError as error:
        raise click.ClickException(str(error)) from error


@group.command("audit-verify")
def audit_verify():
    """Check the audit log's hash chain; name the first broken entry."""
    from zelfzorg.audit.services import verify

    with session_scope(engine()) as session:
        result = verify(session)
    if result.ok:
        click.echo(f"Audit chain OK: {result.checked} entries verified.")
        return
    click.echo(
        f"Audit chain BROKEN at entry {result.first_broken_id}: {result.reason} "
        f"({result.checked} entries before it are intact).",
        err=True,
    )
    raise SystemExit(1)


@group.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(file: Path):
    """Copy the whole database to FILE while the app keeps running (SQLite backup API or
    pg_dump)."""
    from zelfzorg.backup import BackupError, backup

    try:
        result = backup(current_app.config["DATABASE_URL"], file)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backup written: {result.path} ({result.kind}, {result.size} bytes).")


@group.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the current database without asking.")
def restore_command(file: Path, yes: bool):
    """Replace the database with the backup in FILE (stop the app first), then check the
    audit chain."""
    from zelfzorg.audit.services import verify
    from zelfzorg.backup import BackupError, restore

    if not yes:
        click.confirm("This replaces every row in the database. Continue?", abort=True)
    engine().dispose()  # no pooled connection may keep the old pages
    try:
        restore(current_app.config["DATABASE_URL"], file)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    engine().dispose()
    with session_scope(engine()) as session:
        result = verify(session)
    if not result.ok:
        raise click.ClickException(
            f"Restored, but the audit chain is BROKEN at entry {result.first_broken_id}."
        )
    click.echo(f"Restored from {file}; audit chain OK ({result.checked} entries).")


@group.command("demo")
@click.option("--if-empty", is_flag=True, help="Only seed when there are no care groups yet.")
@click.option("--patients", default=150, show_default=True)
def demo(if_empty: bool, patients: int):
    """Seed a realistic, deterministic demo care group and print the logins."""
    from zelfzorg.demo import DatabaseNotEmpty, print_logins, seed_demo
    from zelfzorg.web import policy

    try:
        with session_scope(engine()) as session:
            logins = seed_demo(
                session,
                n_patients=patients,
                if_empty=if_empty,
                policy=policy(),  # demo accounts are hashed like real ones
                progress=lambda msg: click.echo(msg),
            )
    except DatabaseNotEmpty as error:
        raise click.ClickException(str(error)) from error
    print_logins(logins, click.echo)


@group.command("demo-logins")
def demo_logins():
    """Print the demo logins again."""
    from zelfzorg.demo import existing_logins, print_logins

    with session_scope(engine()) as session:
        print_logins(existing_logins(session), click.echo)


@group.command("demo-totp")
@click.argument("email")
def demo_totp(email: str):
    """Print the current TOTP code of a DEMO account (refused for real accounts)."""
    import pyotp
    from sqlmodel import select

    from zelfzorg.accounts.models import User

    with session_scope(engine()) as session:
        user = session.exec(select(User).where(User.email == email.strip().lower())).first()
        if user is None or not user.is_demo or not user.totp_secret:
            click.echo("Refused: this is not a demo account with two-factor set up.", err=True)
            raise SystemExit(2)
        click.echo(pyotp.TOTP(user.totp_secret).now())


@group.command("create-caregroup")
@click.argument("name")
def create_caregroup(name: str):
    from zelfzorg.accounts.services import create_care_group

    with refusals(), session_scope(engine()) as session:
        group_ = create_care_group(session, None, name=name)
        click.echo(f"Care group {group_.id}: {group_.name}")


@group.command("create-practice")
@click.argument("care_group_id", type=int)
@click.argument("name")
@click.option("--city", default="")
def create_practice(care_group_id: int, name: str, city: str):
    from zelfzorg.accounts.services import create_practice as create

    with refusals(), session_scope(engine()) as session:
        practice = create(session, None, care_group_id=care_group_id, name=name, city=city)
        click.echo(f"Practice {practice.id}: {practice.name}")


@group.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["professional", "caregroup", "admin"]), required=True)
@click.option(
    "--discipline", type=click.Choice(["poh", "gp", "dietitian", "physiotherapist", "other"])
)
@click.option("--practice-id", type=int)
@click.option("--care-group-id", type=int)
@click.password_option()
def create_user(email, name, role, discipline, practice_id, care_group_id, password):
    from zelfzorg.accounts.models import Discipline, Role
    from zelfzorg.accounts.services import create_user as create
    from zelfzorg.web import policy

    with refusals(), session_scope(engine()) as session:
        user = create(
            session,
            policy(),
            None,
            email=email,
            name=name,
            role=Role(role),
            password=password,
            discipline=Discipline(discipline) if discipline else None,
            practice_id=practice_id,
            care_group_id=care_group_id,
        )
        click.echo(f"User {user.id}: {user.email} ({user.role})")


@group.command("scheduler")
def scheduler():
    """Run the periodic jobs in this process (one per deployment)."""
    from zelfzorg.notifications.jobs import JOBS, start_scheduler

    click.echo(f"Scheduler running jobs: {', '.join(sorted(JOBS)) or '(none)'}")
    start_scheduler(engine(), blocking=True, settings=current_app.config)


@group.command("run-job")
@click.argument("name")
def run_job(name: str):
    """Run one periodic job now (once per day; a claimed day is skipped)."""
    from zelfzorg.notifications.jobs import INTERVAL_JOBS, JOBS
    from zelfzorg.notifications.jobs import run_job as run

    if name in INTERVAL_JOBS:
        click.echo(INTERVAL_JOBS[name].func(engine(), current_app.config))
        return
    if name not in JOBS:
        known = sorted([*JOBS, *INTERVAL_JOBS])
        raise click.BadParameter(f"unknown job; known: {', '.join(known)}")
    result = run(engine(), name)
    click.echo(result if result is not None else "Already ran today; nothing done.")


def register_cli(app) -> None:
    # Domain packages add their own commands with a ``cli.register(group)`` function.
    for module in pkgutil.iter_modules(zelfzorg.__path__):
        if module.ispkg:
            try:
                cli = importlib.import_module(f"zelfzorg.{module.name}.cli")
            except ModuleNotFoundError as error:
                if error.name != f"zelfzorg.{module.name}.cli":
                    raise
                continue
            cli.register(group)
    app.cli.add_command(group)
