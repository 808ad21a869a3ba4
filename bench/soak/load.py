"""The soak's Python load loops: metric pushes, CSV imports and the dashboard's company page.

Each loop runs in its own thread on its own keep-alive connection to the loopback server and is
bounded by rate (one request per period at most; a late loop goes on at once but never bursts to
catch up), by count (``max_count``) and by time (``deadline``, or the shared stop event). Every
request is recorded (when it finished, its kind, its duration, whether it succeeded); every point
a push or an import got acknowledged goes into the ledger.
"""
from __future__ import annotations

import datetime as dt
import gzip
import http.client
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from ..dashboard_bench import VIEWS
from ..dataset import value_of
from .ledger import Ledger, Point

RETRIES = 4  # attempts after the first, same Idempotency-Key: a connection lost or a 409 (still running)


class Recorder:
    """Every request's outcome, thread-safe; times are seconds since the load started."""

    def __init__(self, started: float, max_messages: int = 20):
        self.started = started
        self.samples: list[tuple[float, str, float, bool]] = []
        self.messages: list[str] = []
        self.error_count = 0
        self.retries = 0
        self.retry_reasons: list[str] = []
        self.max_messages = max_messages
        self._lock = threading.Lock()

    def add(self, kind: str, seconds: float, ok: bool, message: str | None = None) -> None:
        with self._lock:
            self.samples.append((time.monotonic() - self.started, kind, seconds, ok))
            if not ok:
                self.error_count += 1
                if message and len(self.messages) < self.max_messages:
                    self.messages.append(f"{kind}: {message}")

    def retried(self, why: str) -> None:
        with self._lock:
            self.retries += 1
            if len(self.retry_reasons) < self.max_messages:
                self.retry_reasons.append(why)


class Connection:
    """One keep-alive connection that keeps the cookies it is given (the dashboard's session).

    gunicorn closes a keep-alive connection after 2 s without a request (its ``keepalive``), so a
    connection idle for ``max_idle`` seconds is replaced before the next request: a loop slower
    than that would otherwise send into a closed socket and count a retry that is no fault of
    the server's."""

    def __init__(self, port: int, headers: dict[str, str] | None = None, timeout: float = 60,
                 max_idle: float = 1.0):
        self.port = port
        self.headers = headers or {}
        self.timeout = timeout
        self.max_idle = max_idle
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.last_used = time.monotonic()

    def _renew(self) -> None:
        self.conn.close()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        hdrs = {**self.headers, **(headers or {})}
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if time.monotonic() - self.last_used > self.max_idle:
            self._renew()
        try:
            self.conn.request(method, path, body=body, headers=hdrs)
            resp = self.conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException):
            self._renew()  # a fresh connection for the next attempt
            raise
        finally:
            self.last_used = time.monotonic()
        for header in resp.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        if resp.headers.get("Content-Encoding") == "gzip":
            data = gzip.decompress(data)
        return resp.status, data

    def close(self) -> None:
        self.conn.close()


def run_bounded(period: float, max_count: int, deadline: float, stop: threading.Event,
                body: Callable[[int], None]) -> int:
    """Call ``body(0)``, ``body(1)`` … at most once per ``period`` seconds, at most ``max_count``
    times, until ``deadline`` (time.monotonic) or ``stop``. Returns how many calls were made."""
    count = 0
    next_at = time.monotonic()
    while count < max_count and not stop.is_set():
        wait = next_at - time.monotonic()
        if wait > 0 and stop.wait(wait):
            break
        if time.monotonic() >= deadline:
            break
        body(count)
        count += 1
        next_at = max(next_at + period, time.monotonic())
    return count


def send_write(conn: Connection, recorder: Recorder, ledger: Ledger, kind: str, path: str, body: bytes,
               content_type: str, points: list[Point], expect: dict[str, int]) -> None:
    """POST a push or an import with one Idempotency-Key, retried with the same key when the
    connection is lost or the first attempt is still running (409). Acknowledged points go into
    the ledger; an answer whose counts differ from ``expect`` is an error."""
    headers = {"Content-Type": content_type, "Idempotency-Key": f"soak-{uuid.uuid4().hex}"}
    started = time.perf_counter()
    problem = None
    for attempt in range(RETRIES + 1):
        if attempt:
            recorder.retried(f"{kind}: {problem}")
            time.sleep(min(2.0, 0.25 * 2 ** attempt))
        try:
            status, data = conn.request("POST", path, body, headers)
        except (OSError, http.client.HTTPException) as err:
            problem = f"{type(err).__name__}: {err}"
            continue
        if status == 409:
            problem = "409: the first attempt is still running"
            continue
        if status != 200:
            problem = f"{status}: {data[:200].decode(errors='replace')}"
            break
        answer = json.loads(data)
        ledger.acknowledge(points)
        wrong = {k: (answer.get(k), v) for k, v in expect.items() if answer.get(k) != v}
        recorder.add(kind, time.perf_counter() - started, not wrong,
                     f"answer counts (got, expected) {wrong}" if wrong else None)
        return
    ledger.unanswered_write(points)
    recorder.add(kind, time.perf_counter() - started, False, problem)


