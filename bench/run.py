"""Orchestration of ``make bench``: per database, set up, measure, tear down; then report."""
from __future__ import annotations

import argparse
import datetime as dt
import inspect
import json
import os
import platform
import sqlite3
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from .config import TARGETS, Sizes
from .database import BenchDatabase, open_databases
from .dataset import add_goals, build_main, build_others, last_data_day, load_other_points, main_points, measured_period
from .measure import BenchError, measure_ingest, measure_queries, stats_ms
from .progress import Progress
from .report import figures, table
from .server import ROOT, Gunicorn, HttpClient, app_environment

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@contextmanager
def _environment(values: dict[str, str]):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def make_app(database_url: str, secret_key: str):
    """The app in this process (set-up through the services, the dashboard measurement), built
    with the same production settings as the gunicorn workers."""
    from backend import create_app

    with _environment(app_environment(database_url, secret_key)):
        return create_app("production")


def migrate(app) -> None:
    import logging

    from flask_migrate import upgrade

    logging.getLogger("alembic").setLevel(logging.WARNING)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))


def run_dashboard(app, main, sizes: Sizes, server: Gunicorn, db: BenchDatabase) -> dict:
    """Call ``bench/dashboard_bench.py`` (see bench/__init__.py for the hook's contract)."""
    import importlib

    try:
        dashboard_bench = importlib.import_module(f"{__package__}.dashboard_bench")
    except ModuleNotFoundError as err:
        if err.name != f"{__package__}.dashboard_bench":
            raise
        return {"error": "bench/dashboard_bench.py is not there yet: no dashboard figure"}
    fn = getattr(dashboard_bench, "measure", None) or getattr(dashboard_bench, "run", None)
    if fn is None:
        return {"error": "bench/dashboard_bench.py has no measure() or run()"}
    context = {
        "app": app, "company_id": main.company_id, "agency_id": main.agency_id,
        "user_id": main.user_id, "user_email": main.user_email,
        "iterations": sizes.dashboard_iterations, "base_url": server.base_url,
        "database_url": db.url,
    }
    params = inspect.signature(fn).parameters
    takes_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    kwargs = context if takes_all else {k: v for k, v in context.items() if k in params}
    answer = fn(**kwargs)
    if isinstance(answer, dict) and "samples_s" in answer and "p95_ms" not in answer:
        answer = {**answer, **stats_ms(answer["samples_s"])}
    return answer if isinstance(answer, dict) else {"error": f"dashboard bench returned {answer!r}"}


def run_database(db: BenchDatabase, sizes: Sizes, progress: Progress, log_dir: Path) -> dict:
    """Everything measured on one database, which is created first and dropped at the end."""
    result: dict = {"database": db.kind, "errors": []}
    app = server = conn = client = None
    started = time.perf_counter()
    last_day = last_data_day()
    period = measured_period(last_day)
    try:
        with progress.step("scratch database"):
            db.create()
        import secrets

        with progress.step("schema (migrations)"):
            app = make_app(db.url, secrets.token_urlsafe(32))
            migrate(app)
        with progress.step("agency, company, 10 channels, API key (services)"):
            main = build_main(app, sizes)
        conn = db.connect()
        if db.kind == "postgresql":
            result["server_version"] = conn.info.server_version
        else:
            result["server_version"] = sqlite3.sqlite_version
        points = main_points(sizes, last_day)
        server = Gunicorn(db.url, log_dir / f"gunicorn-{db.kind}.log")
        with progress.step(f"gunicorn on port {server.port}"):
            server.start()
        client = HttpClient(server.port, {"Authorization": f"Bearer {main.api_key}"})

        try:
            result["ingest"] = measure_ingest(db, conn, client, main, points, sizes, progress)
        except BenchError as err:
            result["ingest"] = {"error": str(err)}
            result["errors"].append(f"ingest: {err}")
            with progress.step("push failed: loading the company's points through the driver instead"):
                from .dataset import raw_rows

                db.insert_points(conn, raw_rows(db, main.agency_id, main.company_id, main.channel_ids, points))
        del points
        db.analyze(conn)

        with progress.step("query, the company alone"):
            result["query_empty"] = measure_queries(db, conn, client, main, period, sizes, progress)

        with progress.step(f"{sizes.others:,} other companies in {sizes.other_agencies} agencies (bulk ORM insert)"):
            build_others(app, sizes, main, progress)
        with progress.step(f"their {sizes.other_points:,} points (driver bulk load)"):
            load_other_points(db, conn, sizes, main, last_day)
            db.analyze(conn)

        with progress.step("query, among the others"):
            result["query_crowded"] = measure_queries(db, conn, client, main, period, sizes, progress)

        with progress.step("the company's sub-goals (services)"):
            add_goals(app, main, sizes, last_day)
        with progress.step("dashboard callbacks"):
            try:
                result["dashboard"] = run_dashboard(app, main, sizes, server, db)
            except Exception as err:  # noqa: BLE001 - report, keep the other figures
                result["dashboard"] = {"error": f"{type(err).__name__}: {err}"}
                result["errors"].append(f"dashboard: {type(err).__name__}: {err}")
    except BenchError as err:
        result["errors"].append(str(err))
        progress.say(f"stopped: {err}")
    finally:
        if client is not None:
            client.close()
        if server is not None:
            server.stop()
        if conn is not None:
            conn.close()
        if app is not None:
            from backend.extensions import db as sa

            with app.app_context():
                sa.session.remove()
                sa.engine.dispose()
        db.drop()
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["figures"] = figures(result, sizes.others)
    return result


def machine() -> dict:
    return {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "processor": platform.processor() or platform.machine()}


def run(sizes: Sizes, kinds: list[str], postgres_url: str | None, progress: Progress,
        log_dir: Path = RESULTS_DIR) -> dict:
    started = time.perf_counter()
    report = {
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(), "sizes": sizes.as_dict(), "targets": TARGETS, "databases": {},
    }
    for db in open_databases(kinds, postgres_url):
        report["databases"][db.kind] = run_database(db, sizes, progress.child(db.kind), log_dir)
    report["seconds"] = round(time.perf_counter() - started, 1)
    verdicts = [f["pass"] for r in report["databases"].values() for f in r["figures"]]
    report["all_pass"] = bool(verdicts) and all(v is True for v in verdicts)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny data (seconds): checks the bench itself")
    parser.add_argument("--databases", help="comma-separated: sqlite,postgresql "
                        "(default: sqlite, plus postgresql when BENCH_POSTGRES_URL is set)")
    parser.add_argument("--iterations", type=int, help="timed rounds per query measurement")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "latest.json")
    args = parser.parse_args(argv)

    postgres_url = os.environ.get("BENCH_POSTGRES_URL") or None
    kinds = args.databases.split(",") if args.databases else ["sqlite"] + (["postgresql"] if postgres_url else [])
    sizes = Sizes.smoke() if args.quick else Sizes.full()
    if args.iterations:
        from dataclasses import replace

        sizes = replace(sizes, iterations=args.iterations)
    progress = Progress()
    progress.say(f"bench on {', '.join(kinds)}: a company of {sizes.main_points:,} points, "
                 f"{sizes.others:,} others with {sizes.other_points:,} points")
    report = run(sizes, kinds, postgres_url, progress, args.output.parent)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print()
    print(table(report))
    print()
    print(f"{'all targets met' if report['all_pass'] else 'some targets missed'}; "
          f"{report['seconds']:.0f} s on {report['machine']['cpus']} cores; report: {args.output}")
    failed = any(r.get("errors") and not r.get("query_empty") for r in report["databases"].values())
    return 1 if failed else 0
