"""Webhooks through the API: owners, admins and admin keys add, list, change, rotate and remove
endpoints and read the delivery log; the secret is in the create and rotate answers only (an
Idempotency-Key replay answers it from the endpoint, no idempotency record holds it); bad input
is a 422 naming the field; another agency's endpoints and deliveries answer 404."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from tests.support.webhook_receiver import start_receiver, stop_receiver

URL = "/api/v1/webhooks"


@pytest.fixture
def receiver():
    r = start_receiver()
    yield r
    stop_receiver(r)


def field_error(resp, field: str) -> str:
    assert resp.status_code == 422, (resp.status_code, resp.get_data(as_text=True)[:500])
    assert resp.mimetype == "application/problem+json"
    messages = [e["message"] for e in resp.json["errors"] if e["field"].split(".")[0] == field]
    assert messages, resp.json
    return " ".join(messages)


def test_add_list_change_rotate_resend_and_remove(app, tenant, login_as, receiver):
    owner = login_as(tenant, "owner")
    resp = owner.post(URL, json={"url": receiver.url, "events": ["report.sent"], "description": "CRM"})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    made = resp.json
    secret = made["secret"]
    assert secret.startswith("whsec_") and made["active"] is True and made["company_id"] is None
    listed = owner.get(URL)
    assert listed.status_code == 200 and [w["id"] for w in listed.json] == [made["id"]]
    assert "secret" not in listed.json[0] and secret not in listed.get_data(as_text=True)
    assert secret not in owner.get(f"{URL}/{made['id']}").get_data(as_text=True)

    changed = owner.patch(f"{URL}/{made['id']}", json={"events": ["report.sent", "metrics.pushed"],
                                                         "company_id": str(tenant.company_a.id), "version": 1})
    assert changed.status_code == 200 and changed.json["events"] == ["report.sent", "metrics.pushed"]
    assert owner.patch(f"{URL}/{made['id']}", json={"description": "x", "version": 1}).status_code == 409

    rotated = owner.post(f"{URL}/{made['id']}/rotate-secret", json={"overlap_hours": 2})
    assert rotated.status_code == 200 and rotated.json["secret"] != secret
    assert rotated.json["previous_secret_until"] is not None

    with app.app_context():
        from backend.services import webhooks as svc
        from backend.tenancy import Principal, acting_as

        with acting_as(Principal.system(tenant.agency_id, "test")):
            svc.publish("metrics.pushed", {"company_id": str(tenant.company_a.id)}, company_id=tenant.company_a.id)
    [got] = receiver.received
    Webhook(secret).verify(got.body, got.headers)
    Webhook(rotated.json["secret"]).verify(got.body, got.headers)

    log = owner.get(f"{URL}/{made['id']}/deliveries")
    assert log.status_code == 200 and len(log.json) == 1
    entry = log.json[0]
    assert entry["status"] == "delivered" and entry["last_status_code"] == 200 and len(entry["last_response"]) == 1024
    again = owner.post(f"{URL}/{made['id']}/deliveries/{entry['id']}/resend")
    assert again.status_code == 200 and again.json["message_id"] == entry["message_id"]
    assert [r.headers["webhook-id"] for r in receiver.received] == [entry["message_id"]] * 2

    off = owner.patch(f"{URL}/{made['id']}", json={"active": False})
    assert off.json["active"] is False and off.json["disabled_reason"]
    refused = owner.post(f"{URL}/{made['id']}/deliveries/{entry['id']}/resend")
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"
    assert owner.delete(f"{URL}/{made['id']}").status_code == 204
    assert owner.get(f"{URL}/{made['id']}").status_code == 404


@pytest.mark.parametrize("body,field,words", [
    ({"url": "ftp://example.com/x", "events": ["report.sent"]}, "url", "http"),
    ({"url": "http://10.0.0.5/x", "events": ["report.sent"]}, "url", "private"),
    ({"url": "http://169.254.169.254/x", "events": ["report.sent"]}, "url", "link-local"),
    ({"url": "http://127.0.0.1/x", "events": ["report.nope"]}, "events", ""),
    ({"url": "http://127.0.0.1/x", "events": []}, "events", ""),
    ({"url": "http://127.0.0.1/x"}, "events", ""),
    ({"url": "http://127.0.0.1/x", "events": ["report.sent"], "company_id": "00000000-0000-0000-0000-000000000001"},
     "company_id", "no company"),
])
def test_bad_input_is_a_422_naming_the_field(tenant, login_as, body, field, words):
    resp = login_as(tenant, "admin").post(URL, json=body)
    assert words in field_error(resp, field)


def test_loopback_is_refused_when_not_allowed(app, tenant, login_as, receiver):
    app.config["WEBHOOKS_ALLOW_LOOPBACK"] = False
    try:
        resp = login_as(tenant, "owner").post(URL, json={"url": f"http://localhost:{receiver.port}/x",
                                                         "events": ["report.sent"]})
    finally:
        app.config["WEBHOOKS_ALLOW_LOOPBACK"] = True
    assert "loopback" in field_error(resp, "url")


def test_idempotent_create_answers_the_secret_again_without_storing_it(app, tenant, api, receiver):
    from backend.extensions import db
    from backend.models import IdempotencyRecord, WebhookEndpoint
    from backend.tenancy import cross_tenant

    admin = api(tenant.keys["admin"])
    body = {"url": receiver.url, "events": ["alert.created"]}
    first = admin.post(URL, json=body, headers={"Idempotency-Key": "hook-1"})
    second = admin.post(URL, json=body, headers={"Idempotency-Key": "hook-1"})
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.json["id"] == second.json["id"] and first.json["secret"] == second.json["secret"]
    other = admin.post(URL, json={**body, "events": ["report.sent"]}, headers={"Idempotency-Key": "hook-1"})
    assert "Idempotency-Key" in field_error(other, "Idempotency-Key")
    with app.app_context(), cross_tenant("test"):
        assert len(db.session.scalars(select(WebhookEndpoint)).all()) == 1
        records = " ".join(repr(r.__dict__) for r in db.session.scalars(select(IdempotencyRecord)))
    assert first.json["secret"] not in records


def test_who_may(tenant, login_as, api):
    body = {"url": "http://127.0.0.1:9/x", "events": ["report.sent"]}
    for who in (login_as(tenant, "member"), api(tenant.keys["write"]), api(tenant.keys["read"])):
        assert who.get(URL).status_code == 403
        assert who.post(URL, json=body).status_code == 403
    assert login_as(tenant, "viewer").get(URL).status_code == 403
    assert api(tenant.keys["admin"]).post(URL, json=body).status_code == 201
    assert login_as(tenant, "admin").get(URL).status_code == 200


def test_another_agencys_endpoints_and_deliveries_answer_404(app, tenants, login_as, receiver):
    a, b = tenants
    made = login_as(b, "owner").post(URL, json={"url": receiver.url, "events": ["report.sent"]}).json
    with app.app_context():
        from backend.services import webhooks as svc
        from backend.tenancy import Principal, acting_as

        with acting_as(Principal.system(b.agency_id, "test")):
            svc.publish("report.sent", {}, company_id=None)
    b_log = login_as(b, "owner").get(f"{URL}/{made['id']}/deliveries").json
    owner_a = login_as(a, "owner")
    assert owner_a.get(URL).json == []
    for method, path in (("get", f"{URL}/{made['id']}"), ("patch", f"{URL}/{made['id']}"),
                         ("delete", f"{URL}/{made['id']}"), ("post", f"{URL}/{made['id']}/rotate-secret"),
                         ("get", f"{URL}/{made['id']}/deliveries"),
                         ("post", f"{URL}/{made['id']}/deliveries/{b_log[0]['id']}/resend")):
        kwargs = {"json": {}} if method in ("patch", "post") else {}
        assert getattr(owner_a, method)(path, **kwargs).status_code == 404, path
    # A's own endpoint with B's delivery: 404 (the delivery is looked up through its endpoint).
    mine = owner_a.post(URL, json={"url": receiver.url, "events": ["report.sent"]}).json
    assert owner_a.post(f"{URL}/{mine['id']}/deliveries/{b_log[0]['id']}/resend").status_code == 404
