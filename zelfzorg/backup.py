"""Backup and restore of the whole database.

* SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot
  while the app keeps writing (WAL: the copy reads one snapshot, writers go on); restore
  checks the file (``PRAGMA integrity_check``) and copies it back page by page.
* PostgreSQL: ``pg_dump --format=custom`` (a consistent snapshot by itself) and
  ``pg_restore --clean --if-exists --single-transaction``.

After a restore, ``flask --app wsgi zelfzorg audit-verify`` proves the audit chain intact.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """A backup or restore could not be made; the message says why (shown by the CLI)."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    kind: str  # sqlite or postgresql
    size: int


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _pg_url(url: str) -> str:
    # libpq does not know SQLAlchemy's driver suffix.
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools")
    return found


def integrity_check(path: Path) -> str:
    """``ok``, or what SQLite found wrong (a file that is no database at all included)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return conn.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        return str(error)


def backup(url: str, target: Path) -> BackupResult:
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file")
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        source = sqlite3.connect(_sqlite_path(url), timeout=30)
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy)  # one step: a consistent snapshot
        finally:
            copy.close()
            source.close()
        status = integrity_check(target)
        if status != "ok":
            target.unlink()
            raise BackupError(f"the copy failed its integrity check: {status}")
        return BackupResult(target, "sqlite", target.stat().st_size)
    if url.startswith("postgresql"):
        command = [_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(target)]
        done = subprocess.run([*command, _pg_url(url)], capture_output=True, text=True)
        if done.returncode != 0:
            target.unlink(missing_ok=True)
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        return BackupResult(target, "postgresql", target.stat().st_size)
    raise BackupError(f"unsupported database: {make_url(url).drivername}")


def restore(url: str, source: Path) -> None:
    """Replace the database's contents with the backup (the app should be stopped)."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    if url.startswith("sqlite"):
        status = integrity_check(source)
        if status != "ok":
            raise BackupError(f"the backup failed its integrity check: {status}")
        backup_conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        live = sqlite3.connect(_sqlite_path(url), timeout=30)
        try:
            with live:
                backup_conn.backup(live)
        finally:
            live.close()
            backup_conn.close()
        return
    if url.startswith("postgresql"):
        command = [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--dbname",
            _pg_url(url),
            str(source),
        ]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
        return
    raise BackupError(f"unsupported database: {make_url(url).drivername}")
