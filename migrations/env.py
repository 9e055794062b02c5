"""Alembic environment on SQLModel.metadata (batch mode so SQLite can alter tables)."""

from __future__ import annotations

import os
import sys

from alembic import context
from alembic.util import CommandError
from sqlmodel import SQLModel

from zelfzorg.config import DatabaseUnavailable, ensure_database
from zelfzorg.db import make_engine
from zelfzorg.models_registry import import_all_models

import_all_models()
target_metadata = SQLModel.metadata
config = context.config


def database_url() -> str:
    url = config.attributes.get("database_url") or os.environ.get("DATABASE_URL")
    if url:
        return url
    from zelfzorg.config import Config

    return Config.DATABASE_URL


def run_migrations_offline() -> None:
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = database_url()
    # A fresh clone has no instance/ folder and maybe no PostgreSQL database yet.
    try:
        if ensure_database(url):
            print(f"Created the empty database for {_shown(url)}.", file=sys.stderr)
    except DatabaseUnavailable as error:
        raise CommandError(str(error)) from error
    engine = make_engine(url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _run(connection) -> None:
    # Batch mode on SQLite rebuilds a table (copy, drop, rename); with foreign keys on, the
    # drop fails as soon as other rows refer to the table. SQLite ignores this pragma inside
    # a transaction, so it is set on the driver connection (autocommit, see zelfzorg.db)
    # before the migration transaction begins, and the keys are checked afterwards.
    raw = connection.connection.dbapi_connection if connection.dialect.name == "sqlite" else None
    if raw is not None:
        raw.execute("PRAGMA foreign_keys=OFF")
    try:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if raw is not None:
            broken = raw.execute("PRAGMA foreign_key_check").fetchall()
            raw.execute("PRAGMA foreign_keys=ON")
            if broken:
                raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
