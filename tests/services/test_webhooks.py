"""Webhooks (issue 14) against a real HTTP receiver on loopback (allowed by the test setting):
the signature verifies with the standardwebhooks reference verifier, retries follow the schedule
under a frozen clock, 500 ×3 then 200 gets the event once with one webhook-id, private addresses
are refused at save and at delivery, rotation signs with both secrets during the overlap only, a
hanging receiver is cut off, a 3xx is not followed, a 10 MB answer is read to 1 KB, an endpoint
failing for a day is disabled and the agency told."""
from __future__ import annotations

import base64
import datetime as dt
import os
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.support.webhook_receiver import start_receiver, stop_receiver

T0 = dt.datetime(2026, 11, 30, 12, 0, 0)


@pytest.fixture
def acting(app, tenant):
    from backend.tenancy import Principal, acting_as

    @contextmanager
    def _as():
        with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
            yield

    return _as


@pytest.fixture
def receiver():
    r = start_receiver()
    yield r
    stop_receiver(r)


@pytest.fixture
def clock():
    """The webhooks' clock, frozen at T0 and moved by the test."""
    from backend.services import webhooks as svc

    state = {"now": T0}
    saved = svc._clock["now"]
    svc._clock["now"] = lambda: state["now"]
    yield state
    svc._clock["now"] = saved


@pytest.fixture
def settings(app):
    saved = dict(app.config)
    yield app.config
    for key in ("WEBHOOKS_ALLOW_LOOPBACK", "WEBHOOKS_REQUIRE_HTTPS", "WEBHOOKS_TIMEOUT",
                "WEBHOOKS_DISABLE_AFTER_HOURS", "WEBHOOKS_ROTATION_OVERLAP_HOURS"):
        app.config[key] = saved[key]


def _endpoint(url, events=("report.sent",), **extra):
    from backend.services import webhooks as svc

    return svc.create_endpoint({"url": url, "events": list(events), **extra})


def _deliveries():
    from backend.extensions import db
    from backend.models import WebhookDelivery

    db.session.expire_all()
    return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.created_at)))


def _verify(secret, received):
    return Webhook(secret).verify(received.body, received.headers)


def test_an_event_is_signed_and_the_reference_verifier_accepts_it(acting, receiver, tenant):
    from backend.services import webhooks as svc

    with acting():
        endpoint, secret = _endpoint(receiver.url, ("report.sent", "metrics.pushed"))
        assert secret.startswith("whsec_") and len(secret) > 40
        svc.publish("report.sent", {"report_id": "r1", "company_id": str(tenant.company_a.id)},
                    company_id=tenant.company_a.id)
        svc.publish("alert.created", {"alert_id": "a1"}, company_id=tenant.company_a.id)  # not subscribed
        [delivery] = _deliveries()
    [got] = receiver.received
    payload = _verify(secret, got)
    assert payload["type"] == "report.sent" and payload["data"]["report_id"] == "r1" and payload["timestamp"]
    assert got.headers["webhook-id"] == delivery.message_id and got.headers["webhook-signature"].startswith("v1,")
    assert got.headers["content-type"] == "application/json"
    with pytest.raises(WebhookVerificationError):  # another secret does not verify
        Webhook("whsec_" + base64.b64encode(os.urandom(32)).decode()).verify(got.body, got.headers)
    assert delivery.status == "delivered" and delivery.last_status_code == 200 and delivery.attempts == 1
    assert len(delivery.last_response) == 1024 and delivery.last_response.startswith("answer 200")
    assert delivery.last_latency_ms is not None and delivery.last_latency_ms >= 0


def test_a_company_endpoint_gets_only_its_companys_events(acting, receiver, tenant):
    from backend.services import webhooks as svc

    with acting():
        _endpoint(receiver.url, ("metrics.pushed",), company_id=tenant.company_b.id)
        svc.publish("metrics.pushed", {"n": 1}, company_id=tenant.company_a.id)
        svc.publish("metrics.pushed", {"n": 2}, company_id=tenant.company_b.id)
    assert [r.body.count(b'"n":2') for r in receiver.received] == [1]


