"""Jobs the tests enqueue. The real consumer of tests/platform/test_jobs.py imports this module
too (``python -m backend.worker --import jobs_for_tests``), so both sides name them alike."""
from __future__ import annotations

from backend.jobs import agency_job, system_job

ATTEMPTS: list[str] = []


@agency_job("test_count_companies", retries=0)
def count_companies(agency_id, note):
    """Runs as the agency's system principal: sees that agency's companies only."""
    from backend.services.companies import all_companies

    return {"agency": str(agency_id), "note": note, "companies": sorted(c.name for c in all_companies())}


@agency_job("test_export_fails", retries=2, retry_delay=0.3, retry_backoff=2)
def export_fails(agency_id, marker):
    """Fails every time: retried after 0.3 s and 0.6 s, then recorded."""
    ATTEMPTS.append(marker)
    raise RuntimeError(f"export {marker} failed")


@agency_job("test_fails_inline", retries=2, retry_delay=0)
def fails_inline(agency_id, marker):
    """Like export_fails without delays: immediate mode runs its retries at once."""
    ATTEMPTS.append(marker)
    raise ValueError(f"inline {marker} failed")


@system_job("test_system_fails", retries=0)
def system_fails(marker):
    raise RuntimeError(f"system upkeep {marker} failed")
