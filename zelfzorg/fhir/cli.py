"""``flask --app wsgi zelfzorg token --user EMAIL --scope user/*.read [--days N]``."""

from __future__ import annotations

import click
from flask import current_app

from zelfzorg.db import session_scope


def register(group: click.Group) -> None:
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
        from zelfzorg.accounts.scope import Actor
        from zelfzorg.accounts.tokens import create_api_token
        from zelfzorg.errors import DomainError
        from zelfzorg.models_base import utcnow

        engine = current_app.extensions["zelfzorg_engine"]
        try:
            with session_scope(engine) as session:
                user = session.exec(select(User).where(User.email == email.strip())).first()
                if user is None:
                    raise click.ClickException(f"No user with e-mail address {email}.")
                plain, row = create_api_token(
                    session,
                    Actor(user, "cli"),
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
