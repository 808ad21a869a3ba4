"""Engine set-up for SQLite (the embedded default) and PostgreSQL.

SQLite: WAL, foreign keys, a busy timeout, and write transactions that take the write lock
up front (``BEGIN IMMEDIATE``) so concurrent gunicorn workers wait instead of failing with
"database is locked" when a read transaction tries to upgrade.
"""
from __future__ import annotations

import contextvars
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

_force_immediate: contextvars.ContextVar[bool] = contextvars.ContextVar("force_immediate", default=False)
_reading: contextvars.ContextVar[bool] = contextvars.ContextVar("reading", default=False)


@contextmanager
def write_transaction():
    """Inside a GET/HEAD request, make the next transaction take the write lock up front.

    Needed for the rare write during a read request (an API key's ``last_used_at``): a deferred
    SQLite transaction that upgrades to a write fails at once with "database is locked" when
    another connection wrote meanwhile. Commit (or roll back) before entering.
    """
    token = _force_immediate.set(True)
    try:
        yield
    finally:
        _force_immediate.reset(token)


@contextmanager
def reading():
    """Outside a request (a job, a command), make the transactions begun inside read ones: plain
    ``BEGIN``, which leaves SQLite's write lock free. Every other transaction of a job takes the
    lock up front (``BEGIN IMMEDIATE``) and holds it until its commit or rollback — through a
    report's rendering (seconds) or a call to another server, every push and import waited for it
    (issue 19's soak with the job consumer). Read, leave with the transaction ended (roll back or
    commit), then write outside. ``write_transaction()`` still wins inside it."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def configure_engine(engine: Engine, busy_timeout_ms: int, journal_size_limit: int = 64 * 1024 * 1024) -> None:
    if engine.dialect.name == "postgresql":
        _configure_postgresql(engine)
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not pysqlite, emit BEGIN (pysqlite's recipe for correct transactions).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            # Once a checkpoint lets the log restart, the next commit cuts the WAL file back to
            # this size (by default it keeps its largest size for ever). The periodic checkpoint
            # (backend/wal_checkpointer.py) makes sure such checkpoints happen under load.
            cursor.execute(f"PRAGMA journal_size_limit = {int(journal_size_limit)}")
            # Reads of a long history touch many pages: a 64 MiB page cache (grown only as used,
            # the default is 2 MiB) and memory-mapped reads save a system call per page
            # (measured: dashboard company callback p95 188 -> 109 ms on the bench data set).
            cursor.execute("PRAGMA cache_size = -65536")
            cursor.execute("PRAGMA mmap_size = 536870912")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN" if _is_read_only_request() else "BEGIN IMMEDIATE")


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # psycopg prepares a statement once a connection has run it 5 times, and PostgreSQL then
        # may switch it to a generic plan, built without the parameter values. Tenants differ
        # wildly in size and a metric read's range of dates matters: the generic plan of the
        # summary's flow sums expected one row and took 48.7 ms where the plan for the actual
        # values took 13.7 ms (benchmark company, one year). Plan for the values every time
        # (parsing is still saved by the prepared statement).
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET plan_cache_mode = force_custom_plan")
        dbapi_connection.commit()


READ_ONLY_POSTS = "reachboard_read_only_posts"


def mark_read_only_posts(app, *paths: str) -> None:
    """Declare POST paths that only read (the dashboard's callbacks: Dash POSTs to ask for data).
    Their transactions are plain ``BEGIN`` like a GET's: a callback reading for half a second no
    longer holds SQLite's write lock, which made every push and import wait behind it (issue 19's
    soak: pushes p50 273–655 ms on SQLite against 30–90 ms on PostgreSQL, tracking the dashboard)."""
    app.extensions.setdefault(READ_ONLY_POSTS, set()).update(paths)


def _is_read_only_request() -> bool:
    """GET and HEAD requests never write, nor do the POST paths marked read-only; they may share
    the database with a writer. Decided by method and path, known before the first query."""
    from flask import current_app, has_request_context, request

    if _force_immediate.get():
        return False
    if _reading.get():
        return True
    if not has_request_context():
        return False
    if request.method in ("GET", "HEAD"):
        return True
    return request.method == "POST" and request.path in current_app.extensions.get(READ_ONLY_POSTS, ())
