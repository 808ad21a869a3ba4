"""Concurrent pushes through gunicorn (4 workers) of overlapping batches of the same keys:
no 5xx ("database is locked" included), no acknowledged point missing, no duplicate rows, and
every final value is one that some client pushed for that key. Runs on the session's database:
a temporary SQLite file, or PostgreSQL in the PostgreSQL pass."""
from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import pytest
from metrics_util import add_channels, count_points, metrics_url, stored

ROOT = Path(__file__).resolve().parents[2]
DURATION_S = 20
CLIENTS = 8
BATCH = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(database_url, app, tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "concurrency-test-secret",
        "REACHBOARD_ENV": "development",
        "REACHBOARD_INSTANCE": str(tmp_path),
        "PUSH_RATE_LIMIT": "1000000 per minute",
        "API_RATE_LIMIT": "1000000 per minute",
        "LOG_LEVEL": "WARNING",
        "PORT": str(port),
        "WEB_WORKERS": "4",
        "WEB_THREADS": "2",
    }
    log = open(tmp_path / "gunicorn.log", "wb")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),
         "--workers", "4", "--threads", "2", "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null",
         "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    import requests

    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail("gunicorn exited: " + (tmp_path / "gunicorn.log").read_text()[-2000:])
            try:
                if requests.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail("gunicorn did not start: " + (tmp_path / "gunicorn.log").read_text()[-2000:])
            time.sleep(0.3)
        yield base
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.mark.slow
def test_concurrent_overlapping_pushes(app, tenant, server):
    import requests

    t = tenant
    add_channels(app, t)
    keys = [(ch, m, f"2024-03-{day:02d}") for ch in ("fb", "ig") for m in ("followers", "reach")
            for day in range(1, 31)]
    url = server + metrics_url(t.company_a)
    headers = {"Authorization": f"Bearer {t.keys['write']}"}
    pushed: dict[tuple, set] = defaultdict(set)
    acknowledged: set[tuple] = set()
    statuses: list[int] = []
    problems: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + DURATION_S

    def client(n: int) -> None:
        rnd = random.Random(n)
        session = requests.Session()
        seq = 0
        while time.monotonic() < stop_at:
            seq += 1
            chosen = rnd.sample(keys, BATCH)
            value = float(n * 1_000_000 + seq)
            with lock:
                for k in chosen:
                    pushed[k].add(value)
            body = {"points": [{"channel": c, "metric": m, "date": d, "value": value} for c, m, d in chosen]}
            try:
                r = session.post(url, json=body, headers=headers, timeout=120)
            except requests.RequestException as err:
                with lock:
                    problems.append(f"client {n}: {err!r}")
                return
            with lock:
                statuses.append(r.status_code)
                if r.status_code == 200:
                    acknowledged.update(chosen)
                    counts = r.json()
                    if counts["created"] + counts["updated"] + counts["unchanged"] != BATCH:
                        problems.append(f"bad counts {counts}")
                else:
                    problems.append(f"{r.status_code}: {r.text[:300]}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(1, CLIENTS + 1)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()

    assert not problems, problems[:5]
    assert statuses and all(s == 200 for s in statuses)
    final = stored(app, t)
    assert count_points(app, t) == len(final)  # no duplicate rows
    assert acknowledged <= {k for k in final}  # no acknowledged point missing
    for key, value in final.items():
        assert value in pushed[key], (key, value)
