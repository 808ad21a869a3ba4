"""The reports API: make (one per period), edit while a draft, mark ready, send (409 for a draft,
422 naming an address, Idempotency-Key), download the PDF (application/pdf; 503 with Retry-After
while rendering, a problem naming what is missing without a renderer), and who sees what."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select


def _url(tenant, *parts) -> str:
    return "/".join([f"/api/v1/companies/{tenant.company_a.id}/reports", *map(str, parts)]).rstrip("/")


@pytest.fixture
def no_pdf_jobs(monkeypatch):
    """Reports made here are not rendered (the PDF stays behind its version: "rendering")."""
    from backend.services import reports

    monkeypatch.setattr(reports, "request_pdf", lambda report: None)


def _goal(app, tenant, company_id):
    from backend.services import goals
    from backend.tenancy import Principal, acting_as

    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        return goals.create_goal(company_id, {"title": "Reach 2,000 followers", "category": "customer_relations",
                                              "kpi": {"metric": "followers", "target": 2000,
                                                      "start_date": "2026-01-01", "deadline": "2026-12-31"}}).id


def test_one_report_per_period_edited_while_a_draft(app, tenant, api, no_pdf_jobs):
    writer = api(tenant.keys["write"])
    resp = writer.post(_url(tenant), json={"period_kind": "month", "anchor": "2026-10-15"})
    assert resp.status_code == 201, resp.json
    report = resp.json
    assert (report["period_start"], report["period_end"], report["period_label"], report["status"],
            report["version"], report["pdf"]["state"]) == ("2026-10-01", "2026-10-31", "October 2026", "draft", 1,
                                                           "rendering")
    again = writer.post(_url(tenant), json={"period_kind": "custom", "period_start": "2026-10-01",
                                            "period_end": "2026-10-31"})
    assert again.status_code == 200 and again.json["id"] == report["id"]
    assert [r["id"] for r in writer.get(_url(tenant)).json] == [report["id"]]

    for body, field in (({"period_kind": "custom", "period_start": "2026-10-01"}, "period_end"),
                        ({"period_kind": "week"}, "period_kind"),
                        ({"period_kind": "month", "anchor": "1999-01-01"}, "anchor"),
                        ({"period_kind": "month", "anchor": "2026-09-01", "colour": "red"}, "colour")):
        bad = writer.post(_url(tenant), json=body)
        assert bad.status_code == 422 and bad.mimetype == "application/problem+json", body
        assert field in {e["field"] for e in bad.json["errors"]}, bad.json

    other_goal = _goal(app, tenant, tenant.company_b.id)
    own_goal = _goal(app, tenant, tenant.company_a.id)
    bad = writer.patch(_url(tenant, report["id"]), json={"highlighted_goal_ids": [str(own_goal), str(other_goal)]})
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "highlighted_goal_ids.1"
    edited = writer.patch(_url(tenant, report["id"]), json={"commentary": "Reach doubled.", "version": 1,
                                                             "highlighted_goal_ids": [str(own_goal)]})
    assert edited.status_code == 200
    assert (edited.json["commentary"], edited.json["highlighted_goal_ids"], edited.json["version"]) == \
        ("Reach doubled.", [str(own_goal)], 2)
    stale = writer.patch(_url(tenant, report["id"]), json={"commentary": "Lost edit", "version": 1})
    assert stale.status_code == 409
    ready = writer.patch(_url(tenant, report["id"]), json={"status": "ready"})
    assert ready.status_code == 200
    assert (ready.json["status"], ready.json["ready_by"]) == ("ready", "api-key:write key")
    frozen = writer.patch(_url(tenant, report["id"]), json={"commentary": "After review"})
    assert frozen.status_code == 409 and "draft" in frozen.json["detail"]
    assert writer.get(_url(tenant, report["id"])).json["commentary"] == "Reach doubled."
    assert writer.delete(_url(tenant, report["id"]), query_string={"version": 1}).status_code == 409
    assert writer.delete(_url(tenant, report["id"])).status_code == 204
    assert writer.get(_url(tenant, report["id"])).status_code == 404


def test_sending_checks_the_state_and_the_addresses_and_is_idempotent(app, tenant, api, outbox, no_pdf_jobs):
    from backend.extensions import db
    from backend.models import ReportDelivery
    from backend.tenancy import cross_tenant

    writer = api(tenant.keys["write"])
    report = writer.post(_url(tenant), json={"period_kind": "quarter", "anchor": "2026-08-01"}).json
    draft = writer.post(_url(tenant, report["id"], "send"), json={"recipients": ["client@example.com"]})
    assert draft.status_code == 409 and "mark it ready" in draft.json["detail"]
    writer.patch(_url(tenant, report["id"]), json={"status": "ready"})
    bad = writer.post(_url(tenant, report["id"], "send"), json={"recipients": ["client@example.com", "nope@"]})
    assert bad.status_code == 422
    assert bad.json["errors"][0]["field"] == "recipients.1" and "nope@" in bad.json["errors"][0]["message"]
    assert writer.post(_url(tenant, report["id"], "send"), json={"recipients": []}).status_code == 422
    headers = {"Idempotency-Key": "send-q3-1"}
    sent = writer.post(_url(tenant, report["id"], "send"), json={"recipients": ["client@example.com"]},
                       headers=headers)
    assert sent.status_code == 202, sent.json
    replay = writer.post(_url(tenant, report["id"], "send"), json={"recipients": ["client@example.com"]},
                         headers=headers)
    assert replay.status_code == 202 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json["id"] == sent.json["id"]
    with app.app_context(), cross_tenant("test counts deliveries"):
        assert len(db.session.scalars(select(ReportDelivery)).all()) == 1
    shown = writer.get(_url(tenant, report["id"])).json
    assert shown["status"] == "sent" and shown["sent_at"]
    [delivery] = shown["deliveries"]
    assert (delivery["status"], delivery["recipients"], delivery["attempts"]) == ("sent", ["client@example.com"], 1)
    assert len(list(outbox.iterdir())) == 1


def test_the_pdf_download_says_why_it_is_not_there(app, tenant, api, no_pdf_jobs, monkeypatch):
    from backend.extensions import db
    from backend.models import Report
    from backend.services import reports
    from backend.tenancy import cross_tenant

    reader, writer = api(tenant.keys["read"]), api(tenant.keys["write"])
    report = writer.post(_url(tenant), json={"period_kind": "month", "anchor": "2026-09-01"}).json
    waiting = reader.get(_url(tenant, report["id"], "pdf"))
    assert waiting.status_code == 503 and waiting.mimetype == "application/problem+json"
    assert waiting.headers["Retry-After"] == "5" and waiting.json["reason"] == "rendering"
    monkeypatch.setattr(reports, "pdf_status", lambda: (False, "The PDF needs Chromium (apt-get install chromium)."))
    missing = reader.get(_url(tenant, report["id"], "pdf"))
    assert missing.status_code == 503 and missing.json["reason"] == "renderer_missing"
    assert "Chromium" in missing.json["detail"] and "Retry-After" not in missing.headers
    assert reader.get(_url(tenant, report["id"])).json["pdf"] == {
        "state": "unavailable", "pages": None, "sha256": None, "rendered_at": None,
        "error": "The PDF needs Chromium (apt-get install chromium)."}
    # A stored PDF of the current version is served, renderer or not.
    with app.app_context(), cross_tenant("test stores a PDF"):
        row = db.session.get(Report, uuid.UUID(report["id"]))
        row.pdf, row.pdf_version, row.pdf_sha256, row.pdf_pages = b"%PDF-1.7 test", row.version, "ab" * 32, 3
        row.pdf_rendered_at = dt.datetime(2026, 11, 1, 8, 0)
        db.session.commit()
    pdf = reader.get(_url(tenant, report["id"], "pdf"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data == b"%PDF-1.7 test"
    assert pdf.headers["Content-Disposition"] == \
        'attachment; filename="acme-agency-client-a-2026-09-01-2026-09-30.pdf"'
    assert reader.get(_url(tenant, report["id"])).json["pdf"]["state"] == "current"


def test_the_pdf_rendered_by_the_worker_is_downloaded(app, tenant, api):
    """Without the stub: JOBS_IMMEDIATE renders the PDF when the report is made."""
    writer = api(tenant.keys["write"])
    report = writer.post(_url(tenant), json={"period_kind": "month", "anchor": "2026-08-01"}).json
    assert report["pdf"]["state"] == "current", report["pdf"]
    pdf = writer.get(_url(tenant, report["id"], "pdf"))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_who_reads_and_who_changes(app, tenant, api, login_as, no_pdf_jobs):
    from backend.extensions import db
    from backend.models import Report
    from backend.tenancy import cross_tenant

    owner = login_as(tenant, "owner")
    ids = {}
    for month in (7, 8, 9):
        ids[month] = owner.post(_url(tenant), json={"period_kind": "month", "anchor": f"2026-0{month}-01"}).json["id"]
    with app.app_context(), cross_tenant("test marks one report sent"):
        db.session.get(Report, uuid.UUID(ids[7])).status = "sent"
        db.session.commit()
    viewer = login_as(tenant, "viewer")
    assert [r["id"] for r in viewer.get(_url(tenant)).json] == [ids[7]]
    assert viewer.get(_url(tenant, ids[7])).json["deliveries"] == []
    assert viewer.get(_url(tenant, ids[9])).status_code == 404  # a draft is the agency's own work
    assert viewer.patch(_url(tenant, ids[7]), json={"commentary": "x"}).status_code == 403
    assert viewer.post(_url(tenant), json={"period_kind": "month"}).status_code == 403
    reader = api(tenant.keys["read"])
    assert len(reader.get(_url(tenant)).json) == 3
    assert reader.post(_url(tenant), json={"period_kind": "month"}).status_code == 403
    assert reader.delete(_url(tenant, ids[9])).status_code == 403
    assert api(tenant.keys["metrics:write"]).get(_url(tenant)).status_code == 403
    member = login_as(tenant, "member")
    assert member.patch(_url(tenant, ids[9]), json={"commentary": "Member's words"}).status_code == 200
    # The viewer's other company is out of reach.
    resp = viewer.get(f"/api/v1/companies/{tenant.company_b.id}/reports")
    assert resp.status_code == 404
