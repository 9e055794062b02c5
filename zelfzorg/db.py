"""Engine per app and session per request.

SQLite gets WAL, foreign keys, a busy timeout and ``BEGIN IMMEDIATE`` for every transaction
that may read and then write (SQLAlchemy's documented pysqlite recipe): taking the write lock
up front makes concurrent writers wait instead of failing with "database is locked" on lock
upgrade. Requests that only read (GET, HEAD, OPTIONS) start a deferred transaction instead, so
they hold no lock while they work; their only write, the audit append at commit, first ends the
read transaction and starts an ``IMMEDIATE`` one (``lock_for_append``), so it is one short
serialised step. A read-only request that writes anything else is switched the same way at its
first write statement (it never upgrades a read snapshot in place, which fails under load).
"""

from __future__ import annotations

import functools
import gc
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import bindparam, event, exc, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, create_engine

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA cache_size=-65536",
    # temp_store stays FILE (the default; the OS caches the file): with MEMORY, every row
    # trigger step keeping ``measurement_latest`` (migration 0030) inside an import's
    # transaction became ~30x slower (4,000 readings: 2.1 s against 0.08 s).
    "PRAGMA mmap_size=268435456",
    # Checkpoints are the interval job ``database_checkpoint``'s (``checkpoint_wal``), not a
    # request's: SQLite's default runs one inside the commit that takes the write-ahead log
    # past 1,000 pages (4 MB), some 0.1 s of a 20,000-row import's commit. This bound (64 MiB)
    # still holds the log in check where no scheduler runs.
    "PRAGMA wal_autocheckpoint=16384",
)
# Execution option naming the SQLite transaction start for sessions bound to ``read_engine``.
BEGIN_OPTION = "zelfzorg_sqlite_begin"
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Statements that never write: anything else in a deferred transaction takes the write lock.
_READ_KEYWORDS = (
    "SELECT",
    "PRAGMA",
    "EXPLAIN",
    "VALUES",
    "BEGIN",
    "COMMIT",
    "SAVEPOINT",
    "RELEASE",
    "ROLLBACK",
)
# Serialises audit chain appends on PostgreSQL (SQLite serialises writers itself). The
# function audit_chain_head_locked() (migration 0023) takes the same key.
PG_APPEND_LOCK_KEY = 7513
# A pooled PostgreSQL connection idle for longer than this is pinged before it is handed out.
IDLE_PING_SECONDS = 30.0


INSERT_BATCH = 10_000  # rows per executemany of ``insert_new``


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for a bulk step (an import), as a context
    manager or a decorator. An import makes and drops hundreds of thousands of small objects
    (parsed rows, parameter tuples) while the parsed file is alive: each collection walks all
    of them again, measured at up to half of a 20,000-row import's time. Reference counting
    still frees everything that is not a cycle; the collector runs again afterwards."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def insert_new(session: Session, table, rows: list[dict], *, unique: Sequence[str]) -> int:
    """Insert ``rows`` by executemany, skipping each row that would break the unique key
    ``unique`` (``INSERT ... ON CONFLICT DO NOTHING``, on SQLite and PostgreSQL alike); returns
    how many were stored. The imports look up what is stored first, or count what was stored
    (``insert_rows``), and this keeps a concurrent import of the same rows from failing: each
    row is stored once. Rows with different keys go through Core, so a missing key still gets
    its column default."""
    if not rows:
        return 0
    keys = rows[0].keys()
    if any(row.keys() != keys for row in rows):
        statement = _insert_statement(session.connection().dialect, table, unique)
        return session.execute(statement, rows).rowcount
    columns = list(keys)
    return insert_rows(
        session, table, columns, [tuple(row.values()) for row in rows], unique=unique
    )


