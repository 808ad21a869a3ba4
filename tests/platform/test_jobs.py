"""The job worker (backend/jobs/, backend/worker.py): jobs run inline in the tests (JOBS_IMMEDIATE)
and, once, in a real consumer process on a SQLite queue; a job's last failure is recorded and
shown to its own agency's owners and admins only (/manage/jobs), a system job's on /healthz; the
periodic database upkeep is scheduled in the consumer only and runs once per slot."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time
from types import SimpleNamespace

import jobs_for_tests
import pytest
from conftest import ROOT, make_app
from sqlalchemy import select


@pytest.fixture
def jobs(app):
    """The session app's queue (inline, in memory), restored after a test that changed it."""
    from backend.jobs import huey, init_jobs

    init_jobs(app)
    jobs_for_tests.ATTEMPTS.clear()
    yield huey
    init_jobs(app)


def _failures(app):
    from backend.extensions import db
    from backend.models import JobFailure
    from backend.tenancy import cross_tenant

    with app.app_context(), cross_tenant("test: every failure"):
        return [(f.job, f.agency_id, f.attempts, f.error) for f in
                db.session.scalars(select(JobFailure).order_by(JobFailure.failed_at))]


def test_an_agency_job_runs_as_that_agency(app, jobs, tenants):
    acme, _ = tenants
    with app.app_context():
        result = jobs_for_tests.count_companies(acme.agency_id, "hello").get()
    assert result == {"agency": str(acme.agency_id), "note": "hello",
                      "companies": sorted(c.name for c in acme.companies)}


def test_last_failure_is_recorded_after_the_retries_and_shown_to_its_agency_only(app, jobs, tenants, login_as,
                                                                                  api):
    acme, globex = tenants
    with app.app_context():
        jobs_for_tests.fails_inline(acme.agency_id, "acme-1")
        jobs_for_tests.fails_inline(globex.agency_id, "globex-1")
        jobs_for_tests.system_fails("nightly")
    assert jobs_for_tests.ATTEMPTS == ["acme-1"] * 3 + ["globex-1"] * 3  # 1 try + 2 retries each
    assert _failures(app) == [
        ("test_fails_inline", acme.agency_id, 3, "ValueError: inline acme-1 failed"),
        ("test_fails_inline", globex.agency_id, 3, "ValueError: inline globex-1 failed"),
        ("test_system_fails", None, 1, "RuntimeError: system upkeep nightly failed"),
    ]
    for role in ("owner", "admin"):
        page = login_as(acme, role).get("/manage/jobs")
        assert page.status_code == 200
        body = page.get_data(as_text=True)
        assert "inline acme-1 failed" in body and "test_fails_inline" in body
        assert "globex" not in body.lower() and "system upkeep" not in body  # another agency's, a system job's
    assert "inline globex-1 failed" in login_as(globex, "owner").get("/manage/jobs").get_data(as_text=True)
    for role in ("member", "viewer"):
        assert login_as(acme, role).get("/manage/jobs").status_code == 403, role
    assert api(acme.keys["admin"]).get("/manage/jobs").status_code == 403
    # The system job's failure is an operator's matter: /healthz warns, still 200.
    health = app.test_client().get("/healthz")
    assert health.status_code == 200
    assert any("test_system_fails" in w and "system upkeep nightly failed" in w for w in health.json["warnings"])
    # ... and flask jobs failures (operators: system jobs; --all every agency's too).
    runner = app.test_cli_runner()
    out = runner.invoke(args=["jobs", "failures"]).output
    assert "test_system_fails" in out and "inline acme-1" not in out and "1 failed job(s)" in out
    out = runner.invoke(args=["jobs", "failures", "--all", "--traceback"]).output
    assert "inline acme-1 failed" in out and "inline globex-1 failed" in out and "Traceback" in out


