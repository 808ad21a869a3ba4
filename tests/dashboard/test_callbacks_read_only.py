"""Dashboard callbacks POST only to read: on SQLite their transactions must not take the write
lock (``BEGIN IMMEDIATE``), or every push and import waits behind a callback's reads (issue 19's
soak). A writer holds the lock here; a callback still answers at once, a write does not."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import build_tenant, login, make_app
from dash_calls import company_inputs

from dashboard.callback_bodies import callback_body

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.no_db
def test_a_callback_reads_while_another_connection_holds_the_write_lock(tmp_path):
    from flask_migrate import upgrade

    db_file = tmp_path / "locked.db"
    app = make_app(f"sqlite:///{db_file}", SQLITE_BUSY_TIMEOUT_MS=300)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    tenant = build_tenant(app, "Lock Agency")
    client = login(app.test_client(), tenant.emails["owner"])
    specs = client.get("/dashboard/_dash-dependencies").json
    body = callback_body(specs, "rb-kpi-cards.children", company_inputs(tenant.company_a.id, "30d"))

    writer = sqlite3.connect(db_file, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another worker in the middle of a push
    try:
        resp = client.post("/dashboard/_dash-update-component", json=body)
        assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
        assert resp.json["response"]["rb-kpi-cards"]["children"]
        # A request that writes does wait for the lock, and gives up after the busy timeout.
        blocked = app.test_client().post("/api/v1/companies", json={"name": "blocked"},
                                         headers={"Authorization": f"Bearer {tenant.keys['admin']}"})
        assert blocked.status_code == 503, (blocked.status_code, blocked.get_data(as_text=True)[:300])
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        from backend.extensions import db

        with app.app_context():
            db.engine.dispose()