def insert_rows(
    session: Session,
    table,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    unique: Sequence[str],
) -> int:
    """``insert_new`` of plain tuples (the values of ``columns``, in that order); returns how
    many rows were stored (the rows the unique key skipped are not counted).

    The statement is compiled once and the rows go to the DBAPI cursor's ``executemany``
    (``exec_driver_sql``: the engine's events still see it) in batches of ``INSERT_BATCH``,
    each value passed through its column type's bind processing, as Core would; Core's own
    per-row parameter handling is most of the cost of a large insert."""
    if not rows:
        return 0
    connection = session.connection()
    dialect = connection.dialect
    compiled = _insert_statement(dialect, table, unique).compile(
        dialect=dialect, column_keys=list(columns)
    )
    positional = compiled.positiontup is not None
    names = list(compiled.positiontup) if positional else list(compiled.binds)
    # The bind names of an INSERT are its column keys.
    order = [list(columns).index(name) for name in names]
    converters = [
        (i, convert)
        for i, name in enumerate(names)
        if (convert := _bind_processor(table.c[name].type, dialect)) is not None
    ]
    sql = compiled.string
    stored = 0
    for start in range(0, len(rows), INSERT_BATCH):
        params = [[row[n] for n in order] for row in rows[start : start + INSERT_BATCH]]
        for i, convert in converters:
            last, done = _NOTHING, None
            for values in params:
                value = values[i]
                if value is not last:  # one conversion per run of the same value (e.g. now)
                    last, done = value, convert(value)
                values[i] = done
        if positional:
            result = connection.exec_driver_sql(sql, [tuple(values) for values in params])
        else:
            result = connection.exec_driver_sql(
                sql, [dict(zip(names, values, strict=True)) for values in params]
            )
        stored += result.rowcount
    return stored


def _bind_processor(column_type, dialect):
    """What Core applies to a bound value of this type: that of the dialect's own type. A
    TypeDecorator's ``bind_processor`` alone skips its dialect impl (on SQLite the fixed
    "YYYY-MM-DD HH:MM:SS.ffffff" text of every DATETIME), and the driver's adapter then
    writes whole seconds without ".000000", text that sorts before the same moment bound
    by Core (migration 0028)."""
    return column_type.dialect_impl(dialect).bind_processor(dialect)


def dialect_insert(dialect, table):
    """``INSERT`` of the dialect's own construct (PostgreSQL or SQLite), which has the
    ``ON CONFLICT`` clauses both databases share."""
    if dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def _insert_statement(dialect, table, unique: Sequence[str]):
    return dialect_insert(dialect, table).on_conflict_do_nothing(index_elements=list(unique))


_NOTHING = object()
KEYS_PER_LOOKUP = 1000  # keys per ``stored_keys`` statement (parameters: within every limit)


def stored_keys(
    session: Session, table, columns: Sequence[str], keys: Iterable[tuple], *, extra: str = ""
) -> list[tuple]:
    """The rows of ``table`` whose ``columns`` equal one of ``keys``: ``(*key, extra)`` when
    ``extra`` names a column, else the keys found. One statement per ``KEYS_PER_LOOKUP``
    keys, a join of the key list (a VALUES list) with the table on its unique index: SQLite
    answers a row-value ``IN`` list by scanning the whole index, once per statement."""
    unique = sorted(set(keys))
    found: list[tuple] = []
    for start in range(0, len(unique), KEYS_PER_LOOKUP):
        chunk = unique[start : start + KEYS_PER_LOOKUP]
        statement = _keys_statement(table, tuple(columns), extra, len(chunk))
        params = {f"k{n}_{i}": value for i, key in enumerate(chunk) for n, value in enumerate(key)}
        found.extend(tuple(row) for row in session.execute(statement, params))
    return found


@functools.lru_cache(maxsize=64)
def _keys_statement(table, columns: tuple[str, ...], extra: str, size: int):
    """``stored_keys``' statement for ``size`` keys, built once (its bind parameters typed by
    the columns, its result too: dates, enums, UTC times both ways)."""
    names = [f"k{n}" for n in range(len(columns))]
    rows = ", ".join("(" + ", ".join(f":{n}_{i}" for n in names) + ")" for i in range(size))
    wanted = ", ".join([*(f"t.{c}" for c in columns), *([f"t.{extra}"] if extra else [])])
    on = " AND ".join(f"t.{c} = k.{n}" for c, n in zip(columns, names, strict=True))
    sql = (
        f"WITH k({', '.join(names)}) AS (VALUES {rows}) "
        f"SELECT {wanted} FROM k JOIN {table.name} t ON {on}"
    )
    binds = [
        bindparam(f"{n}_{i}", type_=table.c[c].type)
        for i in range(size)
        for n, c in zip(names, columns, strict=True)
    ]
    result = [table.c[c] for c in [*columns, *([extra] if extra else [])]]
    return text(sql).bindparams(*binds).columns(*result)


