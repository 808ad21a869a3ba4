"""Report schedules: make a company's report every week or month, on a day and at an hour in the
company's time zone, covering the period before the run, and — unless a person must review the
draft first — send it to the schedule's recipients.

When a schedule runs is pure arithmetic (:func:`next_run_after`, :func:`period_for`), tested
without a database. ``next_run_at`` is stored in UTC (naive, like every datetime of the models)
and recomputed on every change; an hour that does not exist on a day (clocks go forward) runs at
the first instant after the gap, an hour that happens twice (clocks go back) runs the first time.

Running one is :func:`run_schedule`, called by the worker (backend/jobs/report_schedules.py). It
never sends twice for one period: the report is unique per (company, period) and the delivery
per (schedule, report) — unique rows in the database, so two consumers, a restart or a retry
find the row the first run made instead of making another.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, select, update

from ..extensions import db
from ..models import Company, Report, ReportSchedule
from ..tenancy import current_principal
from . import audit
from .companies import TIMEZONE_LISTENERS, get_company
from .errors import NotFound, ValidationFailed
from .mail import MAX_RECIPIENTS, valid_address
from .privileges import require_agency_wide
from .validation import Problems, check_version

log = logging.getLogger("reachboard.report_schedules")

CADENCES = ("weekly", "monthly")
# What a run covers: the calendar week (Monday–Sunday), month or quarter before the run's day.
PERIODS = ("previous_week", "previous_month", "previous_quarter")
DEFAULT_PERIOD = {"weekly": "previous_week", "monthly": "previous_month"}
REPORT_KIND = {"previous_week": "custom", "previous_month": "month", "previous_quarter": "quarter"}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
FIELDS = ("cadence", "weekday", "day_of_month", "hour", "period", "recipients", "starts_on", "require_review",
          "active")


def utcnow() -> dt.datetime:
    """The schedules' clock (UTC, naive). The schedule tests replace it to freeze time, also in
    the consumer processes they start (tests/support/schedule_clock.py)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


_clock: dict[str, Callable[[], dt.datetime]] = {"now": utcnow}


def now() -> dt.datetime:
    return _clock["now"]()


# --- when: pure functions ---------------------------------------------------------------------

def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_today(tz: ZoneInfo, at: dt.datetime) -> dt.date:
    return at.replace(tzinfo=dt.UTC).astimezone(tz).date()


def to_utc(day: dt.date, hour: int, tz: ZoneInfo) -> dt.datetime:
    """``hour`` o'clock on ``day`` in ``tz``, in UTC (naive). A wall time in a gap (clocks went
    forward) is read with the offset before the gap: 02:00 in a 02:00→03:00 gap is 03:00."""
    local = dt.datetime(day.year, day.month, day.day, hour, tzinfo=tz)  # fold=0: the earlier of two
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def _runs_on(day: dt.date, cadence: str, weekday: int | None, day_of_month: int | None) -> bool:
    if cadence == "weekly":
        return day.weekday() == weekday
    return day.day == day_of_month


def next_run_after(after: dt.datetime, *, cadence: str, weekday: int | None, day_of_month: int | None, hour: int,
                   tz: ZoneInfo, starts_on: dt.date | None = None) -> dt.datetime:
    """The first run strictly after ``after`` (UTC, naive), on or after ``starts_on`` (a local
    day), as UTC (naive)."""
    day = local_today(tz, after)  # a run on an earlier local day is before ``after``
    if starts_on is not None and starts_on > day:
        day = starts_on
    for _ in range(40):  # a monthly day comes within 31 days, a weekday within 7 (8 with a skipped run)
        if _runs_on(day, cadence, weekday, day_of_month):
            run = to_utc(day, hour, tz)
            if run > after:
                return run
        day += dt.timedelta(days=1)
    raise ValueError("no run found")  # pragma: no cover - unreachable for a valid schedule


