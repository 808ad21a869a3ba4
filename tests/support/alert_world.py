"""Alerts put straight into the database, for the tests of how they are shown and read (the rules'
evaluation that raises them is tested in tests/services/test_alert_evaluation*.py)."""
from __future__ import annotations

import datetime as dt
import uuid


def add_alert(app, agency_id, company_id, *, kind="goal_status", visible_to_clients=False, title=None,
              severity="warning", goal_id=None, day=dt.date(2026, 1, 31), created_at=None):
    """One rule of ``kind`` (its viewers see its alerts or not) and one alert of it; the alert's id."""
    from backend.extensions import db
    from backend.models import Alert, AlertRule
    from backend.tenancy import Principal, acting_as

    with app.app_context(), acting_as(Principal.system(agency_id, "test")):
        rule = AlertRule(company_id=company_id, kind=kind, name=f"{kind} rule", params={},
                         visible_to_clients=visible_to_clients, severity=severity)
        db.session.add(rule)
        db.session.flush()
        object_id = str(goal_id) if goal_id else "facebook"
        alert = Alert(company_id=company_id, rule_id=rule.id, kind=kind, event_key=f"test:{uuid.uuid4()}",
                      severity=severity, title=title or f"A {kind} alert", object_type="goal" if goal_id else "channel",
                      object_id=object_id, seen={"status": "off_track"},
                      link=(f"/dashboard/company/{company_id}?goal={goal_id}" if goal_id
                            else f"/dashboard/company/{company_id}?channel=facebook"),
                      visible_to_clients=visible_to_clients, day=day,
                      **({"created_at": created_at} if created_at else {}))
        db.session.add(alert)
        db.session.commit()
        return alert.id
