"""A request killed mid-way must not block retries with the same Idempotency-Key for minutes.

In process: a running marker whose holder process is gone is taken over at once; one held on
another host is honoured (409) until its lease runs out, then taken over. Through gunicorn: a
worker is killed with SIGKILL during a push; the retry with the same key goes through as soon as
the master has started a new worker, and a replay then returns the stored answer.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import json
import os
import signal
import subprocess
import threading
import time

import pytest
from live_server import Gunicorn, child_pids
from metrics_util import add_channels, count_points, metrics_url


def _points(n: int, channel: str = "fb") -> list[dict]:
    """``n`` points: daily reach, then impressions, from 2005 on (10,000 fit before today)."""
    start = dt.date(2005, 1, 1)
    return [{"channel": channel, "metric": ("reach", "impressions")[i // 5000],
             "date": (start + dt.timedelta(days=i % 5000)).isoformat(), "value": i} for i in range(n)]


def _plant(app, tenant, key: str, body: bytes, **fields) -> None:
    from backend.extensions import db
    from backend.models import IdempotencyRecord, utcnow
    from backend.tenancy import Principal, acting_as

    path = metrics_url(tenant.company_a)
    digest = hashlib.sha256(f"POST {path}?\n".encode() + body).hexdigest()
    with app.app_context(), acting_as(Principal.system(tenant.agency_id)):
        db.session.add(IdempotencyRecord(credential=str(tenant.key_ids["write"]), key=key, request_hash=digest,
                                         state="running", created_at=utcnow(), **fields))
        db.session.commit()


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _post(client, tenant, body: bytes, key: str):
    return client.post(metrics_url(tenant.company_a), data=body,
                       headers={"Content-Type": "application/json", "Idempotency-Key": key,
                                "Authorization": f"Bearer {tenant.keys['write']}"})


def test_a_marker_whose_worker_is_gone_is_taken_over_at_once(app, client, tenant):
    from backend.api.idempotency import HOST
    from backend.models import utcnow

    add_channels(app, tenant)
    body = json.dumps({"points": _points(3)}).encode()
    _plant(app, tenant, "orphan", body, holder=f"{HOST}:{_dead_pid()}",
           lease_until=utcnow() + dt.timedelta(minutes=5))
    resp = _post(client, tenant, body, "orphan")
    assert resp.status_code == 200 and resp.json["created"] == 3
    again = _post(client, tenant, body, "orphan")
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_data() == resp.get_data()


def test_a_marker_of_another_host_holds_until_its_lease_ends(app, client, tenant):
    from backend.extensions import db
    from backend.models import IdempotencyRecord, utcnow
    from backend.tenancy import cross_tenant

    add_channels(app, tenant)
    body = json.dumps({"points": _points(2)}).encode()
    _plant(app, tenant, "elsewhere", body, holder="another-node:4242", lease_until=utcnow() + dt.timedelta(seconds=30))
    resp = _post(client, tenant, body, "elsewhere")
    assert resp.status_code == 409 and "still being processed" in resp.json["detail"]
    assert count_points(app, tenant) == 0
    with app.app_context(), cross_tenant("test ages the lease"):
        db.session.query(IdempotencyRecord).update({"lease_until": utcnow() - dt.timedelta(seconds=1)})
        db.session.commit()
    resp = _post(client, tenant, body, "elsewhere")
    assert resp.status_code == 200 and resp.json["created"] == 2


def test_a_running_marker_names_its_holder_and_a_short_lease(app, client, tenant):
    """While the work runs, the marker says who holds it and until when (checked from inside)."""
    from backend.api import idempotency
    from backend.extensions import db
    from backend.models import IdempotencyRecord, utcnow
    from backend.services import metrics
    from backend.tenancy import cross_tenant

    add_channels(app, tenant)
    seen = {}
    original = metrics.push_points

    def spy(company_id, points):
        with cross_tenant("test peeks at the marker"):
            record = db.session.query(IdempotencyRecord).filter_by(key="watched").one()
            seen.update(holder=record.holder, lease=(record.lease_until - utcnow()).total_seconds())
        return original(company_id, points)

    metrics.push_points = spy
    try:
        assert _post(client, tenant, json.dumps({"points": _points(2)}).encode(), "watched").status_code == 200
    finally:
        metrics.push_points = original
    assert seen["holder"] == idempotency.holder()
    assert 25 <= seen["lease"] <= 31


# --- through gunicorn: kill a worker mid-push ---------------------------------------------------
def _marker_state(app, key: str) -> str | None:
    from backend.extensions import db
    from backend.models import IdempotencyRecord
    from backend.tenancy import cross_tenant

    with app.app_context(), cross_tenant("test watches the marker"):
        db.session.remove()
        return db.session.query(IdempotencyRecord.state).filter_by(key=key).scalar()


def _send(port: int, body: bytes, headers: dict, timeout: float = 30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", headers.pop("path"), body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read(), dict(resp.getheaders())
    except OSError as err:
        return None, str(err).encode(), {}
    finally:
        conn.close()


@pytest.mark.slow
def test_killing_a_worker_mid_push_does_not_block_the_retry(app, tenant, database_url, tmp_path):
    add_channels(app, tenant)
    server = Gunicorn(database_url, tmp_path / "gunicorn.log", workers=1, threads=2,
                      env={"RATELIMIT_ENABLED": "0"})
    server.start()
    try:
        body = json.dumps({"points": _points(10_000)}).encode()
        base = {"path": metrics_url(tenant.company_a), "Content-Type": "application/json",
                "Authorization": f"Bearer {tenant.keys['write']}"}
        killed = None
        for attempt in range(8):
            key = f"crash-{attempt}"
            (worker,) = child_pids(server.proc.pid)
            result = {}
            sender = threading.Thread(target=lambda result=result, key=key: result.update(
                r=_send(server.port, body, {**base, "Idempotency-Key": key})))
            sender.start()
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and _marker_state(app, key) is None:
                time.sleep(0.002)
            os.kill(worker, signal.SIGKILL)
            sender.join(30)
            if _marker_state(app, key) == "running" and result["r"][0] is None:
                killed = key
                break
            # The push finished before the kill landed: wait for the new worker and try again.
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and len(child_pids(server.proc.pid) - {worker}) != 1:
                time.sleep(0.1)
        assert killed, "never caught a push mid-way in 8 tries"
        # The retry, with the same key, goes through once the master has started a new worker.
        started = time.monotonic()
        status = None
        while time.monotonic() - started < 20:
            status, answer, _ = _send(server.port, body, {**base, "Idempotency-Key": killed})
            if status not in (None, 409):
                break
            time.sleep(0.2)
        waited = time.monotonic() - started
        assert status == 200, (status, answer[:500], server.log_tail())
        assert waited < 10, f"the retry was blocked for {waited:.1f} s"
        assert count_points(app, tenant) == 10_000
        status, again, headers = _send(server.port, body, {**base, "Idempotency-Key": killed})
        assert status == 200 and headers.get("Idempotent-Replayed") == "true" and again == answer
    finally:
        server.stop()
