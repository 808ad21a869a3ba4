"""Schemathesis against the running app: every operation of /api/v1/openapi.json, with the
checks not_a_server_error, response_schema_conformance, status_code_conformance and
content_type_conformance, in every phase: examples, coverage (boundary and invalid values),
fuzzing, and the stateful phase that follows the spec's links (POST /companies ->
GET/PATCH/DELETE /companies/{company_id} and the nested resources, POST .../goals -> the goal ...).

The app runs on a loopback port (werkzeug, threaded) on this session's database — SQLite, or
PostgreSQL under ``REACHBOARD_TEST_DB=postgres`` — with rate limits off. Schemathesis runs in a
subprocess (its CLI) with an agency-wide admin API key in the Authorization header.

So that generated requests reach past "404 no such company", one company is seeded with
channels, 60 days of metrics, a goal, a campaign, a strategy and a custom metric, and the run's
config binds path ids, channel keys, metric keys and dates to those values most of the time
(schemathesis dictionaries; random values the rest of the time). DELETE operations are never
bound: they delete what the stateful phase created, or answer 404.

Budget: ``FUZZ_EXAMPLES`` test cases per operation and phase (default 8: 12 took 105 s on SQLite
once listening added its operations, a seventh of the suite's 15 minutes; 25 took 82 s per
database before them); ``make fuzz`` runs 100.
Optional: ``FUZZ_SEED`` (default fixed, so a run repeats), ``FUZZ_WORKERS`` (default 1),
``FUZZ_LOG`` (a file for schemathesis' whole output), ``FUZZ_REPORT_DIR`` (schemathesis reports
there, ``FUZZ_REPORT=har`` by default). On failure the message is schemathesis' report: each
failing operation, the check, the response and a curl reproducer (``st replay <id>`` needs the
run's cassette; the curl line does not).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from conftest import ApiClient, build_tenant, make_app
from live_server import serve_in_thread

pytestmark = pytest.mark.slow

CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
SEED = os.environ.get("FUZZ_SEED", "20261130")
TIMEOUT = int(os.environ.get("FUZZ_TIMEOUT", "3600"))
# One request at a time, so that a run repeats: with two, a DELETE /companies/{id} races requests
# on that company's objects, and the result depends on timing (one such race, a key revoked while
# its company is deleted, answered 500: tests/api/test_openapi_contract.py). FUZZ_WORKERS=2 looks for
# races on purpose.
WORKERS = os.environ.get("FUZZ_WORKERS", "1")
METRICS = ("followers", "reach", "impressions", "engagements", "spend", "revenue",
           "mentions", "mentions_positive", "mentions_negative")


class KeepKey:
    """WSGI middleware: when a fuzzed ``DELETE /api/v1/api-keys/{id}`` revokes the fuzzing key
    itself (its id is in ``GET /me`` and ``GET /api-keys``), un-revoke it once the answer is
    sent, so the rest of the run is not a wall of 401s. The answer itself is the app's own."""

    def __init__(self, app, key_id: uuid.UUID):
        self.app = app
        self.wsgi_app = app.wsgi_app
        self.key_id = key_id
        self.path = f"/api/v1/api-keys/{key_id}"

    def __call__(self, environ, start_response):
        touched = environ.get("REQUEST_METHOD") == "DELETE" and environ.get("PATH_INFO", "").lower() == self.path
        try:
            yield from self.wsgi_app(environ, start_response)
        finally:
            if touched:
                from backend.extensions import db
                from backend.models import ApiKey

                table = ApiKey.__table__
                with self.app.app_context(), db.engine.begin() as conn:
                    conn.execute(table.update().where(table.c.id == self.key_id).values(revoked_at=None))


def _ok(resp, status=(200, 201)):
    assert resp.status_code in status, (resp.status_code, resp.get_data(as_text=True)[:500])
    return resp.json


def seed(api: ApiClient, company_id) -> dict:
    """Channels, 60 days of metrics, a goal, a campaign, a strategy revision and a custom metric
    on one company, made through the API; returns the values the fuzzer's dictionaries use."""
    base = f"/api/v1/companies/{company_id}"
    for key, platform in (("facebook", "facebook"), ("insta", "instagram")):
        _ok(api.post(f"{base}/channels", json={"key": key, "platform": platform, "followers_target": 5000}))
    today = dt.date.today()
    days = [today - dt.timedelta(days=n) for n in range(60, -1, -1)]
    points = [{"channel": channel, "metric": metric, "date": day.isoformat(),
               "value": (n * 7 + len(metric) * 13 + len(channel)) % 500 + (1000 if metric == "followers" else 0) + n}
              for channel in ("facebook", "insta") for metric in METRICS for n, day in enumerate(days)]
    _ok(api.post(f"{base}/metrics", json={"points": points}))
    deadline = (today + dt.timedelta(days=90)).isoformat()
    goal = _ok(api.post(f"{base}/goals", json={
        "title": "Grow", "kpi": {"metric": "followers", "target": 4000, "start_date": days[0].isoformat(),
                                 "deadline": deadline}}))
    campaign = _ok(api.post(f"{base}/campaigns", json={
        "name": "Spring", "start_date": days[10].isoformat(), "end_date": days[40].isoformat(),
        "channels": ["facebook"], "budget": 1200}))
    _ok(api.put(f"{base}/strategy", json={
        "objective": "Be known", "audiences": [{"name": "Locals", "channels": ["facebook"]}],
        "channel_plan": [{"channel": "insta", "purpose": "Pictures"}],
        "launch_plan": {"followers_target": 5000, "target_date": (today + dt.timedelta(days=30)).isoformat()}}))
    _ok(api.post("/api/v1/metric-definitions", json={"key": "signups", "kind": "flow"}))
    return {
        "companies": [str(company_id)],
        "channels": ["facebook", "insta"],
        "channel_or_all": ["facebook", "insta", "all"],
        "metrics": [*METRICS, "signups", "engagement_rate", "follower_growth", "roi", "sentiment_score",
                    "cost_per_1k_reach", "response_time_minutes"],
        "goals": [goal["id"]],
        "campaigns": [campaign["id"]],
        "revisions": [0, 1],
        "dates": [d.isoformat() for d in (days[0], days[20], days[45], today, today + dt.timedelta(days=1),
                                           today + dt.timedelta(days=120), dt.date(2000, 1, 1), dt.date(2100, 12, 31))],
    }


