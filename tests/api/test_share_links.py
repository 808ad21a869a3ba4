"""Share links through the API: made by staff and write keys, listed without their tokens, revoked;
bad input named in a 422; the token shown once and stored only as its digest; other agencies and
company-restricted principals reach nothing."""
from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import select


def make_report(app, tenant, company=None, start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31)):
    """A report row of the company (made directly: the reports service is another part)."""
    from backend.extensions import db
    from backend.models import Report
    from backend.tenancy import Principal, acting_as

    company = company or tenant.company_a
    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        report = Report(company_id=company.id, period_kind="month", period_start=start, period_end=end,
                        status="ready", commentary="A good month.")
        db.session.add(report)
        db.session.commit()
        return report.id


def links_url(company) -> str:
    return f"/api/v1/companies/{company.id}/share-links"


def field_error(resp, field: str) -> str:
    assert resp.status_code == 422, (resp.status_code, resp.get_data(as_text=True)[:500])
    assert resp.mimetype == "application/problem+json"
    messages = [e["message"] for e in resp.json["errors"] if e["field"] == field]
    assert messages, resp.json
    return " ".join(messages)


def stored_links(app):
    from backend.extensions import db
    from backend.models import ShareLink
    from backend.tenancy import cross_tenant

    with app.app_context(), cross_tenant("test"):
        return db.session.scalars(select(ShareLink)).all()


def test_create_list_revoke(app, tenant, login_as, api):
    report_id = make_report(app, tenant)
    owner = login_as(tenant, "owner")
    resp = owner.post(links_url(tenant.company_a), json={"kind": "report", "report_id": str(report_id),
                                                          "expires_in_days": 7, "label": "For the CEO"})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    made = resp.json
    token = made["token"]
    assert len(token) >= 43 and made["url"] == f"http://localhost/s/{token}"
    assert made["state"] == "active" and made["view_count"] == 0 and made["has_pin"] is False
    expires = dt.datetime.fromisoformat(made["expires_at"].replace("Z", "+00:00"))
    assert dt.timedelta(days=6, hours=23) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(days=7)
    # Only the digest is stored.
    (row,) = stored_links(app)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(vars(row))
    # A write key makes a board link with a PIN, stored as argon2id.
    writer = api(tenant.keys["write"])
    board = writer.post(links_url(tenant.company_a), json={"kind": "board", "board_from": "2026-09-01",
                                                          "board_to": "2026-09-30", "pin": "4711"})
    assert board.status_code == 201 and board.json["has_pin"] is True
    assert next(r for r in stored_links(app) if r.kind == "board").pin_hash.startswith("$argon2id$")
    # The list carries views, never a token.
    listed = api(tenant.keys["read"]).get(links_url(tenant.company_a))
    assert listed.status_code == 200 and len(listed.json) == 2
    assert all("token" not in link and "url" not in link for link in listed.json)
    assert token not in listed.get_data(as_text=True)
    assert {link["kind"] for link in listed.json} == {"report", "board"}
    # Revoke: 204, then listed as revoked; twice is harmless.
    assert writer.delete(f"{links_url(tenant.company_a)}/{made['id']}").status_code == 204
    assert writer.delete(f"{links_url(tenant.company_a)}/{made['id']}").status_code == 204
    states = {link["id"]: link["state"] for link in owner.get(links_url(tenant.company_a)).json}
    assert states[made["id"]] == "revoked"
    from backend.extensions import db
    from backend.models import AuditEntry
    from backend.tenancy import cross_tenant

    with app.app_context(), cross_tenant("test"):
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "sharelink"))
        actions = [e.action for e in entries]
    assert sorted(actions) == ["share_link.create", "share_link.create", "share_link.revoke"]


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"kind": "report", "report_id": "REPORT", "expires_in_days": 91}, "expires_in_days", "90"),
    ({"kind": "report", "report_id": "REPORT", "expires_in_days": 0}, "expires_in_days", "1 to 90"),
    ({"kind": "report", "report_id": "00000000-0000-4000-8000-000000000000"}, "report_id", "no report"),
    ({"kind": "report", "report_id": "OTHER"}, "report_id", "no report"),
    ({"kind": "report"}, "report_id", "Choose the report"),
    ({"kind": "board", "board_from": "2026-09-30", "board_to": "2026-09-01"}, "board_to", "ends before it starts"),
    ({"kind": "board", "board_from": "2026-09-01"}, "board_to", "last day"),
    ({"kind": "board", "board_from": "2026-09-01", "board_to": "2026-09-30", "report_id": "REPORT"},
     "report_id", "board link"),
    ({"kind": "board", "board_from": "2026-09-01", "board_to": "2026-09-30", "pin": "12"}, "pin", "4 to 32"),
    ({"kind": "poster"}, "kind", ""),
    ({"kind": "report", "report_id": "REPORT", "token": "mine"}, "token", ""),
])
def test_bad_input_is_a_422_naming_the_field(app, tenant, login_as, body, field, words):
    report_id = make_report(app, tenant)
    other = make_report(app, tenant, company=tenant.company_b)  # another company's report
    body = {k: {"REPORT": str(report_id), "OTHER": str(other)}.get(v, v) if isinstance(v, str) else v
            for k, v in body.items()}
    resp = login_as(tenant, "owner").post(links_url(tenant.company_a), json=body)
    assert words in field_error(resp, field)
    assert stored_links(app) == []


