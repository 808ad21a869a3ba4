"""Listening's jobs (backend/services/listening/):

- ``retag_topic``: a topic's keyword rules applied to the company's mentions of the last days
  (:func:`backend.services.listening.topics.retag`), enqueued after a topic's keywords changed.
  Idempotent (a retry or a twin re-tags to the same tags); a topic deleted meanwhile re-tags
  nothing.
- ``mention_retention``: daily at 04:23 (UTC), mentions older than their agency's retention period
  are deleted (:func:`backend.services.listening.retention.purge_expired`; the daily counts stay).
  Every consumer's scheduler enqueues it, so a run first claims its day (as the upkeep jobs do,
  backend/jobs/upkeep.py): one run per day however many consumers.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from huey import crontab

from ..services.errors import NotFound
from ..services.listening import topics
from .queue import agency_job, periodic_job
from .upkeep import claim_slot

log = logging.getLogger("reachboard.jobs.listening")

RETENTION_DAILY = crontab(minute="23", hour="4")


@agency_job("retag_topic")
def retag_topic_job(agency_id: uuid.UUID, company_id: str, topic_id: str, days: int) -> dict[str, int]:
    """Re-tag the company's mentions of the last ``days`` days with one topic's rules."""
    try:
        result = topics.retag(uuid.UUID(str(company_id)), uuid.UUID(str(topic_id)), int(days))
    except NotFound:
        log.info("company %s is gone; no topic to re-tag", company_id)
        return {"checked": 0, "added": 0, "removed": 0}
    log.info("topic %s (company %s), last %d days: %d mention(s) checked, %d tag(s) added, %d removed",
             topic_id, company_id, days, result["checked"], result["added"], result["removed"])
    return result


def _enqueue_retag(agency_id: uuid.UUID, company_id: uuid.UUID, topic_id: uuid.UUID, days: int) -> None:
    retag_topic_job(agency_id, str(company_id), str(topic_id), days)


if _enqueue_retag not in topics.RETAG_REQUESTERS:
    topics.RETAG_REQUESTERS.append(_enqueue_retag)


@periodic_job(RETENTION_DAILY, "mention_retention", retries=3, retry_delay=300, retry_backoff=2)
def mention_retention(task: Any = None) -> str:
    """Delete the mentions past their agency's retention period, once per day (UTC)."""
    day = _utcnow().date()
    task_id = str(task.id) if task is not None else f"inline-{uuid.uuid4()}"
    if not claim_slot("mention_retention", day.isoformat(), task_id, (day - dt.timedelta(days=2)).isoformat()):
        log.info("mention_retention: %s already taken by another run (another consumer's); skipped", day)
        return "skipped: slot taken"
    from ..services.listening import retention

    deleted = retention.purge_expired(now=_utcnow())
    log.info("mention_retention: %d mention(s) past their retention period deleted", deleted)
    return f"deleted {deleted}"


def _utcnow() -> dt.datetime:
    """The clock (UTC, naive); tests replace it."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
