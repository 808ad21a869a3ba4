"""A report schedule never sends twice for one period — with two real consumer processes on one
SQLite queue, a restart in the middle of sending and an SMTP retry — and sends once for each
period (issue 13, "Done when"). The clock is frozen in every process (tests/support/
schedule_clock.py); the e-mail arrives at a real SMTP server in this process (aiosmtpd)."""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from email import policy
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from conftest import ROOT, make_app
from sqlalchemy import select

CREATED = dt.datetime(2026, 11, 20, 10, 0)
FIRST_RUN = dt.datetime(2026, 12, 1, 7, 0)  # 08:00 in Oslo: covers November
SECOND_RUN = dt.datetime(2027, 1, 1, 7, 0)  # covers December
RECIPIENT = "client@example.com"

pytestmark = pytest.mark.slow


class Inbox:
    """An aiosmtpd handler that keeps what arrives. ``hold``: the next transaction stops at RCPT
    (``held`` is set) until ``release``; ``refuse``: that many transactions get a 451 at RCPT."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.hold = False
        self.held = threading.Event()
        self.released = threading.Event()
        self.refuse = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.hold:
            self.hold = False
            self.held.set()
            while not self.released.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Try again later"
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 Message accepted for delivery"

    def subjects(self) -> list[str]:
        return [str(BytesParser(policy=policy.default).parsebytes(m)["Subject"]) for m in self.messages]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield inbox, controller.port
    inbox.released.set()
    controller.stop()


class Consumers:
    """Real consumer processes (``python -m backend.worker``) on the test's database and queue."""

    def __init__(self, tmp_path, database_url, port):
        self.tmp_path, self.database_url, self.port = tmp_path, database_url, port
        self.procs: list[subprocess.Popen] = []
        self.started = 0

    def start(self, count: int, now: dt.datetime) -> None:
        env = {**os.environ, "REACHBOARD_ENV": "testing", "DATABASE_URL": self.database_url, "JOBS_IMMEDIATE": "0",
               "JOBS_BACKEND": "sqlite", "JOBS_SQLITE_PATH": str(self.tmp_path / "queue.db"), "JOBS_WORKERS": "2",
               "MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(self.port), "MAIL_USE_TLS": "0",
               "REACHBOARD_TEST_NOW": now.isoformat(),
               "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests" / "support")])}
        for _ in range(count):
            self.started += 1
            log = open(self.tmp_path / f"consumer-{self.started}.log", "w")  # noqa: SIM115 - closed with the process
            self.procs.append(subprocess.Popen(
                [sys.executable, "-m", "backend.worker", "--import", "schedule_clock"], cwd=ROOT, env=env,
                stdout=log, stderr=subprocess.STDOUT))
            log.close()

    def stop(self, sig: int = signal.SIGINT) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(sig)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs = []

    def output(self) -> str:
        return "\n".join((self.tmp_path / f"consumer-{i}.log").read_text() for i in range(1, self.started + 1))


def _wait(condition, timeout: float, what: str, consumers: Consumers) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{consumers.output()[-6000:]}")
        time.sleep(0.1)


def _rows(app, agency_id):
    from backend.extensions import db
    from backend.models import Report, ReportDelivery, ReportSchedule
    from backend.tenancy import Principal, acting_as

    with app.app_context(), acting_as(Principal.system(agency_id, "test")):
        db.session.remove()
        reports = [(r.period_start, r.status) for r in db.session.scalars(select(Report).order_by(Report.period_start))]
        deliveries = [(d.status, d.attempts) for d in db.session.scalars(select(ReportDelivery))]
        schedule = db.session.scalars(select(ReportSchedule)).one()
        return reports, deliveries, schedule.next_run_at


