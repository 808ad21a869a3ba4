"""Bounded SQLite WAL (journal_size_limit, the TRUNCATE checkpoint, the one-process periodic
checkpointer), ``flask db-maintenance`` on both databases, and /healthz's WAL warning."""
from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path

import pytest
from conftest import make_app, on_postgres
from metrics_util import pt, push, with_points
from sqlalchemy import create_engine, text

from backend.database import configure_engine
from backend.maintenance import checkpoint, file_size, sqlite_path, wal_path
from backend.wal_checkpointer import WalCheckpointer, lock_path

sqlite_only = pytest.mark.skipif(on_postgres(), reason="SQLite only: PostgreSQL has no WAL file to bound")
postgres_only = pytest.mark.skipif(not on_postgres(), reason="PostgreSQL only")

ROW = "x" * 1000


def _engine(path: Path, journal_size_limit: int = 64 * 1024 * 1024):
    """An engine configured like the app's (WAL, busy timeout, journal_size_limit), one table."""
    engine = create_engine(f"sqlite:///{path}")
    configure_engine(engine, 30_000, journal_size_limit)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)"))
        conn.execute(text("INSERT INTO t (body) VALUES ('first')"))
    return engine


def _write(engine, rows: int, per_transaction: int = 100) -> None:
    for _ in range(rows // per_transaction):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t (body) VALUES (:b)"), [{"b": ROW}] * per_transaction)


def _reader(path: Path) -> sqlite3.Connection:
    """A connection inside a read transaction that has read the log: it pins the WAL."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("BEGIN")
    conn.execute("SELECT count(*) FROM t").fetchone()
    return conn


# --- the bound ---------------------------------------------------------------------------------
@sqlite_only
def test_app_connections_set_journal_size_limit(app):
    from backend.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        limit = conn.exec_driver_sql("PRAGMA journal_size_limit").scalar()
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
    assert mode == "wal" and limit == app.config["SQLITE_JOURNAL_SIZE_LIMIT"] == 64 * 1024 * 1024


@pytest.mark.no_db
def test_the_wal_limit_and_interval_come_from_the_environment(monkeypatch):
    from config import TestingConfig

    defaults = TestingConfig()
    assert defaults.SQLITE_JOURNAL_SIZE_LIMIT == 64 * 1024 * 1024 and defaults.SQLITE_CHECKPOINT_INTERVAL == 10
    monkeypatch.setenv("SQLITE_WAL_LIMIT_MB", "32")
    monkeypatch.setenv("SQLITE_CHECKPOINT_INTERVAL", "0")
    cfg = TestingConfig()
    assert cfg.SQLITE_JOURNAL_SIZE_LIMIT == 32 * 1024 * 1024 and cfg.SQLITE_CHECKPOINT_INTERVAL == 0


@sqlite_only
def test_a_reader_starves_the_checkpoint_and_truncate_empties_the_wal_once_it_is_gone(tmp_path):
    path = tmp_path / "wal.db"
    engine = _engine(path)
    reader = _reader(path)
    _write(engine, 3000)  # ~3 MB, in 30 transactions, while the reader holds its snapshot
    grown = file_size(wal_path(path))
    assert grown > 2_000_000, "the WAL should have grown behind the reader"

    held = checkpoint(path, "TRUNCATE", busy_timeout_ms=50)
    assert held.busy == 1 and not held.complete and "NOT complete" in held.describe()
    # Only the frames older than the reader's snapshot may be copied.
    assert held.log_pages > 500 and held.checkpointed_pages < held.log_pages
    assert file_size(wal_path(path)) >= grown  # starved: nothing shrinks while the reader stays

    reader.close()
    result = checkpoint(path, "TRUNCATE")
    assert result.complete and result.busy == 0
    assert (result.log_pages, result.checkpointed_pages) == (0, 0)  # a finished TRUNCATE: no log left
    assert result.wal_bytes_before >= grown and result.wal_bytes_after == 0 == file_size(wal_path(path))
    with engine.connect() as conn:  # nothing lost on the way
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 3001
    engine.dispose()


@sqlite_only
@pytest.mark.parametrize("limit, bounded", [(256 * 1024, True), (-1, False)])
def test_journal_size_limit_cuts_the_wal_back_when_the_log_restarts(tmp_path, limit, bounded):
    path = tmp_path / "limit.db"
    engine = _engine(path, journal_size_limit=limit)
    reader = _reader(path)
    _write(engine, 2000)
    grown = file_size(wal_path(path))
    assert grown > 1_500_000
    reader.close()
    passive = checkpoint(path, "PASSIVE")  # an ordinary checkpoint, like SQLite's automatic one
    assert passive.complete and passive.log_pages > 0 and passive.wal_bytes_after == grown  # no truncation
    _write(engine, 100)  # the next writer restarts the log; its commit applies the limit
    after = file_size(wal_path(path))
    if bounded:
        assert after <= limit
    else:
        assert after == grown  # without the limit the file keeps its largest size
    engine.dispose()


# --- the periodic checkpointer ----------------------------------------------------------------
@sqlite_only
def test_one_checkpointer_leads_and_checkpoints_only_over_the_threshold(tmp_path):
    path = tmp_path / "lead.db"
    engine = _engine(path)
    first = WalCheckpointer(path, threshold_bytes=1_000_000, interval_seconds=60)
    second = WalCheckpointer(path, threshold_bytes=1_000_000, interval_seconds=60)
    try:
        assert first.try_lead() and not second.try_lead()
        assert lock_path(path).exists()
        assert first.run_once() is None  # a small WAL: left alone
        assert file_size(wal_path(path)) > 0

        _write(engine, 2000)
        assert file_size(wal_path(path)) > 1_000_000
        assert second.run_once() is None and file_size(wal_path(path)) > 1_000_000  # not the leader
        result = first.run_once()
        assert result is not None and result.complete and file_size(wal_path(path)) == 0

        first.release()  # (a worker that exits drops its lock the same way)
        assert second.try_lead() and second.is_leader
    finally:
        first.release()
        second.release()
        engine.dispose()


@sqlite_only
def test_the_checkpointer_only_starts_for_a_sqlite_file_and_a_positive_interval(tmp_path):
    from backend.wal_checkpointer import start_wal_checkpointer

    url = f"sqlite:///{tmp_path / 'x.db'}"
    cfg = {"SQLITE_JOURNAL_SIZE_LIMIT": 64 * 1024 * 1024, "SQLITE_CHECKPOINT_INTERVAL": 60}
    assert start_wal_checkpointer({**cfg, "SQLALCHEMY_DATABASE_URI": "sqlite:///:memory:"}) is None
    assert start_wal_checkpointer({**cfg, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://h/db"}) is None
    assert start_wal_checkpointer({**cfg, "SQLALCHEMY_DATABASE_URI": url, "SQLITE_CHECKPOINT_INTERVAL": 0}) is None
    running = start_wal_checkpointer({**cfg, "SQLALCHEMY_DATABASE_URI": url})
    try:
        assert running is not None and running.thread.is_alive()
        assert running.threshold_bytes == 16 * 1024 * 1024 and running.db_path == tmp_path / "x.db"
    finally:
        running.stop()
    assert not running.thread.is_alive()


# --- /healthz ---------------------------------------------------------------------------------
def test_healthz_reports_the_wal_and_no_warning_within_its_bound(client, tenant):
    body = client.get("/healthz").json
    assert body["status"] == "ok" and body["database"] == "ok" and body["warnings"] == []
    if on_postgres():
        assert "wal_bytes" not in body
    else:
        assert body["wal_bytes"] == file_size(wal_path(sqlite_path(client.application.config[
            "SQLALCHEMY_DATABASE_URI"]))) > 0


@sqlite_only
def test_healthz_warns_but_answers_200_when_the_wal_is_over_its_bound(app, client, tenant, monkeypatch):
    monkeypatch.setitem(app.config, "SQLITE_JOURNAL_SIZE_LIMIT", 1024)  # any WAL with a frame is over
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.json["status"] == "ok"
    assert resp.json["wal_bytes"] > 1024
    [warning] = resp.json["warnings"]
    assert "over its bound of 1024 bytes" in warning and "flask db-maintenance" in warning


# --- flask db-maintenance ---------------------------------------------------------------------
@sqlite_only
def test_db_maintenance_on_sqlite_checkpoints_analyzes_and_checks(app, runner, tenant):
    db_path = sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"])
    assert file_size(wal_path(db_path)) > 0  # the tenant's rows went through the WAL
    result = runner.invoke(args=["db-maintenance"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "checkpoint(TRUNCATE) complete" in out and "PRAGMA quick_check: ok" in out
    assert re.search(r"after: database [\d.]+ MiB \(\d+ bytes\), WAL 0\.0 MiB \(0 bytes\)", out), out
    assert "VACUUM" not in out and out.strip().endswith("db-maintenance: done")
    assert file_size(wal_path(db_path)) == 0
    with sqlite3.connect(str(db_path)) as conn:  # ANALYZE ran: the planner has statistics
        assert conn.execute("SELECT count(*) FROM sqlite_stat1").fetchone()[0] > 0

    result = runner.invoke(args=["db-maintenance", "--vacuum"])
    assert result.exit_code == 0, result.output
    assert "writers wait" in result.output and "VACUUM: done" in result.output
    assert file_size(wal_path(db_path)) == 0  # VACUUM's pages were checkpointed too


@sqlite_only
def test_db_maintenance_fails_clearly_when_a_reader_keeps_the_checkpoint_back(app, runner, tenant, monkeypatch):
    import backend.maintenance as maintenance

    monkeypatch.setattr(maintenance, "CHECKPOINT_BUSY_TIMEOUT_MS", 50)
    db_path = sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"])
    reader = sqlite3.connect(str(db_path), isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM agency").fetchone()
        result = runner.invoke(args=["db-maintenance"])
    finally:
        reader.close()
    assert result.exit_code == 1
    assert "NOT complete" in result.output and "Error: the WAL checkpoint did not complete" in result.output


@pytest.mark.no_db
def test_db_maintenance_fails_clearly_without_a_database(tmp_path):
    missing = make_app(f"sqlite:///{tmp_path / 'missing.db'}").test_cli_runner().invoke(args=["db-maintenance"])
    assert missing.exit_code == 1 and "does not exist" in missing.output
    dead = make_app("postgresql+psycopg://postgres@127.0.0.1:1/nowhere?connect_timeout=1")
    result = dead.test_cli_runner().invoke(args=["db-maintenance"])
    assert result.exit_code == 1
    assert "Error: PostgreSQL maintenance failed: OperationalError" in result.output
    assert "Traceback" not in result.output


def _vacuum_stats(app):
    from backend.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        return conn.execute(text(
            "SELECT n_live_tup, n_dead_tup, last_vacuum, last_analyze FROM pg_stat_user_tables "
            "WHERE relname = 'metric_point'")).one()


@postgres_only
def test_db_maintenance_on_postgres_vacuums_metric_point(app, client, runner, tenant):
    days = [(dt.date(2024, 1, 1) + dt.timedelta(days=i)).isoformat() for i in range(40)]
    with_points(app, client, tenant, [pt(date=d, value=1) for d in days])
    key = {"Authorization": f"Bearer {tenant.keys['write']}"}
    assert push(client, tenant.company_a, [pt(date=d, value=2) for d in days], **key).status_code == 200
    assert _vacuum_stats(app)[2] is None  # never vacuumed by hand in this fresh database

    result = runner.invoke(args=["db-maintenance", "--vacuum"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "connected" in out and "VACUUM (ANALYZE) metric_point" in out and "nothing more on PostgreSQL" in out
    assert re.search(r"metric_point before: \d+ live, \d+ dead tuples", out), out
    assert re.search(r"metric_point after: 40 live, 0 dead tuples", out), out
    live, dead, last_vacuum, last_analyze = _vacuum_stats(app)
    assert (live, dead) == (40, 0) and last_vacuum is not None and last_analyze is not None


# --- under gunicorn, as make run serves -------------------------------------------------------
def _flock_holders(path: Path) -> list[int]:
    """Pids holding a flock on ``path``, from /proc/locks ("1: FLOCK ADVISORY WRITE pid maj:min:inode ...")."""
    inode = path.stat().st_ino
    holders = []
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "->" in fields:
            continue  # a waiter, not a holder
        if fields[1] == "FLOCK" and int(fields[5].rsplit(":", 1)[1]) == inode:
            holders.append(int(fields[4]))
    return holders


@sqlite_only
@pytest.mark.slow
def test_under_gunicorn_one_worker_checkpoints_the_wal(tmp_path):
    import time

    from flask_migrate import upgrade
    from live_server import Gunicorn, timed_get

    db_path = tmp_path / "served.db"
    url = f"sqlite:///{db_path}"
    migrating = make_app(url)
    with migrating.app_context():
        upgrade(directory=str(Path(__file__).resolve().parents[2] / "migrations"))
        from backend.extensions import db

        db.engine.dispose()
    server = Gunicorn(url, tmp_path / "gunicorn.log", workers=2, threads=2,
                      env={"SQLITE_CHECKPOINT_INTERVAL": "0.2", "SQLITE_WAL_LIMIT_MB": "0.25"})
    server.start()
    # The test's own connection stays open throughout: the WAL cannot vanish at a last close,
    # only through a TRUNCATE checkpoint.
    writer = sqlite3.connect(str(db_path), isolation_level=None)
    try:
        writer.execute("CREATE TABLE scratch (body TEXT)")
        writer.execute("BEGIN")
        writer.executemany("INSERT INTO scratch VALUES (?)", [(ROW,)] * 1000)
        writer.execute("COMMIT")
        assert file_size(wal_path(db_path)) > 64 * 1024  # over the threshold (a quarter of 0.25 MiB)
        deadline = time.monotonic() + 30
        while file_size(wal_path(db_path)) > 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert file_size(wal_path(db_path)) == 0, server.log_tail()
        holders = _flock_holders(lock_path(db_path))
        assert len(holders) == 1 and holders[0] in server.worker_pids(), (holders, server.worker_pids())
        status, _, body = timed_get(server.port, "/healthz")
        assert status == 200 and b'"warnings":[]' in body.replace(b" ", b"")
    finally:
        writer.close()
        server.stop()
