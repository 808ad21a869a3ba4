"""The /manage webhooks page: adding an endpoint shows its secret once (the list never again), a
bad address is named on the form, the delivery log shows status, latency and the first 1 KB of the
answer with a Resend button, rotating shows the new secret once, a disabled endpoint says why."""
from __future__ import annotations

import re

import pytest
from standardwebhooks.webhooks import Webhook

from tests.support.webhook_receiver import start_receiver, stop_receiver


@pytest.fixture
def receiver():
    r = start_receiver()
    yield r
    stop_receiver(r)


def test_the_page_adds_logs_resends_rotates_and_disables(app, tenant, login_as, receiver):
    owner = login_as(tenant, "owner")
    bad = owner.post("/manage/webhooks", data={"url": "gopher://x", "events": "report.sent"})
    assert bad.status_code == 422 and "http:// or https://" in bad.get_data(as_text=True)
    resp = owner.post("/manage/webhooks", data={"url": receiver.url, "events": ["report.sent", "alert.created"],
                                               "description": "CRM"})
    assert resp.status_code == 201
    page = resp.get_data(as_text=True)
    secret = re.search(r'data-testid="new-webhook-secret-value" value="([^"]+)"', page) or \
        re.search(r'value="(whsec_[^"]+)"', page)
    assert secret
    secret = secret.group(1)
    listing = owner.get("/manage/webhooks").get_data(as_text=True)
    assert receiver.url in listing and secret not in listing
    hook_id = re.search(r'data-webhook="([0-9a-f-]+)"', listing).group(1)

    from backend.services import webhooks as svc
    from backend.tenancy import Principal, acting_as

    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        svc.publish("alert.created", {"alert_id": "a1"}, company_id=tenant.company_a.id)
    Webhook(secret).verify(receiver.received[0].body, receiver.received[0].headers)

    log = owner.get(f"/manage/webhooks/{hook_id}").get_data(as_text=True)
    assert "delivered" in log and "HTTP 200" in log and " ms" in log and "answer 200 " in log
    assert "y" * 1000 in log and "y" * 1100 not in log  # the first 1 KB only
    assert secret not in log
    delivery_id = re.search(r'data-delivery="([0-9a-f-]+)"', log).group(1)
    assert owner.post(f"/manage/webhooks/{hook_id}/deliveries/{delivery_id}/resend").status_code == 302
    assert [r.headers["webhook-id"] for r in receiver.received] == [receiver.received[0].headers["webhook-id"]] * 2

    rotated = owner.post(f"/manage/webhooks/{hook_id}/rotate").get_data(as_text=True)
    new = re.search(r'value="(whsec_[^"]+)"', rotated).group(1)
    assert new != secret and "keeps signing" in rotated
    assert new not in owner.get(f"/manage/webhooks/{hook_id}").get_data(as_text=True)

    owner.post(f"/manage/webhooks/{hook_id}/disable")
    page = owner.get(f"/manage/webhooks/{hook_id}").get_data(as_text=True)
    assert "Disabled." in page and "Enable" in page and "Resend</button>" not in page


def test_members_do_not_see_the_page(tenant, login_as):
    assert login_as(tenant, "member").get("/manage/webhooks").status_code == 403
    assert login_as(tenant, "viewer").get("/manage/webhooks").status_code == 403