class Plan:
    """Which days and channels the writers touch. The data were loaded from ``first_day`` to
    ``last_day``; new points go to the days before ``first_day`` (a backfill), changed points to
    the latest days. Each writer owns its channels, so a key has one writer."""

    def __init__(self, channels: list[str], metrics: tuple[str, ...], first_day: dt.date, last_day: dt.date):
        self.channels = channels
        self.metrics = metrics
        self.first_day = first_day
        self.last_day = last_day

    def new_points(self, owned: list[str], start: int, days: int, metrics) -> list[Point]:
        out = []
        for j in range(start, start + days):
            day = (self.first_day - dt.timedelta(days=j + 1)).isoformat()
            for key in owned:
                c = self.channels.index(key)
                out += [(key, m, day, value_of(m, c, j % 365)) for m in metrics]
        return out

    def changed_points(self, owned: list[str], days: int, metrics, round_no: int) -> list[Point]:
        out = []
        for d in range(days):
            day = self.last_day - dt.timedelta(days=d)
            n = (day - self.first_day).days
            for key in owned:
                c = self.channels.index(key)
                out += [(key, m, day.isoformat(), value_of(m, c, n) + round_no + 1) for m in metrics]
        return out


def pusher(conn: Connection, recorder: Recorder, ledger: Ledger, plan: Plan, company_id, owned: list[str],
           new_days: int, corrected_days: int, corrected_metrics) -> Callable[[int], None]:
    path = f"/api/v1/companies/{company_id}/metrics"

    def push(k: int) -> None:
        new = plan.new_points(owned, k * new_days, new_days, plan.metrics)
        changed = plan.changed_points(owned, corrected_days, corrected_metrics, k)
        points = new + changed
        body = json.dumps({"points": [{"channel": c, "metric": m, "date": d, "value": v} for c, m, d, v in points]},
                          separators=(",", ":")).encode()
        send_write(conn, recorder, ledger, "push", path, body, "application/json", points,
                   {"received": len(points), "created": len(new), "updated": len(changed)})
    return push


def importer(conn: Connection, recorder: Recorder, ledger: Ledger, plan: Plan, company_id, owned: list[str],
             new_days: int, corrected_days: int) -> Callable[[int], None]:
    path = f"/api/v1/companies/{company_id}/metrics/import"

    def import_csv(k: int) -> None:
        new = plan.new_points(owned, k * new_days, new_days, plan.metrics)
        changed = plan.changed_points(owned, corrected_days, plan.metrics, k)
        points = new + changed
        lines = ["date,channel,metric,value"] + [f"{d},{c},{m},{v!r}" for c, m, d, v in points]
        send_write(conn, recorder, ledger, "csv_import", path, ("\n".join(lines) + "\n").encode(), "text/csv",
                   points, {"rows": len(points), "created": len(new), "updated": len(changed)})
    return import_csv


class DashboardSession:
    """A person logged in through /login, calling the dashboard's callbacks as dash-renderer does."""

    def __init__(self, port: int, email: str, password: str):
        from dashboard.callback_bodies import callback_body

        self.callback_body = callback_body
        self.conn = Connection(port, {"Accept-Encoding": "gzip"})  # as a browser would (brotli aside)
        status, page = self.conn.request("GET", "/login")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        if status != 200 or token is None:
            raise RuntimeError(f"GET /login answered {status} without a CSRF token")
        form = urlencode({"email": email, "password": password, "csrf_token": token.group(1).decode()})
        status, _ = self.conn.request("POST", "/login", form.encode(),
                                      {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302:
            raise RuntimeError(f"logging in answered {status}, not a redirect")
        status, _ = self.conn.request("GET", "/dashboard/")
        if status != 200 or "_csrf_token" not in self.conn.cookies:
            why = "" if status != 200 else " without a CSRF cookie"
            raise RuntimeError(f"GET /dashboard/ answered {status}{why}")
        status, specs = self.conn.request("GET", "/dashboard/_dash-dependencies")
        if status != 200:
            raise RuntimeError(f"GET /dashboard/_dash-dependencies answered {status}")
        self.specs = json.loads(specs)

    def open_company_page(self, company_id, view: int) -> tuple[int, bytes]:
        preset, granularity, channel = VIEWS[view % len(VIEWS)]
        query = f"?range={preset}&granularity={granularity}" + (f"&channel={channel}" if channel != "all" else "")
        path = f"/dashboard/company/{company_id}"
        body = self.callback_body(self.specs, "rb-page.children", {"rb-url.pathname": path},
                                  {"rb-url.search": query}, "rb-url.pathname")
        return self.conn.request("POST", "/dashboard/_dash-update-component", json.dumps(body).encode(),
                                 {"Content-Type": "application/json", "X-CSRFToken": self.conn.cookies["_csrf_token"]})

    def close(self) -> None:
        self.conn.close()


def dashboard(session: DashboardSession, recorder: Recorder, company_id) -> Callable[[int], None]:
    def open_page(k: int) -> None:
        started = time.perf_counter()
        try:
            status, data = session.open_company_page(company_id, k)
        except (OSError, http.client.HTTPException) as err:
            recorder.add("dashboard", time.perf_counter() - started, False, f"{type(err).__name__}: {err}")
            return
        seconds = time.perf_counter() - started
        if status != 200:
            recorder.add("dashboard", seconds, False, f"{status}: {data[:200].decode(errors='replace')}")
        elif b"rb-kpi-value" not in data:
            recorder.add("dashboard", seconds, False, "the company page came without its KPI cards")
        else:
            recorder.add("dashboard", seconds, True)
    return open_page
