"""Orchestration of ``make soak``: per database, set up as make bench does, serve as ``make run``
does (its launcher: gunicorn and the job consumer), run the mixed load with its jobs, checkpoint,
check the acknowledged points and the webhook deliveries; then the JSON report, a chart per
database and a table."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import sqlite3
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..database import BenchDatabase, PostgresDatabase, SqliteDatabase, open_databases
from ..progress import Progress
from ..run import machine, make_app, migrate
from ..server import Launcher
from .analysis import LAST_MINUTE, SECOND_MINUTE, aggregate, evaluate, failed_hard, minute, total_errors
from .checkpoints import checkpoint_cost, parse_log
from .checkpoints import describe as describe_checkpoints
from .jobs import WebhookReceiver, add_endpoint, delivery_check, drain
from .ledger import check_stored, read_stored
from .phase import SoakError, run_load
from .probes import PostgresProbe, SqliteProbe
from .settings import KINDS, TARGETS, SoakSettings
from .tenant import build
from .wrk import WrkError, require_wrk

RESULTS_DIR = Path(__file__).resolve().parents[1] / "results"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def truncate_wal(db: BenchDatabase, attempts: int = 3) -> dict:
    """SQLite: one TRUNCATE checkpoint — before the load, so that it starts on an empty WAL as a
    restarted ``make run`` would (the set-up's bulk load leaves a large one), and after it, with
    the server still up as an operator would run it. Retried when the periodic checkpointer was
    busy at the same moment."""
    from backend.maintenance import checkpoint

    assert isinstance(db, SqliteDatabase)
    tries = 0
    while True:
        tries += 1
        result = checkpoint(Path(db.path), "TRUNCATE")
        if result.complete or tries == attempts:
            break
        time.sleep(1)
    return {"mode": result.mode, "complete": result.complete, "attempts": tries, "seconds": round(result.seconds, 3),
            "wal_bytes_before": result.wal_bytes_before, "wal_bytes_after": result.wal_bytes_after,
            "described": result.describe()}


def _dispose(app) -> None:
    from backend.extensions import db as sa

    with app.app_context():
        sa.session.remove()
        sa.engine.dispose()


def run_database(db: BenchDatabase, settings: SoakSettings, progress: Progress, log_dir: Path) -> dict:
    """One soak on one scratch database, created first and dropped at the end. Raises nothing:
    a failure is ``status: failed`` with the reason, and no figures."""
    result: dict[str, Any] = {"database": db.kind, "status": "failed"}
    app = server = conn = receiver = None
    probe: SqliteProbe | PostgresProbe | None = None
    started = time.perf_counter()
    try:
        with progress.step("scratch database, schema (migrations)"):
            db.create()
            app = make_app(db.url, secrets.token_urlsafe(32))
            migrate(app)
        conn = db.connect()
        result["server_version"] = conn.info.server_version if db.kind == "postgresql" else sqlite3.sqlite_version
        tenant = build(app, db, conn, settings, progress)
        receiver = WebhookReceiver(lambda: None)
        receiver.start()
        add_endpoint(app, tenant.main.agency_id, receiver.url)
        _dispose(app)  # the set-up's pooled connections: only gunicorn's are left
        if isinstance(db, SqliteDatabase):
            result["checkpoint_before"] = truncate_wal(db)
        server = Launcher(db.url, log_dir / f"soak-server-{db.kind}.log", log_dir / f"soak-jobs-{db.kind}.db")
        server.env["LOG_LEVEL"] = "INFO"  # the periodic checkpoints' lines (bench/soak/checkpoints.py)
        with progress.step(f"gunicorn and the job consumer (backend.launcher) on port {server.port}"):
            try:
                server.start()
                master_pid, consumer_pid = server.child("gunicorn"), server.child("backend.worker")
            except RuntimeError as err:
                raise SoakError(f"cannot start the server: {err}") from None
        if isinstance(db, SqliteDatabase):
            probe = SqliteProbe(db.path)
        else:
            assert isinstance(db, PostgresDatabase)
            probe = PostgresProbe(db.url.replace("postgresql+psycopg://", "postgresql://", 1),
                                  exclude_pid=conn.info.backend_pid)  # the soak's own connection
        result["server_settings"] = probe.server_settings()
        raw = run_load(server.port, tenant, settings, probe, master_pid, progress, consumer_pid, receiver)
        receiver.recorder_ref = lambda: None  # what arrives from now on is the drain's, not the load's
        with progress.step("webhook deliveries still pending sent; delivered against received"):
            counts = drain(db, conn)
            result["webhooks"] = delivery_check(counts, receiver.figures())
        progress.say(f"  webhooks: {result['webhooks']['made']:,} made, {result['webhooks']['delivered']:,} "
                     f"delivered, {result['webhooks']['distinct_received']:,} received")
        if db.kind == "sqlite":
            result["periodic_checkpoints"] = checkpoint_cost(parse_log(server.log_path.read_text(errors="replace")),
                                                             raw["samples"], raw["started_at"], raw["seconds"])
            progress.say(f"  {describe_checkpoints(result['periodic_checkpoints'])}")
            with progress.step("final checkpoint (TRUNCATE)"):
                result["checkpoint"] = truncate_wal(db)
            progress.say(f"  {result['checkpoint']['described']}")
        result["after"] = probe.sample([])
        with progress.step("acknowledged points against stored rows"):
            ledger = raw["ledger"]
            stored = read_stored(db, conn, tenant.company_id)
            result["check"] = check_stored(ledger.acknowledged, ledger.unanswered, stored)
            result["check"]["acknowledged_writes"] = ledger.acknowledged_writes
        _results(result, raw, settings)
        result["status"] = "ok"
    except (SoakError, WrkError) as err:
        result["error"] = str(err)
        progress.say(f"FAILED: {err}")
    except Exception as err:  # noqa: BLE001 - any other failure of the set-up: reported, never a figure
        result["error"] = f"{type(err).__name__}: {err}"
        progress.say(f"FAILED: {result['error']}")
    finally:
        if receiver is not None:
            receiver.close()
        if probe is not None:
            probe.close()
        if server is not None:
            server.stop()
        if conn is not None:
            conn.close()
        if app is not None:
            _dispose(app)
        db.drop()
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def _results(result: dict, raw: dict, settings: SoakSettings) -> None:
    intervals = aggregate(raw["samples"], settings.intervals, raw["slices"])
    errors = total_errors(intervals)
    result.update(
        intervals=intervals, resources=raw["resources"], loops=raw["loops"], wrk_pinned=raw["wrk_pinned"],
        load_seconds=raw["seconds"], errors={**raw["errors"], "total": errors},
        minutes={kind: {"second": minute(intervals, kind, SECOND_MINUTE), "last": minute(intervals, kind, LAST_MINUTE)}
                 for kind in KINDS} if len(intervals) >= 4 else {},
    )
    wal_after = result.get("checkpoint", {}).get("wal_bytes_after")
    result["targets"] = evaluate(result["database"], settings.quick, intervals, raw["resources"], wal_after,
                                 result["check"], errors, result.get("server_settings", {}).get("autovacuum"),
                                 result.get("webhooks"))


def postgres_url(explicit: bool) -> str | None:
    """BENCH_POSTGRES_URL, else the local server of CI when it answers (None when not)."""
    url = os.environ.get("BENCH_POSTGRES_URL")
    if url:
        return url
    try:
        import psycopg

        psycopg.connect(DEFAULT_POSTGRES_URL, connect_timeout=2).close()
        return DEFAULT_POSTGRES_URL
    except Exception:  # noqa: BLE001 - not reachable: SQLite only (or a clear error when asked for)
        if explicit:
            raise SystemExit(f"PostgreSQL asked for but {DEFAULT_POSTGRES_URL} does not answer; "
                             "set BENCH_POSTGRES_URL") from None
        return None


def run(settings: SoakSettings, kinds: list[str], pg_url: str | None, progress: Progress,
        log_dir: Path = RESULTS_DIR) -> dict:
    report: dict[str, Any] = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "machine": machine(),
        "settings": settings.as_dict(), "targets": TARGETS, "databases": {},
    }
    started = time.perf_counter()
    for db in open_databases(kinds, pg_url):
        report["databases"][db.kind] = run_database(db, settings, progress.child(db.kind), log_dir)
    report["seconds"] = round(time.perf_counter() - started, 1)
    results = report["databases"].values()
    report["status"] = "ok" if all(r["status"] == "ok" for r in results) else "failed"
    report["hard_failures"] = [r["database"] for r in results if r["status"] == "ok" and failed_hard(r)]
    report["all_pass"] = report["status"] == "ok" and all(
        t["pass"] is not False for r in results for t in r["targets"])
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="one minute per database on small data (CI): errors, lost points and the WAL only")
    parser.add_argument("--minutes", type=float, help="load per database (default 10; --quick: 1)")
    parser.add_argument("--databases", help="comma-separated: sqlite,postgresql (default: sqlite, plus "
                        "postgresql when BENCH_POSTGRES_URL is set or the local server answers)")
    parser.add_argument("--wrk-connections", type=int, help="wrk's keep-alive connections (default 2)")
    parser.add_argument("--wrk-think-ms", type=int,
                        help="wrk's pause between an answer and the connection's next request (default 100)")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "soak-latest.json",
                        help="the JSON report; the charts go beside it (<name>-<database>.png)")
    args = parser.parse_args(argv)

    settings = SoakSettings.quick_check() if args.quick else SoakSettings.full()
    if args.minutes:
        settings = settings.with_minutes(args.minutes)
    if args.wrk_connections:
        settings = replace(settings, wrk_connections=args.wrk_connections)
    if args.wrk_think_ms is not None:
        settings = replace(settings, wrk_think_ms=args.wrk_think_ms)
    kinds = args.databases.split(",") if args.databases else None
    pg_url = postgres_url(explicit=bool(kinds and "postgresql" in kinds))
    kinds = kinds or ["sqlite"] + (["postgresql"] if pg_url else [])
    try:
        require_wrk()  # fail before any set-up when wrk is missing
    except WrkError as err:
        print(f"make soak: {err}")
        return 2
    progress = Progress()
    progress.say(f"soak on {', '.join(kinds)}: {settings.intervals} × 30 s of mixed load per database"
                 + (" (quick)" if settings.quick else ""))
    report = run(settings, kinds, pg_url, progress, args.output.parent)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    from .report import table, write_charts

    report["charts"] = write_charts(report, args.output)
    args.output.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print()
    print(table(report))
    print()
    if report["status"] != "ok":
        failed = {k: r["error"] for k, r in report["databases"].items() if r["status"] != "ok"}
        print(f"SOAK FAILED (no figures): {failed}; report: {args.output}")
        return 2
    verdict = "all targets met" if report["all_pass"] else "some targets missed"
    print(f"{verdict}; {report['seconds']:.0f} s on {report['machine']['cpus']} cores; report: {args.output}")
    if report["hard_failures"]:
        print(f"errors, lost or duplicated points on: {', '.join(report['hard_failures'])}")
        return 1
    return 0
