"""Liveness with a database round-trip; on SQLite also the WAL's size against its bound; system
jobs (database upkeep) that failed after their last retry in the past 24 hours.

200 with ``warnings`` when something needs an operator's eye but requests are served; 503 when
the database does not answer.
"""
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from .extensions import db
from .jobs.failures import system_failures
from .maintenance import file_size, sqlite_path, wal_path

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any database failure means unhealthy
        db.session.rollback()
        return jsonify(status="unavailable", database=type(exc).__name__), 503
    body: dict = {"status": "ok", "database": "ok", "warnings": []}
    path = sqlite_path(db.engine.url)
    if path is not None:
        wal_bytes = file_size(wal_path(path))
        limit = int(current_app.config.get("SQLITE_JOURNAL_SIZE_LIMIT") or 0)
        body["wal_bytes"] = wal_bytes
        if limit and wal_bytes > limit:
            body["warnings"].append(
                f"SQLite WAL is {wal_bytes} bytes, over its bound of {limit} bytes (journal_size_limit): "
                "checkpoints are not finishing; run 'flask db-maintenance' (docs/operations.md)")
    try:
        failures = system_failures()
    except Exception:  # noqa: BLE001 - a database without the table yet (flask db upgrade): no warning
        db.session.rollback()
        failures = []
    for failure in failures:
        body["warnings"].append(
            f"system job {failure.job} failed at {failure.failed_at:%Y-%m-%d %H:%M} UTC after {failure.attempts} "
            f"attempt(s): {failure.error} (flask jobs failures; docs/operations.md)")
    return jsonify(body)
