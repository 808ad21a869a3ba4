"""Listening's jobs (backend/jobs/listening.py): the daily retention run is scheduled on the
consumer and claims its day, so several consumers delete once; the re-tag job of a company gone
meanwhile ends quietly."""
from __future__ import annotations

import datetime as dt
import uuid
from types import SimpleNamespace

from sqlalchemy import select

NOW = dt.datetime(2026, 11, 30, 4, 23, 5)


def _system(tenant):
    from backend.tenancy import Principal, acting_as

    return acting_as(Principal.system(tenant.agency_id, "test"))


def test_the_retention_run_is_daily_and_once_per_day(app, tenant, monkeypatch):
    from backend.extensions import db
    from backend.jobs import huey, listening
    from backend.jobs.upkeep import slot_key
    from backend.models import Mention
    from backend.services.channels import create_channel

    assert {t.name for t in huey.read_periodic(dt.datetime(2026, 11, 30, 4, 23))} >= {"mention_retention"}
    assert "mention_retention" not in {t.name for t in huey.read_periodic(dt.datetime(2026, 11, 30, 4, 24))}
    monkeypatch.setattr(listening, "_utcnow", lambda: NOW)
    with app.app_context(), _system(tenant):
        channel = create_channel(tenant.company_a.id, {"key": "fb", "platform": "facebook"})
        for ext, published in (("old", NOW - dt.timedelta(days=800)), ("new", NOW - dt.timedelta(days=30))):
            db.session.add(Mention(company_id=tenant.company_a.id, channel_id=channel.id, source="test",
                                   external_id=ext, published_at=published, day=published.date(), text=ext,
                                   sentiment="neutral"))
        db.session.commit()
    huey.delete(slot_key("mention_retention", "2026-11-30"))
    first, second = SimpleNamespace(id="first-consumer"), SimpleNamespace(id="second-consumer")
    try:
        with app.app_context():
            assert listening.mention_retention.call_local(task=first) == "deleted 1"  # 24 months by default
            assert listening.mention_retention.call_local(task=second) == "skipped: slot taken"
            assert listening.mention_retention.call_local(task=first) == "deleted 0"  # a retry owns its day
        with app.app_context(), _system(tenant):
            assert [m.external_id for m in db.session.scalars(select(Mention))] == ["new"]
    finally:
        huey.delete(slot_key("mention_retention", "2026-11-30"))


def test_the_retag_job_of_a_company_gone_meanwhile_ends_quietly(app, tenant):
    from backend.jobs.listening import retag_topic_job

    with app.app_context():
        assert retag_topic_job.call_local(tenant.agency_id, str(uuid.uuid4()), str(uuid.uuid4()), 90) == {
            "checked": 0, "added": 0, "removed": 0}
