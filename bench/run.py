"""Orchestration of ``make bench``: per database, set up, measure, tear down; then report."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import browser_bench, dashboard_bench, search_bench
from .config import TARGETS, Sizes
from .database import BenchDatabase, open_databases
from .dataset import add_goals, build_main, build_others, last_data_day, load_other_points, main_points, measured_period
from .measure import BenchError, measure_ingest, measure_queries
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


def run_dashboard(app, main, sizes: Sizes) -> dict:
    """The dashboard's callbacks on the bench company, as its owner (bench/dashboard_bench.py)."""
    return dashboard_bench.measure(app, main.company_id, main.user_id, sizes.dashboard_iterations)


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
                result["dashboard"] = run_dashboard(app, main, sizes)
            except Exception as err:  # noqa: BLE001 - report, keep the other figures
                result["dashboard"] = {"error": f"{type(err).__name__}: {err}"}
                result["errors"].append(f"dashboard: {type(err).__name__}: {err}")
        with progress.step(f"search: {sizes.search_mentions:,} mentions among {sizes.search_other_mentions:,} "
                           "of others (bulk ORM insert)"):
            loaded = search_bench.load(app, main, sizes, last_day, progress)
            db.analyze(conn)
        with progress.step("search queries"):
            try:
                result["search"] = {**loaded, **search_bench.measure(client, main, sizes, progress)}
            except BenchError as err:
                result["search"] = {**loaded, "error": str(err)}
                result["errors"].append(f"search: {err}")
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
    report: dict[str, Any] = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(), "sizes": sizes.as_dict(), "targets": TARGETS, "databases": {},
    }
    for db in open_databases(kinds, postgres_url):
        report["databases"][db.kind] = run_database(db, sizes, progress.child(db.kind), log_dir)
    report["seconds"] = round(time.perf_counter() - started, 1)
    verdicts = [f["pass"] for r in report["databases"].values() for f in r["figures"]]
    report["all_pass"] = bool(verdicts) and all(v is True for v in verdicts)
    return report


def run_browser(progress: Progress, log_dir: Path, rounds: int) -> dict:
    """The browser figures, or ``{"error": ...}`` when they could not be measured."""
    try:
        result = browser_bench.measure(progress, log_dir, rounds=rounds)
    except browser_bench.BrowserBenchError as err:
        progress.say(f"stopped: {err}")
        return {"error": str(err)}
    verdicts = [s["pass"] for s in result["steps"].values() if s["pass"] is not None]
    result["all_pass"] = bool(verdicts) and all(verdicts)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny data (seconds): checks the bench itself")
    parser.add_argument("--databases", help="comma-separated: sqlite,postgresql "
                        "(default: sqlite, plus postgresql when BENCH_POSTGRES_URL is set)")
    parser.add_argument("--iterations", type=int, help="timed rounds per query measurement")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "latest.json")
    parser.add_argument("--browser", choices=("yes", "no", "only"), default="yes",
                        help="the browser benchmark on an emulated 4G link (bench/browser_bench.py): "
                             "run it too (default), skip it, or run it alone")
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
    if args.browser == "only":
        kinds = []
    report = run(sizes, kinds, postgres_url, progress, args.output.parent)
    if args.browser != "no":
        report["browser"] = run_browser(progress.child("browser"), args.output.parent, rounds=1 if args.quick else 3)
        report["all_pass"] = (report["all_pass"] or not kinds) and report["browser"].get("all_pass", False)
        report["seconds"] = round(time.perf_counter() - progress.started, 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print()
    if report["databases"]:
        print(table(report))
        print()
    if "browser" in report:
        browser = report["browser"]
        print(browser_bench.table(browser) if "steps" in browser else f"browser benchmark: {browser['error']}")
        print()
    print(f"{'all targets met' if report['all_pass'] else 'some targets missed'}; "
          f"{report['seconds']:.0f} s on {report['machine']['cpus']} cores; report: {args.output}")
    failed = any(r.get("errors") and not r.get("query_empty") for r in report["databases"].values()) \
        or "error" in report.get("browser", {})
    return 1 if failed else 0
