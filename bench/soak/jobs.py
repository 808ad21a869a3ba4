"""The soak's job load: what the consumer that ``make run`` starts beside gunicorn works on while
the HTTP load runs.

- **Webhooks.** The measured agency has one endpoint, subscribed to every event, on a receiver
  this process runs on loopback. Every push and import publishes ``metrics.pushed``, so the
  consumer sends a delivery per write; the receiver records each one's lag from its publication
  (the payload's ``timestamp``) to its arrival as a ``webhook`` sample.
- **Alerts.** Every push asks for the alert evaluation (debounced): the consumer runs it on the
  company's default rules throughout.
- **Report PDFs.** Every ``report_period`` seconds a report is made through the API for another
  month, and its PDF is fetched until the worker has rendered it: a ``report_pdf`` sample from the
  request to the stored PDF.

At the end :func:`drain` waits for the deliveries still pending, and :func:`delivery_check`
compares what the database says was delivered with what the receiver got.
"""
from __future__ import annotations

import datetime as dt
import http.client
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .load import Connection, Recorder

PDF_TIMEOUT = 120.0  # longer than any render seen (1–4 s each); a report still without PDF is an error
POLL_SECONDS = 0.5


class WebhookReceiver:
    """A loopback HTTP server that answers 204 to every POST and records what it got."""

    def __init__(self, recorder_ref: Callable[[], Recorder | None]):
        self.recorder_ref = recorder_ref
        self.lock = threading.Lock()
        self.received = 0
        self.message_ids: set[str] = set()
        self.events: dict[str, int] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.record(self.headers.get("webhook-id") or "", body)
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="soak-webhooks", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def start(self) -> None:
        self.thread.start()

    def record(self, message_id: str, body: bytes) -> None:
        arrived = time.time()
        try:
            payload = json.loads(body)
            published = dt.datetime.fromisoformat(payload["timestamp"].replace("Z", "+00:00")).timestamp()
            event = str(payload.get("type"))
        except (ValueError, KeyError, TypeError, AttributeError):
            published, event = None, "unreadable"
        with self.lock:
            self.received += 1
            self.message_ids.add(message_id)
            self.events[event] = self.events.get(event, 0) + 1
        recorder = self.recorder_ref()
        if recorder is not None and published is not None:
            recorder.add("webhook", max(0.0, arrived - published), event != "unreadable",
                         None if event != "unreadable" else "a delivery whose body is not the event's JSON")

    def figures(self) -> dict:
        with self.lock:
            return {"received": self.received, "distinct_messages": len(self.message_ids), "events": dict(self.events)}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def add_endpoint(app, agency_id, url: str) -> str:
    """The agency's webhook endpoint on the receiver, every event (services, as the set-up's other
    rows); its id."""
    from backend.services.webhooks import EVENTS, create_endpoint
    from backend.tenancy import Principal, acting_as

    with app.app_context():
        # This app only builds the data; the server gets the same two settings (bench/server.py).
        app.config.update(WEBHOOKS_ALLOW_LOOPBACK=True, WEBHOOKS_REQUIRE_HTTPS=False)
        with acting_as(Principal.system(agency_id, "bench")):
            endpoint, _secret = create_endpoint({"url": url, "events": list(EVENTS), "description": "soak receiver"})
            return str(endpoint.id)


def reporter(conn: Connection, recorder: Recorder, company_id, last_day: dt.date,
             stop: threading.Event) -> Callable[[int], None]:
    """Each call: a monthly report one month further back, then its PDF fetched until stored."""
    base = f"/api/v1/companies/{company_id}/reports"

    def make_report(k: int) -> None:
        months_back = last_day.year * 12 + last_day.month - 2 - k  # k = 0: the last whole month
        month = dt.date(months_back // 12, months_back % 12 + 1, 15)
        started = time.perf_counter()
        body = json.dumps({"period_kind": "month", "anchor": month.isoformat()}).encode()
        try:
            status, data = conn.request("POST", base, body, {"Content-Type": "application/json"})
        except (OSError, http.client.HTTPException) as err:
            recorder.add("report_pdf", time.perf_counter() - started, False, f"{type(err).__name__}: {err}")
            return
        if status not in (200, 201):
            recorder.add("report_pdf", time.perf_counter() - started, False,
                         f"making a report answered {status}: {data[:200].decode(errors='replace')}")
            return
        path = f"{base}/{json.loads(data)['id']}/pdf"
        problem = f"no PDF within {PDF_TIMEOUT:.0f} s"
        while time.perf_counter() - started < PDF_TIMEOUT and not stop.is_set():
            try:
                status, data = conn.request("GET", path)
            except (OSError, http.client.HTTPException) as err:
                problem = f"{type(err).__name__}: {err}"
                break
            if status == 200 and data.startswith(b"%PDF"):
                recorder.add("report_pdf", time.perf_counter() - started, True)
                return
            if status != 503:
                problem = f"the PDF answered {status}: {data[:200].decode(errors='replace')}"
                break
            reason = json.loads(data).get("reason")
            if reason != "rendering":
                problem = f"the PDF answered 503 ({reason}): {data[:200].decode(errors='replace')}"
                break
            time.sleep(POLL_SECONDS)
        else:
            if stop.is_set():
                return  # the run ended while it rendered: neither a figure nor an error
        recorder.add("report_pdf", time.perf_counter() - started, False, problem)
    return make_report


def _delivery_counts(db, conn) -> dict[str, int]:
    cur = conn.cursor()
    cur.execute("SELECT status, count(*) FROM webhook_delivery GROUP BY status")
    counts = {status: n for status, n in cur.fetchall()}
    cur.close()
    if db.kind == "postgresql":
        conn.commit()  # end the read: the next one sees new commits
    return counts


def drain(db, conn, timeout: float = 90.0) -> dict[str, int]:
    """Wait (up to ``timeout``) for the consumer to send the deliveries still pending; their counts
    by status then."""
    deadline = time.monotonic() + timeout
    counts = _delivery_counts(db, conn)
    while counts.get("pending", 0) and time.monotonic() < deadline:
        time.sleep(1)
        counts = _delivery_counts(db, conn)
    return counts


def delivery_check(counts: dict[str, int], receiver: dict) -> dict:
    """The database's deliveries against the receiver's: every delivered one arrived (a delivery
    may arrive more than once — webhooks are at least once — so distinct message ids count)."""
    delivered = counts.get("delivered", 0)
    return {"by_status": counts, "made": sum(counts.values()), "delivered": delivered,
            "not_delivered": counts.get("pending", 0) + counts.get("failed", 0),
            "received": receiver["received"], "distinct_received": receiver["distinct_messages"],
            "missing_at_receiver": max(0, delivered - receiver["distinct_messages"]), "events": receiver["events"]}