def fuzz_config(values: dict) -> str:
    """schemathesis.toml: the dictionaries, their bindings (never for DELETE's path ids) and, for
    the metric reads, every metric at once (``metric`` is an array: dictionaries hold scalars)."""
    def toml(value) -> str:
        return json.dumps(value)  # JSON strings, numbers and arrays are TOML too

    bindings = {
        "path.company_id": ("companies", 0.85), "path.channel_key": ("channels", 0.8),
        "path.goal_id": ("goals", 0.8), "path.campaign_id": ("campaigns", 0.8),
        "path.revision": ("revisions", 0.6),
        "query.channel": ("channel_or_all", 0.6),
        "query.from": ("dates", 0.7), "query.to": ("dates", 0.7), "query.as_of": ("dates", 0.7),
        "query.company_id": ("companies", 0.5),
        "body.points[*].channel": ("channels", 0.8), "body.points[*].metric": ("metrics", 0.8),
        "body.points[*].date": ("dates", 0.8),
        "body.kpi.metric": ("metrics", 0.8), "body.kpi.channel": ("channel_or_all", 0.8),
        "body.kpi.start_date": ("dates", 0.8), "body.kpi.deadline": ("dates", 0.8),
        "body.start_date": ("dates", 0.8), "body.end_date": ("dates", 0.8),
        "body.channels[*]": ("channels", 0.8),
        "body.audiences[*].channels[*]": ("channels", 0.8), "body.channel_plan[*].channel": ("channels", 0.8),
        "body.launch_plan.target_date": ("dates", 0.8),
        "body.company_ids[*]": ("companies", 0.8), "body.company_id": ("companies", 0.5),
    }
    lines = []
    for name, entries in values.items():
        lines += [f"[dictionaries.{name}]", f"values = {toml(entries)}", ""]
    lines += ["[parameters]"]
    lines += [f'"{key}" = {{ dictionary = "{name}", probability = {p} }}' for key, (name, p) in bindings.items()]
    lines += ["", "[[operations]]", 'include-method = "DELETE"', "[operations.parameters]"]
    lines += [f'"{key}" = {{ dictionary = "{name}", probability = 0.0 }}'
              for key, (name, _) in bindings.items() if key.startswith("path.")]
    lines += ["", "[[operations]]", 'include-path-regex = "/metrics(/summary|/export)?$"', 'include-method = "GET"',
              "[operations.parameters]", f'"query.metric" = {toml(values["metrics"])}']
    return "\n".join(lines) + "\n"


@pytest.fixture
def fuzz_server(app, database_url):
    """The app on a free loopback port with one seeded company; yields (base URL, admin key,
    the fuzzer's dictionaries)."""
    fuzz_app = make_app(database_url, RATELIMIT_ENABLED=False)
    tenant = build_tenant(fuzz_app, "Fuzz Agency")
    values = seed(ApiClient(fuzz_app.test_client(), tenant.keys["admin"]), tenant.company_a.id)
    fuzz_app.wsgi_app = KeepKey(fuzz_app, tenant.key_ids["admin"])  # type: ignore[method-assign]
    with serve_in_thread(fuzz_app) as base_url:  # no access log line per request (thousands)
        yield base_url, tenant.keys["admin"], values


def _schemathesis() -> list[str]:
    exe = Path(sys.executable).with_name("schemathesis")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "schemathesis.cli"]


def test_openapi_fuzz(fuzz_server, tmp_path):
    base, key, values = fuzz_server
    config = tmp_path / "schemathesis.toml"
    config.write_text(fuzz_config(values))
    cmd = [
        *_schemathesis(), "--config-file", str(config), "run", f"{base}/api/v1/openapi.json",
        "--header", f"Authorization: Bearer {key}",
        "--checks", CHECKS,
        "--max-examples", str(EXAMPLES),
        "--seed", SEED,
        "--workers", WORKERS,
        "--generation-database", "none",
        "--request-timeout", "60",
        "--no-color",
    ]
    if os.environ.get("FUZZ_REPORT_DIR"):  # e.g. a HAR file of every request, for a closer look
        cmd += ["--report", os.environ.get("FUZZ_REPORT", "har"), "--report-dir", os.environ["FUZZ_REPORT_DIR"]]
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, cwd=str(tmp_path))
    elapsed = time.monotonic() - started
    output = (proc.stdout + proc.stderr).replace(key, "<admin key>")
    if os.environ.get("FUZZ_LOG"):
        Path(os.environ["FUZZ_LOG"]).write_text(output)
    summary = "\n".join(line for line in output.splitlines()[-40:] if line.strip())
    print(f"schemathesis: {EXAMPLES} examples per operation, {elapsed:.0f} s\n{summary}")
    if proc.returncode != 0:
        # The report from the first failure on: operations, checks, curl reproducers.
        start = re.search(r"^=+ FAILURES =+$", output, re.M)
        report = output[start.start():] if start else output[-20000:]
        pytest.fail(f"schemathesis found failures (exit {proc.returncode}, {elapsed:.0f} s):\n{report}",
                    pytrace=False)