def test_two_consumers_a_restart_mid_send_and_a_retry_send_exactly_one_email_per_period(
        app, tenants, tmp_path, database_url, smtp, monkeypatch):
    from backend.jobs import init_jobs
    from backend.jobs.report_schedules import report_schedules_due, run_report_schedule
    from backend.services import report_schedules
    from backend.services.companies import update_company
    from backend.tenancy import Principal, acting_as

    inbox, port = smtp
    acme, _ = tenants
    monkeypatch.setitem(report_schedules._clock, "now", lambda: CREATED)
    with app.app_context(), acting_as(Principal.system(acme.agency_id, "test")):
        update_company(acme.company_a.id, {"timezone": "Europe/Oslo"})
        schedule = report_schedules.create_schedule(acme.company_a.id, {
            "cadence": "monthly", "day_of_month": 1, "hour": 8, "recipients": [RECIPIENT], "require_review": False})
        sid = schedule.id
    web = make_app(database_url, JOBS_IMMEDIATE=False, JOBS_BACKEND="sqlite",
                   JOBS_SQLITE_PATH=str(tmp_path / "queue.db"))

    def enqueue_twins():
        """What two consumers' schedulers, and a retried or re-enqueued run, put on the queue."""
        with web.app_context():
            report_schedules_due()
            report_schedules_due()
            run_report_schedule(acme.agency_id, sid, FIRST_RUN.isoformat())
            run_report_schedule(acme.agency_id, sid, FIRST_RUN.isoformat())

    consumers = Consumers(tmp_path, database_url, port)
    try:
        # 1. Two consumers; the first SMTP transaction stops in the middle.
        inbox.hold = True
        consumers.start(2, FIRST_RUN + dt.timedelta(minutes=2))
        enqueue_twins()
        _wait(inbox.held.is_set, 120, "the e-mail to reach the SMTP server", consumers)
        # 2. Restart mid-send: both consumers stop at once (SIGTERM: running jobs are put back on the queue).
        consumers.stop(signal.SIGTERM)
        inbox.released.set()
        assert inbox.messages == []
        reports, deliveries, _ = _rows(app, acme.agency_id)
        assert [status for status, _ in deliveries] == ["queued"]
        # 3. Two new consumers; the server answers the next attempt with a 451, so the job is retried.
        inbox.refuse = 1
        consumers.start(2, FIRST_RUN + dt.timedelta(minutes=4))
        enqueue_twins()
        _wait(lambda: len(inbox.messages) >= 1, 150, "the e-mail after the retry", consumers)
        _wait(lambda: _rows(app, acme.agency_id)[2] == SECOND_RUN, 30, "the schedule to move on", consumers)
        enqueue_twins()  # late twins find the run done
        time.sleep(3)
        reports, deliveries, next_run = _rows(app, acme.agency_id)
        assert len(inbox.messages) == 1, inbox.subjects()
        assert reports == [(dt.date(2026, 11, 1), "sent")]
        assert deliveries[0][0] == "sent" and len(deliveries) == 1 and deliveries[0][1] >= 2
        consumers.stop()
        # 4. A month later: the next period, once.
        consumers.start(2, SECOND_RUN + dt.timedelta(minutes=1))
        with web.app_context():
            report_schedules_due()
            report_schedules_due()
        _wait(lambda: len(inbox.messages) >= 2, 120, "the second period's e-mail", consumers)
        _wait(lambda: _rows(app, acme.agency_id)[2] == dt.datetime(2027, 2, 1, 7), 30, "the schedule to move on",
              consumers)
        with web.app_context():
            report_schedules_due()
            run_report_schedule(acme.agency_id, sid, SECOND_RUN.isoformat())
        time.sleep(3)
    finally:
        consumers.stop()
        init_jobs(app)
    output = consumers.output()
    assert len(inbox.messages) == 2, (inbox.subjects(), output[-4000:])
    subjects = inbox.subjects()
    assert "November 2026" in subjects[0] and "December 2026" in subjects[1], subjects
    for raw in inbox.messages:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert message["To"] == RECIPIENT
    reports, deliveries, _ = _rows(app, acme.agency_id)
    assert [r[0] for r in reports] == [dt.date(2026, 11, 1), dt.date(2026, 12, 1)]
    assert [d[0] for d in deliveries] == ["sent", "sent"]
    assert "interrupted by the consumer's shutdown" in output and "451" in output