def period_for(period: str, run_day: dt.date) -> tuple[str, dt.date, dt.date]:
    """(report period kind, first day, last day) a run on ``run_day`` (local) covers."""
    if period == "previous_week":
        monday = run_day - dt.timedelta(days=run_day.weekday() + 7)
        return "custom", monday, monday + dt.timedelta(days=6)
    if period == "previous_month":
        last = run_day.replace(day=1) - dt.timedelta(days=1)
        return "month", last.replace(day=1), last
    if period == "previous_quarter":
        this_quarter = dt.date(run_day.year, 3 * ((run_day.month - 1) // 3) + 1, 1)
        last = this_quarter - dt.timedelta(days=1)
        return "quarter", dt.date(last.year, 3 * ((last.month - 1) // 3) + 1, 1), last
    raise ValueError(f"unknown period {period!r}")


def describe(schedule: ReportSchedule) -> str:
    """'Monthly on day 1 at 08:00' / 'Weekly on Monday at 07:00'."""
    when = (f"on {WEEKDAYS[schedule.weekday]}" if schedule.cadence == "weekly" and schedule.weekday is not None
            else f"on day {schedule.day_of_month}")
    return f"{schedule.cadence.capitalize()} {when} at {schedule.hour:02d}:00"


def schedule_zone(schedule: ReportSchedule) -> ZoneInfo:
    company = db.session.get(Company, schedule.company_id)
    return zone(company.timezone if company is not None else None)


def compute_next_run(schedule: ReportSchedule, after: dt.datetime) -> dt.datetime | None:
    """When an active schedule runs next after ``after``; None when it is paused."""
    if not schedule.active:
        return None
    return next_run_after(after, cadence=schedule.cadence, weekday=schedule.weekday,
                          day_of_month=schedule.day_of_month, hour=schedule.hour, tz=schedule_zone(schedule),
                          starts_on=schedule.starts_on)


# --- reading ------------------------------------------------------------------------------------

AGENCY_WIDE_ONLY = ("Report schedules decide who receives the company's reports by e-mail: the agency's staff and "
                    "agency-wide keys manage them, not a client login or a key restricted to one company.")


def _require(grant: str) -> None:
    """Staff and agency-wide keys with the grant; client viewers and company keys never (403)."""
    p = current_principal()
    require_agency_wide(p, AGENCY_WIDE_ONLY)
    p.require(grant)


def select_schedules(company_id: uuid.UUID | str) -> Select[ReportSchedule]:
    """A select of the company's schedules, the soonest run first (paused ones last)."""
    _require("read")
    company = get_company(company_id)
    return (select(ReportSchedule).where(ReportSchedule.company_id == company.id)
            .order_by(ReportSchedule.next_run_at.is_(None), ReportSchedule.next_run_at, ReportSchedule.created_at,
                      ReportSchedule.id))


def list_schedules(company_id: uuid.UUID | str) -> list[ReportSchedule]:
    return list(db.session.scalars(select_schedules(company_id)))


def get_schedule(company_id: uuid.UUID | str, schedule_id: uuid.UUID | str) -> ReportSchedule:
    """A schedule of this company (another company's answers NotFound)."""
    _require("read")
    company = get_company(company_id)
    try:
        sid = schedule_id if isinstance(schedule_id, uuid.UUID) else uuid.UUID(str(schedule_id))
    except ValueError:
        raise NotFound("No report schedule with this id.") from None
    schedule = db.session.scalars(select(ReportSchedule).where(ReportSchedule.company_id == company.id,
                                                               ReportSchedule.id == sid)).first()
    if schedule is None:
        raise NotFound("No report schedule with this id.")
    return schedule


def schedule_fields(schedule: ReportSchedule) -> dict[str, Any]:
    return {name: getattr(schedule, name) for name in FIELDS}


# --- validating and writing ---------------------------------------------------------------------

def _integer(problems: Problems, field: str, value: Any, low: int, high: int) -> int | None:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value.strip()) < 10:
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add(field, f"Must be a whole number from {low} to {high}.")
        return None
    if not low <= value <= high:
        problems.add(field, f"Must be from {low} to {high}.")
        return None
    return value


def _recipients(problems: Problems, value: Any) -> list[str]:
    if not isinstance(value, list | tuple):
        problems.add("recipients", "Must be a list of e-mail addresses.")
        return []
    if not value:
        problems.add("recipients", "Give at least one recipient.")
        return []
    if len(value) > MAX_RECIPIENTS:
        problems.add("recipients", f"At most {MAX_RECIPIENTS} recipients.")
        return []
    out: list[str] = []
    for i, address in enumerate(value):
        if not isinstance(address, str) or not address.strip():
            problems.add(f"recipients.{i}", "Must be an e-mail address.")
            continue
        try:
            out.append(valid_address(address.strip(), f"recipients.{i}"))
        except ValidationFailed as err:
            for e in err.errors or []:
                problems.add(e["field"], e["message"])
    return list(dict.fromkeys(out))


def validate_schedule(company: Company, data: dict[str, Any], *, current: ReportSchedule | None = None,
                      at: dt.datetime | None = None) -> dict[str, Any]:
    """Check a complete schedule (the stored one merged with the changes, for an update) without
    writing; the clean column values. 422 naming each bad field."""
    problems = Problems()
    for name in sorted(set(data) - set(FIELDS)):
        problems.add(name, "Unknown field.")
    out: dict[str, Any] = {}
    cadence = problems.choice("cadence", data.get("cadence"), CADENCES)
    out["cadence"] = cadence
    weekday, day_of_month = data.get("weekday"), data.get("day_of_month")
    out["weekday"] = out["day_of_month"] = None
    if cadence == "weekly":
        if weekday is None or weekday == "":
            problems.add("weekday", "A weekly schedule needs a weekday (0 = Monday … 6 = Sunday).")
        else:
            out["weekday"] = _integer(problems, "weekday", weekday, 0, 6)
        if day_of_month not in (None, ""):
            problems.add("day_of_month", "Only a monthly schedule has a day of the month.")
    elif cadence == "monthly":
        if day_of_month is None or day_of_month == "":
            problems.add("day_of_month", "A monthly schedule needs a day of the month (1 to 28).")
        else:
            out["day_of_month"] = _integer(problems, "day_of_month", day_of_month, 1, 28)
        if weekday not in (None, ""):
            problems.add("weekday", "Only a weekly schedule has a weekday.")
    hour = data.get("hour")
    out["hour"] = 8 if hour is None or hour == "" else _integer(problems, "hour", hour, 0, 23)
    period = data.get("period") or DEFAULT_PERIOD.get(cadence or "", "previous_month")
    out["period"] = problems.choice("period", period, PERIODS)
    out["recipients"] = _recipients(problems, data.get("recipients"))
    for flag, default in (("require_review", True), ("active", True)):
        value = data.get(flag, default)
        out[flag] = default if value is None else problems.boolean(flag, value)
    starts_on = data.get("starts_on")
    out["starts_on"] = None if starts_on in (None, "") else problems.date("starts_on", starts_on)
    changed_start = current is None or out["starts_on"] != current.starts_on
    if out["starts_on"] is not None and changed_start:
        today = local_today(zone(company.timezone), at or now())
        if out["starts_on"] < today:
            problems.add("starts_on", f"{out['starts_on'].isoformat()} is in the past (today is {today.isoformat()} "
                                      f"in the company's time zone, {company.timezone}).")
    problems.raise_if_any()
    return out


def create_schedule(company_id: uuid.UUID | str, data: dict[str, Any]) -> ReportSchedule:
    """Add a schedule; its first run is computed from now. 422 naming the field on bad input."""
    _require("write")
    company = get_company(company_id)
    at = now()
    clean = validate_schedule(company, data, at=at)
    schedule = ReportSchedule(company_id=company.id, agency_id=company.agency_id,
                              created_by=current_principal().label[:254], **clean)
    schedule.next_run_at = next_run_after(at, cadence=schedule.cadence, weekday=schedule.weekday,
                                          day_of_month=schedule.day_of_month, hour=schedule.hour,
                                          tz=zone(company.timezone), starts_on=schedule.starts_on) \
        if schedule.active else None
    db.session.add(schedule)
    db.session.flush()
    audit.record("report_schedule.create", schedule, summary=f"Added the report schedule '{describe(schedule)}'")
    db.session.commit()
    return schedule


def update_schedule(company_id: uuid.UUID | str, schedule_id: uuid.UUID | str, data: dict[str, Any], *,
                    expected_version: int | None = None) -> ReportSchedule:
    """Change some fields; the next run is computed again when the timing or ``active`` changed.
    Changing the cadence drops the other cadence's day unless it is given."""
    _require("write")
    schedule = get_schedule(company_id, schedule_id)
    check_version(schedule, expected_version, "report schedule")
    company = get_company(schedule.company_id)
    merged = schedule_fields(schedule)
    merged.update(data)
    if "cadence" in data and data["cadence"] != schedule.cadence:
        if "weekday" not in data:
            merged["weekday"] = None
        if "day_of_month" not in data:
            merged["day_of_month"] = None
        if "period" not in data and schedule.period == DEFAULT_PERIOD.get(schedule.cadence):
            merged["period"] = None  # the new cadence's default
    at = now()
    clean = validate_schedule(company, merged, current=schedule, at=at)
    changed = [k for k, v in clean.items() if getattr(schedule, k) != v]
    for k in changed:
        setattr(schedule, k, clean[k])
    if set(changed) & {"cadence", "weekday", "day_of_month", "hour", "starts_on", "active"}:
        schedule.next_run_at = compute_next_run(schedule, at)
    if changed:
        schedule.version += 1
        audit.record("report_schedule.update", schedule,
                     summary=f"Changed {', '.join(sorted(changed))} of the report schedule '{describe(schedule)}'")
    db.session.commit()
    return schedule


def delete_schedule(company_id: uuid.UUID | str, schedule_id: uuid.UUID | str, *,
                    expected_version: int | None = None) -> None:
    """Delete a schedule; the reports it made stay (their ``schedule_id`` becomes null)."""
    _require("write")
    schedule = get_schedule(company_id, schedule_id)
    check_version(schedule, expected_version, "report schedule")
    audit.record("report_schedule.delete", schedule, summary=f"Deleted the report schedule '{describe(schedule)}'")
    db.session.delete(schedule)
    db.session.commit()


def reschedule_company(company: Company) -> None:
    """The company's time zone changed: every active schedule's next run is computed again (in the
    caller's transaction)."""
    at = now()
    for schedule in db.session.scalars(select(ReportSchedule).where(ReportSchedule.company_id == company.id,
                                                                    ReportSchedule.active.is_(True))):
        schedule.next_run_at = next_run_after(at, cadence=schedule.cadence, weekday=schedule.weekday,
                                              day_of_month=schedule.day_of_month, hour=schedule.hour,
                                              tz=zone(company.timezone), starts_on=schedule.starts_on)


if reschedule_company not in TIMEZONE_LISTENERS:
    TIMEZONE_LISTENERS.append(reschedule_company)


# --- running (the worker, as the agency's system principal) -------------------------------------

def run_schedule(schedule_id: uuid.UUID, run_at: dt.datetime) -> str:
    """Make the report of the period the run at ``run_at`` (UTC) covers and, without review, send
    it; then move ``next_run_at`` on. Safe to call any number of times for one run, also at once:
    a run that already moved on is skipped, and the report (unique per company and period) and the
    delivery (unique per schedule and report) are claimed by inserting their rows — a twin run's
    insert fails on the constraint and it takes the row the first one made (backend/services/
    reports.py ``create_report``, ``send_report``). Returns what happened, in words (the job's log)."""
    from .reports import create_report, send_report

    schedule = db.session.scalars(select(ReportSchedule).where(ReportSchedule.id == schedule_id)).first()
    if schedule is None:
        return "skipped: the schedule was deleted"
    if not schedule.active or schedule.next_run_at != run_at:
        return "skipped: this run was done (or the schedule changed)"
    company_id, sid = schedule.company_id, schedule.id
    recipients, require_review = list(schedule.recipients), schedule.require_review
    tz = schedule_zone(schedule)
    company = db.session.get(Company, company_id)
    if company is None or company.archived:
        _move_on(sid, run_at, tz)
        return "skipped: the company is archived (its schedules make no reports)"
    kind, start, end = period_for(schedule.period, local_today(tz, run_at))
    try:
        report, _created = create_report(company_id, period_kind=kind, period_start=start, period_end=end,
                                          schedule_id=sid)
        outcome = f"report {report.id} for {start.isoformat()}..{end.isoformat()} ({report.status})"
        if require_review and report.schedule_id is None and report.status != "sent":
            report = _adopt(report, sid)  # made by hand for this period: the schedule's review applies to it
        if require_review and report.status == "sent" and report.schedule_id != sid:
            outcome += ": sent by hand already, not sent again"
        elif require_review and report.status == "ready" and report.schedule_id == sid:
            delivery = send_report(company_id, report.id, recipients, schedule_id=sid)  # reviewed already
            outcome += f", reviewed already: delivery {delivery.id} ({delivery.status})"
        elif require_review:
            outcome += ": waits for a person to mark it ready, which sends it"
        elif report.status == "draft" and report.schedule_id != sid:
            outcome += ": a draft made by hand, left for its authors to mark ready"
        else:
            delivery = send_report(company_id, report.id, recipients, schedule_id=sid)
            outcome += f", delivery {delivery.id} ({delivery.status})"
    except Exception as exc:
        db.session.rollback()
        _record_error(sid, run_at, f"{type(exc).__name__}: {exc}")
        raise
    _move_on(sid, run_at, tz)
    return outcome


def _adopt(report: Report, schedule_id: uuid.UUID) -> Report:
    """Attach a report made by hand for the schedule's period to the schedule (compare-and-set:
    only while it has none), so that marking it ready sends it to the schedule's recipients."""
    db.session.execute(update(Report).where(Report.id == report.id, Report.schedule_id.is_(None))
                       .values(schedule_id=schedule_id).execution_options(synchronize_session=False))
    db.session.commit()
    db.session.refresh(report)
    return report


def _move_on(schedule_id: uuid.UUID, run_at: dt.datetime, tz: ZoneInfo) -> None:
    """next_run_at = the first run after this one and after now (missed runs are not made up),
    only if it still is ``run_at`` (a compare-and-set: twin runs move it once)."""
    schedule = db.session.scalars(select(ReportSchedule).where(ReportSchedule.id == schedule_id)).first()
    if schedule is None:
        return
    following = next_run_after(max(run_at, now()), cadence=schedule.cadence, weekday=schedule.weekday,
                               day_of_month=schedule.day_of_month, hour=schedule.hour, tz=tz,
                               starts_on=schedule.starts_on)
    db.session.execute(update(ReportSchedule)
                       .where(ReportSchedule.id == schedule_id, ReportSchedule.next_run_at == run_at)
                       .values(next_run_at=following, last_run_at=run_at, last_error="")
                       .execution_options(synchronize_session=False))
    db.session.commit()


def _record_error(schedule_id: uuid.UUID, run_at: dt.datetime, error: str) -> None:
    """Show the run's failure on the schedule (the job is retried, then recorded as failed)."""
    try:
        db.session.execute(update(ReportSchedule).where(ReportSchedule.id == schedule_id)
                           .values(last_error=f"Run of {run_at.isoformat()} UTC: {error}"[:1000])
                           .execution_options(synchronize_session=False))
        db.session.commit()
    except Exception:  # noqa: BLE001 - the job's own failure is what matters; say this one is missing
        db.session.rollback()
        log.exception("could not record the failure of report schedule %s", schedule_id)
