"""Server time of the company page's Dash callbacks (issue 5: p95 ≤ 150 ms).

Called by the ``make bench`` harness (bench/run.py) with the app on the bench database, the
≈130,000-point company and its agency owner. Opening the company page is one callback: the
router answers the page with its first view drawn (KPI cards, three charts, the goal bars and the
chosen goal's path). Then, timed apart, the two callbacks a user fires on the page: a control
change (KPI cards and charts for the view's controls) and choosing another goal (its path). Each
is POSTed to ``/dashboard/_dash-update-component`` through Flask's test client, so the time
includes authentication, CSRF, tenant scoping, the service queries and the JSON encoding of the
answer — not the network, the browser, or this client's encoding and parsing. Views cycle
through the presets (30 days, 90 days, 12 months, year to date) by day, and 12 months by week
with one channel.
"""
from __future__ import annotations

import json
import statistics
import time

from dashboard.callback_bodies import callback_body

VIEWS = [  # (preset, granularity, channel)
    ("30d", "day", "all"), ("90d", "day", "all"), ("12m", "day", "all"), ("ytd", "day", "all"),
    ("12m", "week", "facebook"),
]
HTTPS = "https://bench.local"  # production cookies are Secure


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


class DashClient:
    """Calls dashboard callbacks the way dash-renderer does."""

    def __init__(self, app, user_id):
        from backend.extensions import db
        from backend.models import User
        from backend.tenancy import cross_tenant

        self.client = app.test_client()
        with app.app_context(), cross_tenant("the bench logs a user in"):
            session_id = db.session.get_one(User, user_id).get_id()  # the id and the session epoch
        with self.client.session_transaction(base_url=HTTPS) as session:
            session["_user_id"] = session_id
            session["_fresh"] = True
        resp = self.client.get("/dashboard/", base_url=HTTPS)
        if resp.status_code != 200:
            raise RuntimeError(f"GET /dashboard/ answered {resp.status_code}")
        cookie = self.client.get_cookie("_csrf_token", domain="bench.local", path="/dashboard/")
        self.headers = {"X-CSRFToken": cookie.value} if cookie is not None else {}
        self.specs = self.client.get("/dashboard/_dash-dependencies", base_url=HTTPS).json

    def call(self, output_fragment: str, inputs: dict, state: dict | None = None, changed: str | None = None) -> dict:
        data = json.dumps(callback_body(self.specs, output_fragment, inputs, state, changed)).encode()
        started = time.perf_counter()
        resp = self.client.post("/dashboard/_dash-update-component", data=data, content_type="application/json",
                                headers=self.headers, base_url=HTTPS)
        # Server time: the request through the app, not this client's encoding of the request or
        # its parsing of the answer.
        self.seconds = time.perf_counter() - started
        if resp.status_code != 200:
            raise RuntimeError(f"callback {output_fragment} answered {resp.status_code}: "
                               f"{resp.get_data(as_text=True)[:300]}")
        return resp.json["response"]


def page_view(dash: DashClient, company_id, preset: str, granularity: str, channel: str) -> dict[str, float]:
    from dashboard import ids

    goal_select = f"{ids.GOAL_SELECT}.value"
    query = f"?range={preset}&granularity={granularity}" + (f"&channel={channel}" if channel != "all" else "")
    times = {}
    page = dash.call("rb-page.children", {"rb-url.pathname": f"/dashboard/company/{company_id}"},
                     {"rb-url.search": query})
    times["open"] = dash.seconds
    if "rb-kpi-value" not in json.dumps(page):
        raise RuntimeError("the company page came without its KPI cards")
    dash.call("rb-kpi-cards.children", {
        f"{ids.COMPANY_ID}.data": str(company_id), f"{ids.PRESET}.value": preset,
        f"{ids.GRANULARITY}.value": granularity, f"{ids.CHANNEL}.value": channel}, changed=f"{ids.PRESET}.value")
    times["controls"] = dash.seconds
    out = dash.call("rb-goals-graph.figure", {f"{ids.COMPANY_ID}.data": str(company_id), goal_select: None})
    options = [o["value"] for o in out[ids.GOAL_SELECT]["options"]]
    chosen = out[ids.GOAL_SELECT]["value"]
    other = next((o for o in options if o != chosen), chosen)
    dash.call("rb-goals-graph.figure", {f"{ids.COMPANY_ID}.data": str(company_id), goal_select: other},
              changed=goal_select)
    times["goal_change"] = dash.seconds
    times["page"] = times["open"]
    return times


def measure(app, company_id, user_id, iterations: int = 30, warmup: int = 3) -> dict:
    """p50/p95 (ms) of a company page view's callbacks; ``p50_ms``/``p95_ms`` are opening the page."""
    dash = DashClient(app, user_id)
    for i in range(warmup):
        page_view(dash, company_id, *VIEWS[i % len(VIEWS)])
    samples: dict[str, list[float]] = {}
    for i in range(iterations):
        for name, seconds in page_view(dash, company_id, *VIEWS[i % len(VIEWS)]).items():
            samples.setdefault(name, []).append(seconds * 1000)
    result = {
        "p50_ms": round(statistics.median(samples["page"]), 1),
        "p95_ms": round(_pct(samples["page"], 0.95), 1),
        "iterations": iterations,
        "views": [f"{p}/{g}/{c}" for p, g, c in VIEWS],
    }
    for name in ("open", "controls", "goal_change"):
        result[f"{name}_p50_ms"] = round(statistics.median(samples[name]), 1)
        result[f"{name}_p95_ms"] = round(_pct(samples[name], 0.95), 1)
    return result


def run(db_url: str, company_id, user, iterations: int = 30) -> dict:
    """Same as :func:`measure` for an existing database URL and a user (object or id)."""
    from backend import create_app
    from config import TestingConfig

    settings = TestingConfig().as_dict()
    settings["SQLALCHEMY_DATABASE_URI"] = db_url
    app = create_app(settings)
    return measure(app, company_id, getattr(user, "id", user), iterations)
