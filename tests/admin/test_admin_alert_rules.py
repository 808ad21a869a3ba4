"""The /manage page of a company's alert rules: the defaults listed, a form per kind, the Crisis watch
preset, an error shown under the field it concerns, pausing, editing and deleting."""
from __future__ import annotations

from sqlalchemy import select


def _rules(app, tenant):
    from backend.extensions import db
    from backend.models import AlertRule
    from backend.tenancy import Principal, acting_as

    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        return {r.name: r for r in db.session.scalars(select(AlertRule).where(
            AlertRule.company_id == tenant.company_a.id))}


def test_the_owner_manages_a_companys_alert_rules(app, tenant, login_as):
    owner = login_as(tenant, "owner")
    page = f"/manage/companies/{tenant.company_a.id}/alert-rules"
    html = owner.get(page).get_data(as_text=True)
    assert "Goal status changed" in html and "Channel gone quiet" in html and 'data-testid="crisis-watch"' in html
    assert f'href="{page}"' in owner.get(f"/manage/companies/{tenant.company_a.id}").get_data(as_text=True)
    spike_form = owner.get(page + "?kind=spike").get_data(as_text=True)
    assert 'name="params.factor"' in spike_form and 'name="params.days"' not in spike_form
    # A bad value: 422, the message under its field, nothing stored.
    bad = owner.post(page, data={"kind": "stale_data", "params.days": "0", "active": "on"})
    assert bad.status_code == 422
    assert 'data-field="params.days"' in bad.get_data(as_text=True)
    assert len(_rules(app, tenant)) == 2
    assert owner.post(page, data={"preset": "crisis"}).status_code == 302
    crisis = _rules(app, tenant)["Crisis watch"]
    assert crisis.params == {"metric": "mentions_negative", "channel": "all", "factor": 3.0, "minimum": 20.0}
    assert crisis.severity == "critical"
    assert owner.post(f"{page}/{crisis.id}/pause", data={"version": "1"}).status_code == 302
    assert _rules(app, tenant)["Crisis watch"].active is False
    edited = owner.post(f"{page}/{crisis.id}", data={"kind": "spike", "name": "Crisis watch", "params.metric":
                                                     "mentions_negative", "params.channel": "all",
                                                     "params.factor": "4", "params.minimum": "25",
                                                     "severity": "critical", "active": "on", "version": "2"})
    assert edited.status_code == 302
    crisis = _rules(app, tenant)["Crisis watch"]
    assert crisis.active is True and crisis.params["factor"] == 4.0 and crisis.params["minimum"] == 25.0
    assert owner.post(f"{page}/{crisis.id}/delete", data={"version": "3"}).status_code == 302
    assert "Crisis watch" not in _rules(app, tenant)