def test_idempotency_key_makes_one_link_and_answers_its_token_again(app, tenant, api):
    writer = api(tenant.keys["write"])
    body = {"kind": "board", "board_from": "2026-09-01", "board_to": "2026-09-30"}
    first = writer.post(links_url(tenant.company_a), json=body, headers={"Idempotency-Key": "abc-1"})
    again = writer.post(links_url(tenant.company_a), json=body, headers={"Idempotency-Key": "abc-1"})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert first.json["token"] == again.json["token"] and first.json["id"] == again.json["id"]
    assert len(stored_links(app)) == 1
    # The same key with another body: 422, nothing made; another credential's same key: its own link.
    key = {"Idempotency-Key": "abc-1"}
    other = writer.post(links_url(tenant.company_a), json={**body, "label": "else"}, headers=key)
    assert "already used" in field_error(other, "Idempotency-Key")
    admin = api(tenant.keys["admin"]).post(links_url(tenant.company_a), json=body, headers=key)
    assert admin.status_code == 201 and admin.json["token"] != first.json["token"]
    assert len(stored_links(app)) == 2


def test_who_may(app, tenant, login_as, api):
    report_id = make_report(app, tenant)
    body = {"kind": "report", "report_id": str(report_id)}
    url = links_url(tenant.company_a)
    for who in (login_as(tenant, "member"), api(tenant.keys["write"]), api(tenant.keys["admin"])):
        assert who.post(url, json=body).status_code == 201
    link_id = stored_links(app)[0].id
    # Read keys list but neither make nor revoke; metrics:write keys, client viewers and company keys
    # do nothing (403: the company is in their reach, the links are not theirs to see).
    reader = api(tenant.keys["read"])
    assert reader.get(url).status_code == 200
    assert reader.post(url, json=body).status_code == 403
    assert reader.delete(f"{url}/{link_id}").status_code == 403
    for who in (login_as(tenant, "viewer"), api(tenant.keys["company_a:write"]), api(tenant.keys["metrics:write"])):
        assert who.get(url).status_code == 403
        assert who.post(url, json=body).status_code == 403
        assert who.delete(f"{url}/{link_id}").status_code == 403
    assert len(stored_links(app)) == 3 and all(r.revoked_at is None for r in stored_links(app))


def test_another_agency_cannot_list_revoke_or_see(app, tenants, login_as, api):
    acme, globex = tenants
    report_id = make_report(app, acme)
    made = login_as(acme, "owner").post(links_url(acme.company_a),
                                        json={"kind": "report", "report_id": str(report_id)}).json
    for who in (login_as(globex, "owner"), api(globex.keys["admin"])):
        assert who.get(links_url(acme.company_a)).status_code == 404
        assert who.delete(f"{links_url(acme.company_a)}/{made['id']}").status_code == 404
        assert who.post(links_url(acme.company_a), json={"kind": "report", "report_id": str(report_id)}
                        ).status_code == 404
        # Its own company with Acme's link id, or Acme's report: not found / not its report.
        assert who.delete(f"{links_url(globex.company_a)}/{made['id']}").status_code == 404
        resp = who.post(links_url(globex.company_a), json={"kind": "report", "report_id": str(report_id)})
        assert "no report" in field_error(resp, "report_id")
        assert made["id"] not in who.get(links_url(globex.company_a)).get_data(as_text=True)
    # Acme's own sibling company does not reach the link either.
    assert login_as(acme, "owner").delete(f"{links_url(acme.company_b)}/{made['id']}").status_code == 404
    assert all(r.revoked_at is None for r in stored_links(app))


def test_an_emails_link_is_made_once_however_often_the_job_runs(app, tenant, client):
    from backend.extensions import db
    from backend.models import ReportDelivery
    from backend.services.share_links import share_link_for_delivery
    from backend.tenancy import Principal, acting_as

    report_id = make_report(app, tenant)
    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "delivery job")):
        delivery = ReportDelivery(company_id=tenant.company_a.id, report_id=report_id, recipients=["ceo@client.test"])
        other = ReportDelivery(company_id=tenant.company_a.id, report_id=report_id, recipients=["cfo@client.test"])
        db.session.add_all([delivery, other])
        db.session.commit()
        first, again = share_link_for_delivery(delivery), share_link_for_delivery(delivery)
        second = share_link_for_delivery(other)
    assert first == again and first.startswith("/s/") and len(first) >= 3 + 43
    assert second != first  # another e-mail, another link
    rows = stored_links(app)
    assert len(rows) == 2 and {r.kind for r in rows} == {"report"} and {r.report_id for r in rows} == {report_id}
    (row,) = [r for r in rows if r.token_hash == hashlib.sha256(first[3:].encode()).hexdigest()]
    assert dt.timedelta(days=29, hours=23) < row.expires_at - row.created_at <= dt.timedelta(days=30)
    assert client.get(first).status_code == 200