def test_the_upkeep_runs_once_per_slot_and_not_beside_another_run(app, jobs, tenants, monkeypatch):
    from backend.jobs import upkeep
    from backend.jobs.upkeep import LOCK, db_maintenance_daily, db_maintenance_hourly, slot_key
    from backend.maintenance import MaintenanceError

    monkeypatch.setattr(upkeep, "_utcnow", lambda: dt.datetime(2026, 11, 30, 9, 17, 5))
    hour = "2026-11-30T09"
    jobs.delete(slot_key("db_maintenance_hourly", hour))
    first, second = SimpleNamespace(id="first-consumer"), SimpleNamespace(id="second-consumer")
    with app.app_context():
        assert db_maintenance_hourly.call_local(task=first) != "skipped: slot taken"
        assert db_maintenance_hourly.call_local(task=second) == "skipped: slot taken"
        # A retry keeps its task id: it still owns the slot.
        assert db_maintenance_hourly.call_local(task=first) != "skipped: slot taken"
        jobs.delete(slot_key("db_maintenance_hourly", hour))
        with jobs.lock_task(LOCK):
            assert db_maintenance_hourly.call_local(task=second) == "skipped: locked"
            with pytest.raises(MaintenanceError, match="lock"):
                db_maintenance_daily.call_local(task=SimpleNamespace(id="daily"))
    jobs.delete(slot_key("db_maintenance_hourly", hour))
    # flask jobs enqueue NAME: a periodic job now (inline here, JOBS_IMMEDIATE), once per slot.
    runner = app.test_cli_runner()
    assert "ran it inline" in runner.invoke(args=["jobs", "enqueue", "db_maintenance_hourly"]).output
    assert jobs.get(slot_key("db_maintenance_hourly", hour), peek=True)  # the run claimed the hour
    assert "no such job" in runner.invoke(args=["jobs", "enqueue", "nightly_nonsense"]).output
    jobs.delete(slot_key("db_maintenance_hourly", hour))


def test_the_daily_upkeep_runs_db_maintenance_and_prunes_old_failures(app, jobs, tenants, monkeypatch):
    from backend.extensions import db
    from backend.jobs import upkeep
    from backend.jobs.failures import record_failure
    from backend.models import JobFailure

    acme, _ = tenants
    monkeypatch.setattr(upkeep, "_utcnow", lambda: dt.datetime(2026, 11, 30, 3, 47, 2))
    jobs.delete(upkeep.slot_key("db_maintenance_daily", "2026-11-30"))
    ids = {name: record_failure(app, job=name, task_id=name, agency_id=agency, attempts=4, exception=OSError(name))
           for name, agency in (("old", acme.agency_id), ("old-system", None), ("recent", acme.agency_id))}
    from backend.tenancy import cross_tenant

    with app.app_context(), cross_tenant("test: age two failures"):
        db.session.execute(JobFailure.__table__.update().where(JobFailure.id.in_([ids["old"], ids["old-system"]]))
                           .values(failed_at=dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=91)))
        db.session.commit()
    with app.app_context():
        outcome = upkeep.db_maintenance_daily.call_local(task=SimpleNamespace(id="daily-1"))
    assert outcome in ("analyzed, checked and checkpointed", "vacuumed metric_point")
    assert [f[0] for f in _failures(app)] == ["recent"]
    jobs.delete(upkeep.slot_key("db_maintenance_daily", "2026-11-30"))


def test_the_schedule_lives_in_the_consumer_only(app, tmp_path, database_url):
    """Both upkeep jobs are periodic (hourly at :17, daily at 03:47 UTC); building the app as
    gunicorn does starts no scheduler and enqueues nothing — only backend/worker.py's consumer
    runs Huey's scheduler."""
    from backend.jobs import huey, init_jobs

    every_minute = {"webhooks_due"}  # the webhooks' sweep of due retries

    def due_at(*when):
        return {t.name for t in huey.read_periodic(dt.datetime(*when))} - every_minute

    assert {t.name for t in huey.read_periodic(dt.datetime(2026, 11, 30, 9, 18))} >= every_minute
    assert due_at(2026, 11, 30, 3, 47) == {"db_maintenance_daily"}
    assert due_at(2026, 11, 30, 9, 17) == {"db_maintenance_hourly"}
    assert not due_at(2026, 11, 30, 9, 18)
    try:
        web = make_app(database_url, JOBS_IMMEDIATE=False, JOBS_BACKEND="sqlite",
                       JOBS_SQLITE_PATH=str(tmp_path / "queue.db"))
        assert web.test_client().get("/healthz").status_code == 200
        assert not huey.immediate and huey.pending_count() == 0 and huey.scheduled_count() == 0
        assert not [t.name for t in threading.enumerate() if t.name == "Scheduler" or t.name.startswith("Worker-")]
        source = (ROOT / "gunicorn.conf.py").read_text() + (ROOT / "wsgi.py").read_text()
        assert "create_consumer" not in source and "backend.worker" not in source
    finally:
        init_jobs(app)


