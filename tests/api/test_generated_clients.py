"""Generated clients as tests: what an integrator generates from /api/v1/openapi.json works
against the server without patches (issue 17).

``make clients`` (tests/clients/generate.py) makes a Python client with openapi-python-client
and TypeScript types with openapi-typescript into build/clients/; the TypeScript script is
compiled with ``tsc --strict`` there (no casts, no non-null assertions: a type the document gets
wrong fails the compile). Each test starts the app on a loopback port against this session's
database (SQLite or PostgreSQL), with a small push budget so that the scripts meet a 429, makes
an admin key, and runs one script: tests/clients/integrator.py or tests/clients/integrator.ts.
Both do the same: /me, a company and a channel, 30 days of points with an Idempotency-Key and
the replay, the weekly channel=all series, the summary, a list paged through X-Pagination, a
rejected push, a 404, a 409, a 413, a CSV import and a 429. A failure shows the script's output.

The clients are generated once per checkout of the document (``--if-needed``). The TypeScript
test needs Node.js, npm and ``make node`` (npm ci): without them it is skipped, unless
REACHBOARD_REQUIRE_NODE=1 (.ci/run), which makes it fail.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import build_tenant, make_app
from live_server import require_tool, serve_in_thread

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ROOT / "build" / "clients"
PUSH_BUDGET = "30 per minute"  # what each script spends before it meets its 429
NODE_HINT = "The TypeScript client test needs Node.js and npm (Debian: apt-get install nodejs npm), then `make node`."


def _node_ready() -> bool:
    return bool(shutil.which("node") and shutil.which("npm") and (ROOT / "node_modules" / ".bin" / "tsc").exists())


@pytest.fixture(scope="session")
def generated_clients() -> bool:
    """Generate the clients unless build/clients already has them for this document; True when
    the TypeScript ones are there too."""
    node = _node_ready()
    cmd = [sys.executable, str(ROOT / "tests" / "clients" / "generate.py"), "--if-needed"]
    if not node:
        cmd.append("--python-only")
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        pytest.fail(f"generating the clients failed:\n{proc.stdout}\n{proc.stderr}", pytrace=False)
    print(f"{proc.stdout.strip()} ({time.monotonic() - started:.1f} s)")
    return node


@pytest.fixture
def live_api(app, database_url):
    """(base URL, admin key) of the app on a loopback port, with a small push budget."""
    live = make_app(database_url, PUSH_RATE_LIMIT=PUSH_BUDGET)
    tenant = build_tenant(live, "Integrator Agency")
    with serve_in_thread(live) as base_url:
        yield base_url, tenant.keys["admin"]


def _run(cmd: list[str], base_url: str, key: str, **env: str) -> None:
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "REACHBOARD_URL": base_url, "REACHBOARD_KEY": key, **env})
    output = (proc.stdout + proc.stderr).replace(key, "<key>")
    print(f"{Path(cmd[-1]).name}: {time.monotonic() - started:.1f} s\n{output}")
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} exited {proc.returncode}:\n{output}", pytrace=False)


def test_generated_python_client(generated_clients, live_api):
    base_url, key = live_api
    _run([sys.executable, str(ROOT / "tests" / "clients" / "integrator.py")], base_url, key,
         PYTHONPATH=str(CLIENTS / "python"))


def test_generated_typescript_client(generated_clients, live_api):
    node = require_tool("node", "REACHBOARD_REQUIRE_NODE", NODE_HINT)
    require_tool("npm", "REACHBOARD_REQUIRE_NODE", NODE_HINT)
    if not generated_clients:
        message = f"node_modules/ is not installed (run `make node`): test skipped. {NODE_HINT}"
        if os.environ.get("REACHBOARD_REQUIRE_NODE") == "1":
            pytest.fail(f"{message} — REACHBOARD_REQUIRE_NODE=1 demands it.", pytrace=False)
        pytest.skip(message)
    base_url, key = live_api
    _run([node, str(CLIENTS / "ts" / "out" / "integrator.js")], base_url, key)