def test_retries_follow_the_schedule_and_500_three_times_then_200_arrives_once(acting, receiver, clock):
    from backend.jobs import webhooks as jobs
    from backend.services import webhooks as svc

    receiver.script[:] = [500, 500, 500, 200]
    with acting():
        _endpoint(receiver.url)
        svc.publish("report.sent", {"report_id": "r1"}, company_id=None)
        [d] = _deliveries()
        assert (d.status, d.attempts, d.last_status_code) == ("pending", 1, 500)
        assert d.next_attempt_at == T0 + dt.timedelta(seconds=5)
        waits = [dt.timedelta(seconds=5), dt.timedelta(minutes=5), dt.timedelta(minutes=30)]
        at = T0
        for i, wait in enumerate(waits):
            clock["now"] = at + wait - dt.timedelta(seconds=1)
            assert jobs.send_due() == 0  # not yet
            at = clock["now"] = at + wait
            assert jobs.send_due() == 1
            [d] = _deliveries()
            assert d.attempts == i + 2
        assert d.status == "delivered" and d.next_attempt_at is None and d.last_status_code == 200
        clock["now"] = at + dt.timedelta(days=2)
        assert jobs.send_due() == 0
    assert len(receiver.received) == 4
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    assert sum(1 for r in receiver.received if r.body) == 4


def test_the_whole_schedule_ends_failed_after_about_a_day(acting, receiver, clock, settings):
    from backend.jobs import webhooks as jobs
    from backend.services import webhooks as svc

    settings["WEBHOOKS_DISABLE_AFTER_HOURS"] = 1000  # this test is about one delivery's schedule
    receiver.script[:] = [503] * 20
    with acting():
        _endpoint(receiver.url)
        svc.publish("report.sent", {}, company_id=None)
        for wait in jobs.RETRY_DELAYS:
            clock["now"] += wait
            assert jobs.send_due() == 1
        [d] = _deliveries()
        assert d.status == "failed" and d.attempts == 8 and d.next_attempt_at is None
    assert clock["now"] - T0 == sum(jobs.RETRY_DELAYS, dt.timedelta())
    assert dt.timedelta(hours=24) < clock["now"] - T0 < dt.timedelta(hours=30)


def test_an_endpoint_failing_for_a_day_is_disabled_and_the_owners_and_admins_told(acting, receiver, clock, outbox,
                                                                                    tenant):
    from backend.jobs import webhooks as jobs
    from backend.models import WebhookEndpoint
    from backend.services import webhooks as svc

    receiver.script[:] = [500] * 20
    with acting():
        endpoint, _ = _endpoint(receiver.url)
        svc.publish("report.sent", {}, company_id=None)
        for wait in jobs.RETRY_DELAYS:
            clock["now"] += wait
            jobs.send_due()
        ep = svc.get_endpoint(endpoint.id)
        assert not ep.active and "Disabled automatically" in ep.disabled_reason
        svc.publish("report.sent", {}, company_id=None)  # a disabled endpoint gets nothing
        assert len(_deliveries()) == 1
        from backend.extensions import db
        assert db.session.get(WebhookEndpoint, endpoint.id).failing_since is not None
    mails = sorted(outbox.glob("*.eml"))
    assert len(mails) == 1
    text = mails[0].read_text()
    assert "Webhook disabled" in text and tenant.emails["owner"] in text and tenant.emails["admin"] in text
    assert tenant.emails["member"] not in text


def test_resend_sends_again_with_the_same_webhook_id(acting, receiver):
    from backend.services import webhooks as svc

    with acting():
        endpoint, _ = _endpoint(receiver.url)
        svc.publish("report.sent", {"x": 1}, company_id=None)
        [d] = _deliveries()
        again = svc.resend(endpoint.id, d.id)
        assert again.status == "delivered"
    assert [r.headers["webhook-id"] for r in receiver.received] == [d.message_id, d.message_id]


@pytest.mark.parametrize("url", ["http://127.0.0.1:{port}/hook", "http://localhost:{port}/hook",
                                 "http://10.1.2.3/hook", "http://169.254.169.254/latest/meta-data",
                                 "http://[::1]:{port}/hook", "http://192.168.0.10/hook", "http://0.0.0.0/hook"])
