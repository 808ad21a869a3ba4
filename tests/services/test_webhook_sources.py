"""The sources of ``metrics.pushed``: a push and a CSV import publish a summary after their commit
(company, channels, metrics, dates, counts — not the points); a push that changes nothing
publishes nothing. (``report.sent``: tests/services/test_report_delivery.py.)"""
from __future__ import annotations

import json

import pytest
from metrics_util import add_channels, pt, push

from tests.support.webhook_receiver import start_receiver, stop_receiver


@pytest.fixture
def receiver():
    r = start_receiver()
    yield r
    stop_receiver(r)


def test_a_push_and_an_import_publish_a_summary(app, client, tenant, receiver):
    from backend.services import webhooks
    from backend.tenancy import Principal, acting_as

    add_channels(app, tenant)
    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        webhooks.create_endpoint({"url": receiver.url, "events": ["metrics.pushed"]})
    auth = {"Authorization": f"Bearer {tenant.keys['metrics:write']}"}
    batch = [pt("fb", "followers", "2024-01-01", 10), pt("fb", "reach", "2024-01-03", 5),
             pt("ig", "followers", "2024-01-02", 7)]
    assert push(client, tenant.company_a, batch, **auth).status_code == 200
    assert push(client, tenant.company_a, batch, **auth).json["unchanged"] == 3  # nothing new: no event
    [first] = [json.loads(r.body) for r in receiver.received]
    assert first["type"] == "metrics.pushed"
    assert first["data"] == {"company_id": str(tenant.company_a.id), "source": "push", "channels": ["fb", "ig"],
                             "metrics": ["followers", "reach"], "date_from": "2024-01-01", "date_to": "2024-01-03",
                             "received": 3, "created": 3, "updated": 0, "unchanged": 0}
    csv = "date,channel,metric,value\n2024-01-01,fb,followers,11\n2024-01-05,fb,followers,12\n"
    resp = client.post(f"/api/v1/companies/{tenant.company_a.id}/metrics/import", data=csv.encode(),
                       headers={**auth, "Content-Type": "text/csv"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    second = json.loads(receiver.received[-1].body)["data"]
    assert len(receiver.received) == 2
    assert second | {"rows": None} == {"company_id": str(tenant.company_a.id), "source": "import", "channels": ["fb"],
                                       "metrics": ["followers"], "date_from": "2024-01-01", "date_to": "2024-01-05",
                                       "received": 2, "created": 1, "updated": 1, "unchanged": 0, "rows": None}
    assert "points" not in second


def test_a_push_by_a_key_restricted_to_one_company_is_published_too(app, client, tenant, receiver):
    from backend.services import webhooks
    from backend.tenancy import Principal, acting_as

    add_channels(app, tenant)
    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        webhooks.create_endpoint({"url": receiver.url, "events": ["metrics.pushed"]})
    auth = {"Authorization": f"Bearer {tenant.keys['company_a:write']}"}
    assert push(client, tenant.company_a, [pt("fb", "followers", "2024-01-01", 10)], **auth).status_code == 200
    [got] = receiver.received
    assert json.loads(got.body)["data"]["company_id"] == str(tenant.company_a.id)
