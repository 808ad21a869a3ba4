"""The demo's client reports (issue 13 part 7): every demo company gets last month's report — the
first company's sent (its e-mail goes through the job worker to the outbox), the second's ready,
the third's a draft — and a monthly schedule that waits for review; the sent report's e-mail
carries a share link, printed with the logins.

Idempotent like the rest of the demo: a report exists once per company and period, a report that
was sent (or edited past its first state by someone) is left alone, and a schedule is added only
to a company without one.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..models import Company
from ..services.progress import company_goals_progress
from ..services.report_periods import period_label
from ..services.report_schedules import create_schedule, list_schedules
from ..services.reports import create_report, list_deliveries, mark_ready, send_report
from ..services.share_links import resolve, share_link_for_delivery

# What each company's report ends as, in the order of content.COMPANIES.
STATES = ("sent", "ready", "draft")
ATTENTION = ("off_track", "missed", "at_risk")
COMMENTARY = {
    "Northwind Coffee": (
        "A calm month after the autumn launch: the Instagram audience kept growing at the pace the "
        "launch plan needs, and the recipe series carried engagement. Mentions are back to normal after "
        "the mislabelled decaf batch; we keep answering within the hour. Next month we move budget from "
        "Facebook to Instagram Reels and start the café takeover campaign."),
    "Fjord Outdoor": (
        "Ambassador content drove most of the reach this month. TikTok grows but below the line we need "
        "for the spring critical mass, so we propose two extra short videos a week. The rain-gear "
        "campaign paid for itself in the web shop."),
    "Vistula Software": (
        "LinkedIn remains the channel that brings demo requests. We are drafting the commentary on the "
        "webinar series with the product team; the numbers below are final."),
}
RECIPIENTS = {
    "Northwind Coffee": ["client@northwind.reachboard.test"],
    "Fjord Outdoor": ["marketing@fjord.reachboard.test"],
    "Vistula Software": ["growth@vistula.reachboard.test"],
}


def _needing_attention(company: Company) -> list[str]:
    return [str(goal.id) for goal, progress in company_goals_progress(company.id)
            if progress.get("status") in ATTENTION][:3]


def seed_reports(companies: list[Company], progress: Callable[[str], None]) -> dict[str, Any]:
    """Last month's report per company, a monthly schedule each, and the sent report's e-mail.
    Returns ``{"share_path": "/s/…" (a live link) or None, "reports": [(company, period, status)]}``."""
    out: dict[str, Any] = {"share_path": None, "reports": []}
    for company, state in zip(companies, STATES, strict=False):
        report, created = create_report(company.id, period_kind="month",
                                        commentary=COMMENTARY.get(company.name, ""),
                                        highlighted_goal_ids=_needing_attention(company))
        label = period_label(report)
        if created:
            progress(f"Created the {label} report of {company.name}")
            if state in ("sent", "ready"):
                report = mark_ready(company.id, report.id)
            if state == "sent":
                send_report(company.id, report.id, RECIPIENTS.get(company.name, []))
                progress(f"Queued the {label} report of {company.name} for e-mail (the job worker sends it)")
        if not list_schedules(company.id):
            create_schedule(company.id, {"cadence": "monthly", "day_of_month": 1, "hour": 9,
                                         "period": "previous_month", "require_review": True,
                                         "recipients": RECIPIENTS.get(company.name, [])})
            progress(f"Added a monthly report schedule for {company.name}")
        deliveries = list_deliveries(report)
        if deliveries and out["share_path"] is None:
            path = share_link_for_delivery(deliveries[0])
            if resolve(path.rpartition("/")[2]) is not None:  # not expired (a link lasts 30 days)
                out["share_path"] = path
        status = report.status
        if state == "sent" and status == "ready" and deliveries and deliveries[0].status == "queued":
            status = "ready, its e-mail queued (the job consumer sends it)"
        out["reports"].append((company.name, label, status))
    return out