def test_a_private_address_is_refused_at_save_when_loopback_is_not_allowed(acting, receiver, settings, url):
    from backend.services.errors import ValidationFailed

    settings["WEBHOOKS_ALLOW_LOOPBACK"] = False
    with acting(), pytest.raises(ValidationFailed) as err:
        _endpoint(url.format(port=receiver.port))
    assert err.value.errors[0]["field"] == "url" and "Refused" in err.value.errors[0]["message"]


def test_a_host_that_resolves_to_loopback_is_refused_at_delivery_too(acting, receiver, settings):
    """Saved while allowed (or while the name pointed elsewhere: DNS rebinding); the delivery
    resolves again and refuses to connect."""
    from backend.services import webhooks as svc

    with acting():
        _endpoint(f"http://localhost:{receiver.port}/hook")
        settings["WEBHOOKS_ALLOW_LOOPBACK"] = False
        svc.publish("report.sent", {}, company_id=None)
        [d] = _deliveries()
    assert receiver.received == []
    assert d.status == "pending" and d.last_status_code is None and "127.0.0.1" in d.last_error, d.last_error


@pytest.mark.parametrize("url,message", [
    ("ftp://example.com/x", "http:// or https://"), ("javascript:alert(1)", "http:// or https://"),
    ("", "Give the address"), ("http://user:pw@127.0.0.1/x", "user names"), ("http:///x", "no host")])
def test_an_address_that_is_not_http_is_refused(acting, url, message):
    from backend.services.errors import ValidationFailed

    with acting(), pytest.raises(ValidationFailed) as err:
        _endpoint(url)
    assert message in err.value.errors[0]["message"]


def test_https_is_required_when_the_setting_says_so_and_events_must_be_known(acting, receiver, settings):
    from backend.services.errors import ValidationFailed

    settings["WEBHOOKS_REQUIRE_HTTPS"] = True
    with acting(), pytest.raises(ValidationFailed) as err:
        _endpoint(receiver.url)
    assert "https://" in err.value.errors[0]["message"]
    settings["WEBHOOKS_REQUIRE_HTTPS"] = False
    with acting(), pytest.raises(ValidationFailed) as err:
        _endpoint(receiver.url, ("report.sent", "report.exploded"))
    assert err.value.errors[0]["field"] == "events" and "report.exploded" in err.value.errors[0]["message"]


def test_rotation_signs_with_both_secrets_during_the_overlap_and_the_new_one_after(acting, receiver, clock, settings):
    from backend.jobs import webhooks as jobs
    from backend.services import webhooks as svc

    settings["WEBHOOKS_DISABLE_AFTER_HOURS"] = 1000
    with acting():
        endpoint, old = _endpoint(receiver.url)
        endpoint, new = svc.rotate_secret(endpoint.id, 24)
        assert new != old and new.startswith("whsec_")
        headers = {}
        for at in (T0 + dt.timedelta(hours=23), T0 + dt.timedelta(hours=25)):
            from backend.models import WebhookDelivery
            d = WebhookDelivery(endpoint_id=endpoint.id, event="report.sent", message_id=svc.new_message_id(),
                                payload={"type": "report.sent", "data": {}}, agency_id=endpoint.agency_id)
            body = jobs.body_of(d)
            headers[at] = (body, jobs.headers_for(endpoint, d, body, at))
    during, after = headers[T0 + dt.timedelta(hours=23)], headers[T0 + dt.timedelta(hours=25)]
    assert len(during[1]["webhook-signature"].split(" ")) == 2
    assert len(after[1]["webhook-signature"].split(" ")) == 1
    for secret, (body, h), ok in ((old, during, True), (new, during, True), (old, after, False), (new, after, True)):
        signed = Webhook(secret).sign(h["webhook-id"], dt.datetime.fromtimestamp(int(h["webhook-timestamp"]), dt.UTC),
                                      body).split(",", 1)[1]
        assert (signed in [s.split(",", 1)[1] for s in h["webhook-signature"].split(" ")]) is ok