def _consumer(tmp_path, database_url):
    env = {**os.environ, "REACHBOARD_ENV": "testing", "DATABASE_URL": database_url, "JOBS_IMMEDIATE": "0",
           "JOBS_BACKEND": "sqlite", "JOBS_SQLITE_PATH": str(tmp_path / "queue.db"), "JOBS_WORKERS": "2",
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests" / "support")])}
    log = open(tmp_path / "consumer.log", "w")  # closed by the test
    proc = subprocess.Popen([sys.executable, "-m", "backend.worker", "--import", "jobs_for_tests"], cwd=ROOT,
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    return proc, log


@pytest.mark.slow
def test_a_real_consumer_runs_a_job_and_records_one_that_keeps_failing(app, tenants, tmp_path, database_url):
    """python -m backend.worker on a SQLite queue: a job enqueued from the app completes; a job
    that always fails is tried three times (retries after 0.3 s and 0.6 s) and then recorded."""
    from backend.jobs import huey, init_jobs

    acme, _ = tenants
    web = make_app(database_url, JOBS_IMMEDIATE=False, JOBS_BACKEND="sqlite",
                   JOBS_SQLITE_PATH=str(tmp_path / "queue.db"))
    proc, log = _consumer(tmp_path, database_url)
    try:
        with web.app_context():
            done = jobs_for_tests.count_companies(acme.agency_id, "from the app")
            jobs_for_tests.export_fails(acme.agency_id, "march")
        assert done.get(blocking=True, timeout=20)["companies"] == sorted(c.name for c in acme.companies)
        deadline = time.monotonic() + 15
        while not _failures(app) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        assert _failures(app) == [("test_export_fails", acme.agency_id, 3, "RuntimeError: export march failed")]
        assert huey.pending_count() == 0 and huey.scheduled_count() == 0
    finally:
        proc.send_signal(2)  # SIGINT: the consumer's graceful stop
        try:
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
            log.close()
            init_jobs(app)
    output = (tmp_path / "consumer.log").read_text()
    assert proc.returncode == 0, output
    assert "Periodic tasks are enabled" in output and "db_maintenance_hourly" in output
    assert output.count("export march failed") >= 3 and "failed after 3 attempt(s)" in output
    assert "could not record" not in output


LAUNCHER = """
import signal, sys
sys.path.insert(0, {root!r})
from backend import launcher
launcher.commands = lambda: {{
    "web": ([sys.executable, "-c", "import time; time.sleep(60)"], signal.SIGTERM),
    "worker": ([sys.executable, "-c", {worker!r}], signal.SIGINT),
}}
sys.exit(launcher.main())
"""


def _launch(worker_code: str):
    code = LAUNCHER.format(root=str(ROOT), worker=worker_code)
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def _gone(output: str) -> bool:
    import re

    pids = [int(p) for p in re.findall(r"\(pid (\d+)\)", output)]
    assert len(pids) == 2, output
    return all(not os.path.exists(f"/proc/{pid}") or "zombie" in open(f"/proc/{pid}/status").read().lower()
               for pid in pids)


@pytest.mark.no_db
def test_make_runs_launcher_stops_both_and_passes_on_the_status_of_the_one_that_died():
    """backend/launcher.py (make run): when one child exits, the other is stopped and the
    launcher exits with the first one's status; on SIGINT (Ctrl-C) both stop and it exits 0."""
    proc = _launch("import sys, time; time.sleep(0.5); sys.exit(3)")
    output, _ = proc.communicate(timeout=20)
    assert proc.returncode == 3, output
    assert "worker exited with status 3" in output and _gone(output)

    proc = _launch("import time; time.sleep(60)")
    lines = []
    while len([line for line in lines if "started" in line]) < 2:
        lines.append(proc.stdout.readline())
    proc.send_signal(2)
    rest, _ = proc.communicate(timeout=20)
    output = "".join(lines) + rest
    assert proc.returncode == 0, output
    assert "received SIGINT" in output and _gone(output)


@pytest.mark.no_db
def test_the_queue_is_a_sqlite_file_by_default_and_redis_when_redis_url_is_set(tmp_path):
    """JOBS_BACKEND=auto: SQLite under the given path without REDIS_URL, Redis (priorities) with
    it; a job enqueued there is read back by a consumer's dequeue."""
    import uuid

    import redis
    from huey.storage import PriorityRedisStorage, SqliteStorage

    from backend.jobs import configure_queue, huey
    from backend.jobs.queue import queue_backend

    url = os.environ.get("REACHBOARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
    base = {"JOBS_BACKEND": "auto", "JOBS_IMMEDIATE": False, "JOBS_SQLITE_PATH": str(tmp_path / "q.db")}
    assert queue_backend(base) == "sqlite" and queue_backend({**base, "REDIS_URL": url}) == "redis"
    with pytest.raises(ValueError, match="REDIS_URL"):
        queue_backend({**base, "JOBS_BACKEND": "redis"})
    name = f"rb-test-{uuid.uuid4().hex[:12]}"
    try:
        configure_queue({**base, "JOBS_QUEUE_NAME": name})
        assert isinstance(huey.storage, SqliteStorage) and (tmp_path / "q.db").exists()
        try:
            redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        except redis.RedisError as exc:
            if os.environ.get("REACHBOARD_REQUIRE_REDIS") == "1":
                pytest.fail(f"Redis does not answer at {url} ({exc}); REACHBOARD_REQUIRE_REDIS=1", pytrace=False)
            pytest.skip(f"Redis does not answer at {url}: the Redis half is skipped")
        configure_queue({**base, "JOBS_QUEUE_NAME": name, "REDIS_URL": url})
        assert isinstance(huey.storage, PriorityRedisStorage)
        jobs_for_tests.system_fails("queued")
        assert huey.pending_count() == 1
        task = huey.dequeue()
        assert task.name == "test_system_fails" and task.args == ("queued",)
    finally:
        if isinstance(huey.storage, PriorityRedisStorage):
            huey.storage.flush_all()
        configure_queue({"JOBS_IMMEDIATE": True, "JOBS_SQLITE_PATH": str(tmp_path / "q.db")})


def test_make_runs_children_hold_glibc_to_two_malloc_pools(monkeypatch):
    """gunicorn's threads each got their own malloc pool, which kept freed memory (issue 19's
    soak on SQLite): the launcher starts both children with MALLOC_ARENA_MAX=2 unless it is set."""
    from backend import launcher

    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert launcher.child_environment()["MALLOC_ARENA_MAX"] == "2"
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert launcher.child_environment()["MALLOC_ARENA_MAX"] == "4"


@pytest.mark.no_db
def test_a_webhook_delivery_goes_ahead_of_the_jobs_waiting_before_it(tmp_path):
    """An integrator waits on a delivery, nobody on a PDF's first second: ``send_webhook`` is
    enqueued with a priority, so a consumer takes it before jobs queued earlier (SQLite queue)."""
    import uuid

    from backend.jobs import configure_queue, huey
    from backend.jobs.webhooks import send_webhook

    try:
        configure_queue({"JOBS_BACKEND": "sqlite", "JOBS_IMMEDIATE": False, "JOBS_SQLITE_PATH": str(tmp_path / "q.db")})
        jobs_for_tests.system_fails("earlier")
        delivery = str(uuid.uuid4())
        send_webhook(uuid.uuid4(), delivery)
        assert huey.pending_count() == 2
        first, second = huey.dequeue(), huey.dequeue()
        assert first.name == "send_webhook" and first.args[1] == delivery and first.priority > 0
        assert second.name == "test_system_fails" and not second.priority
    finally:
        configure_queue({"JOBS_IMMEDIATE": True, "JOBS_SQLITE_PATH": str(tmp_path / "q.db")})