# SQLite's advice for large databases: ANALYZE reads about this many rows per index instead of
# all of them (50,000 patients: ~10 ms instead of 7 s), estimates good enough for the planner.
SQLITE_ANALYSIS_LIMIT = 1000


# PostgreSQL: the tables whose rows changed since their last analysis, or never analysed.
_PG_CHANGED_TABLES = text(
    "SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables "
    "WHERE schemaname = current_schema() AND (n_mod_since_analyze > 0 "
    "OR coalesce(last_analyze, last_autoanalyze) IS NULL) ORDER BY relname"
)


def refresh_statistics(connection: Connection | Session, *, changed_only: bool = False) -> str:
    """Fresh planner statistics for every table (the generator after its bulk load) or, with
    ``changed_only``, on PostgreSQL for the tables whose rows changed since their last
    analysis (the daily job ``database_statistics``: at 50,000 patients a full ANALYZE took
    1.4 s whether or not anything had changed). SQLite never gathers statistics by itself:
    without them it plans a care group's queries as if every table were small; its ANALYZE
    reads ``SQLITE_ANALYSIS_LIMIT`` rows per index (about 10 ms at 50,000 patients).
    PostgreSQL's counts of changed rows reach ``pg_stat_user_tables`` when a connection is
    idle, up to seconds later (a daily job does not mind; the generator, whose own load is
    not counted there yet, analyses everything)."""
    bind = connection.get_bind() if isinstance(connection, Session) else connection
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        connection.execute(text(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}"))
    if sqlite or not changed_only:
        connection.execute(text("ANALYZE"))
        return "planner statistics refreshed"
    tables = list(connection.execute(_PG_CHANGED_TABLES).scalars())
    for table in tables:
        connection.execute(text(f"ANALYZE {table}"))  # a name from the catalogue, quoted
    return f"planner statistics refreshed ({len(tables)} changed tables)"


def checkpoint_wal(engine: Engine) -> str:
    """Copy SQLite's write-ahead log into the database file (a passive checkpoint: it never
    waits for readers or writers and leaves what it cannot copy yet for the next run); the
    interval job ``database_checkpoint``. PostgreSQL checkpoints by itself."""
    if engine.dialect.name != "sqlite":
        return "not SQLite: nothing to do"
    # Outside a transaction (the engine's connections begin one with their first statement,
    # and SQLite refuses a checkpoint inside one: "database table is locked"): the pooled
    # connection's own cursor.
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        busy, logged, copied = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        cursor.close()
    finally:
        connection.close()
    if logged <= 0:
        return "write-ahead log empty"
    return f"{copied} of {logged} log pages in the database" + (" (busy)" if busy else "")


def make_engine(url: str, *, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, echo=echo, connect_args=postgresql_options(url))
    _ping_idle_connections(engine)
    return engine


# The planner's cost of a random page read against a sequential one (PostgreSQL's default 4 is
# for spinning disks): the value the PostgreSQL documentation suggests for solid-state storage,
# and what a database the size of a care group's (a few GB, read from memory) behaves like.
# With the default, the planner hashed a whole care group's goals, enrolments and care plans to
# find a 3,000-patient practice's work list (72 ms) where index look-ups per patient take half
# (measured at 50,000 patients: the work list's statement 109 -> 60 ms, the contracting report's
# 1.32 -> 1.23 s). A database URL that sets ``options`` itself keeps its own.
PG_RANDOM_PAGE_COST = 1.1


def postgresql_options(url: str) -> dict[str, str]:
    """The connection arguments of a PostgreSQL engine: the session settings the app's plans
    are made for, unless the URL names its own ``options``."""
    if "options" in make_url(url).query:
        return {}
    return {"options": f"-c random_page_cost={PG_RANDOM_PAGE_COST}"}


def _ping_idle_connections(engine: Engine) -> None:
    """Ping a pooled connection only when it sat idle for ``IDLE_PING_SECONDS``.

    ``pool_pre_ping`` costs a round trip (``SELECT 1``) on every checkout, so one per request.
    A connection in steady use was just proven alive by its previous request; one that sat
    idle (a database restart, a firewall that drops quiet connections) is pinged, and a failed
    ping makes the pool discard it and connect again (``DisconnectionError``). A connection
    that dies within the idle window fails its one request, and SQLAlchemy then invalidates
    the pool's older connections.
    """

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection, record):
        record.info["zelfzorg_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection, record, _proxy):
        since = record.info.get("zelfzorg_idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # noqa: BLE001 - any failure means: do not use it
            raise exc.DisconnectionError(str(error)) from error


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no branch
        # Let SQLAlchemy emit BEGIN itself (pysqlite's own BEGIN handling is disabled).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        deferred = connection.get_execution_options().get(BEGIN_OPTION) == "deferred"
        info = connection.connection.info
        info["sqlite_deferred"] = deferred
        info["sqlite_write_lock"] = not deferred
        info["sqlite_savepoints"] = 0
        connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")

    @event.listens_for(engine, "before_cursor_execute")
    def _on_execute(connection, cursor, statement, _params, _context, _executemany):
        info = connection.connection.info
        if not info.get("sqlite_deferred") or info.get("sqlite_write_lock"):
            return
        head = statement.lstrip()[:10].upper()
        if head.startswith("SAVEPOINT"):
            info["sqlite_savepoints"] += 1
        elif head.startswith("RELEASE") or head.startswith("ROLLBACK"):
            info["sqlite_savepoints"] = max(0, info["sqlite_savepoints"] - 1)
        if head.startswith(_READ_KEYWORDS) or (head.startswith("WITH") and _reads(statement)):
            return
        _take_sqlite_write_lock(connection)


def _reads(statement: str) -> bool:
    upper = statement.upper()
    return not any(word in upper for word in ("INSERT ", "UPDATE ", "DELETE ", "REPLACE "))


def _take_sqlite_write_lock(connection: Connection) -> None:
    """End a deferred read transaction and start an IMMEDIATE one (waits on busy_timeout).

    Inside a savepoint the transaction cannot be restarted: it upgrades in place instead.
    """
    info = connection.connection.info
    info["sqlite_write_lock"] = True
    if info.get("sqlite_savepoints"):
        return
    raw = connection.connection.dbapi_connection
    if raw.in_transaction:
        raw.execute("COMMIT")
    raw.execute("BEGIN IMMEDIATE")


def lock_for_append(session: Session) -> None:
    """Serialise one short append (the audit chain) with every other writer, until commit.

    SQLite: the write lock (a no-op in an IMMEDIATE transaction); PostgreSQL: a transaction
    advisory lock, released by the commit that follows the append.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_APPEND_LOCK_KEY})
    elif connection.dialect.name == "sqlite":
        info = connection.connection.info
        if info.get("sqlite_deferred") and not info.get("sqlite_write_lock"):
            _take_sqlite_write_lock(connection)


def read_engine(engine: Engine) -> Engine:
    """The same engine (pool, events) whose SQLite transactions start deferred."""
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(**{BEGIN_OPTION: "deferred"})


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A unit of work outside a request (CLI, jobs): commit on success, roll back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def get_session() -> Session:
    """The current request's session (created lazily, closed at teardown)."""
    from flask import current_app, g, has_request_context, request

    if "db_session" not in g:
        read_only = has_request_context() and request.method in READ_ONLY_METHODS
        key = "zelfzorg_read_engine" if read_only else "zelfzorg_engine"
        g.db_session = Session(current_app.extensions[key], expire_on_commit=False)
    return g.db_session


def init_app(app) -> None:
    engine = make_engine(app.config["DATABASE_URL"], echo=app.config.get("SQL_ECHO", False))
    app.extensions["zelfzorg_engine"] = engine
    app.extensions["zelfzorg_read_engine"] = read_engine(engine)

    @app.after_request
    def _commit(response):
        from flask import g

        session = g.pop("db_session", None)
        if session is not None:
            try:
                # One commit per request. Responses below 500 commit: denials and validation
                # errors carry audit entries, and services validate before they change data.
                if response.status_code < 500 and not g.get("db_rollback"):
                    session.commit()
                else:
                    session.rollback()
            finally:
                session.close()
        return response

    @app.teardown_appcontext
    def _close(_exc):
        from flask import g

        session = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()