def test_rotation_end_to_end_with_the_reference_verifier(acting, receiver):
    from backend.services import webhooks as svc

    with acting():
        endpoint, old = _endpoint(receiver.url)
        _, new = svc.rotate_secret(endpoint.id)
        svc.publish("report.sent", {}, company_id=None)
    [got] = receiver.received
    assert _verify(old, got) is not None and _verify(new, got) is not None


def test_a_hanging_receiver_is_cut_off(acting, receiver, settings):
    from backend.services import webhooks as svc

    settings["WEBHOOKS_TIMEOUT"] = 1
    receiver.script[:] = ["hang"]
    with acting():
        _endpoint(receiver.url)
        started = time.monotonic()
        svc.publish("report.sent", {}, company_id=None)
        took = time.monotonic() - started
        [d] = _deliveries()
    assert took < 4, took
    assert d.status == "pending" and d.last_status_code is None and "No answer within 1 s" in d.last_error


def test_a_receiver_dripping_its_answer_is_cut_at_the_deadline(acting, receiver, settings):
    from backend.services import webhooks as svc

    settings["WEBHOOKS_TIMEOUT"] = 1
    receiver.script[:] = ["drip"]
    with acting():
        _endpoint(receiver.url)
        started = time.monotonic()
        svc.publish("report.sent", {}, company_id=None)
        took = time.monotonic() - started
        [d] = _deliveries()
    assert took < 3, took
    assert d.status == "delivered" and d.last_status_code == 200 and 0 < len(d.last_response) < 10


def test_a_redirect_is_not_followed(acting, receiver):
    from backend.services import webhooks as svc

    receiver.script[:] = ["redirect"]
    with acting():
        _endpoint(receiver.url)
        svc.publish("report.sent", {}, company_id=None)
        [d] = _deliveries()
    assert [r.path for r in receiver.received] == ["/hook"]
    assert d.status == "pending" and d.last_status_code == 302 and "not followed" in d.last_error


def test_a_10_mb_answer_is_read_only_to_1_kb(acting, receiver):
    from backend.services import webhooks as svc

    receiver.script[:] = ["big"]
    with acting():
        _endpoint(receiver.url)
        svc.publish("report.sent", {}, company_id=None)
        [d] = _deliveries()
    assert d.status == "delivered" and d.last_response == "x" * 1024
    for _ in range(50):
        if receiver.big_finished:
            break
        time.sleep(0.1)
    assert receiver.big_finished == [False]  # the connection was closed before the 10 MB were read


def test_a_retry_sooner_than_the_sweep_is_scheduled_on_the_queue(app, acting, receiver, tmp_path):
    """With a real queue (not inline): the first attempt's failure schedules the 5 s retry on the
    queue; later waits are left to the per-minute sweep."""
    from backend.jobs import configure_queue, huey, init_jobs
    from backend.jobs import webhooks as jobs
    from backend.services import webhooks as svc

    receiver.script[:] = [500, 500]
    configure_queue({"JOBS_BACKEND": "sqlite", "JOBS_SQLITE_PATH": str(tmp_path / "q.db"), "JOBS_IMMEDIATE": False})
    try:
        with acting():
            _endpoint(receiver.url)
            svc.publish("report.sent", {}, company_id=None)
            [d] = _deliveries()
            assert huey.pending_count() == 1 and receiver.received == []  # enqueued, not sent
            assert jobs.attempt(d.id) == "retry"
            [task] = [t for t in huey.pending() if t.eta is not None]  # the consumer holds it until its eta
            assert task.name == "send_webhook" and task.args == (d.agency_id, d.id)
            assert abs((task.eta - dt.datetime.now(dt.UTC).replace(tzinfo=None)).total_seconds() - 5) < 2
            svc._clock["now"] = lambda: dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(seconds=6)
            try:
                assert jobs.attempt(d.id) == "retry"  # the second failure waits 5 min: the sweep's
            finally:
                svc._clock["now"] = svc._utcnow
            assert len([t for t in huey.pending() if t.eta is not None]) == 1
    finally:
        huey.flush()
        init_jobs(app)
