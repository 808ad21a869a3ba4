"""A page's controls as plain data — period, granularity, channel — read from and written to the
URL's query string, turned into a date range the services can answer, with a message when the
asked range made no sense. Pure functions (no Flask, no database), unit-tested; the dashboard's
company page uses them, and a report or share page can."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

from backend.bounds import DATE_MAX, DATE_MIN, READ_MAX_DAYS, READ_MAX_YEARS, date_in_bounds
from backend.i18n import current_locale, say
from backend.i18n import date as format_date

# Labels in English that remember their catalog entry: pages show ``translate(label)``.
PRESETS = {
    "30d": say("Last 30 days"),
    "90d": say("Last 90 days"),
    "12m": say("Last 12 months"),
    "ytd": say("Year to date"),
    "custom": say("Custom range"),
}
DEFAULT_PRESET = "90d"
GRANULARITIES = {"day": say("Day"), "week": say("Week"), "month": say("Month")}
DEFAULT_GRANULARITY = "day"
# A trace never carries more buckets than this; longer ranges get a coarser granularity.
MAX_BUCKETS = 1000
BUCKET_DAYS = {"day": 1, "week": 7, "month": 30.4}
COARSER = {"day": "week", "week": "month"}


# What the cards compare a period with: the period just before, or the same days a year earlier
# (year to date compares with the same days last year unless told otherwise).
COMPARISONS = {"previous": "Previous period", "year": "Same period last year"}


def default_compare(preset: str) -> str:
    return "year" if preset == "ytd" else "previous"


@dataclass(frozen=True)
class Controls:
    preset: str = DEFAULT_PRESET
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    granularity: str = DEFAULT_GRANULARITY
    channel: str = "all"
    compare: str | None = None  # None: the preset's default (see default_compare)

    @property
    def comparison(self) -> str:
        return self.compare if self.compare in COMPARISONS else default_compare(self.preset)

    def query_string(self) -> str:
        """The controls as '?range=...' (custom dates only when the preset is custom, the
        comparison only when it is not the preset's default)."""
        args = {"range": self.preset}
        if self.preset == "custom" and self.date_from and self.date_to:
            args["from"] = self.date_from.isoformat()
            args["to"] = self.date_to.isoformat()
        if self.granularity != DEFAULT_GRANULARITY:
            args["granularity"] = self.granularity
        if self.channel and self.channel != "all":
            args["channel"] = self.channel
        if self.comparison != default_compare(self.preset):
            args["compare"] = self.comparison
        return "?" + urlencode(args)


def parse_date(text) -> dt.date | None:
    if isinstance(text, dt.date):
        return text
    if not text:
        return None
    try:
        return dt.date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def parse_query(search: str | None) -> Controls:
    """Read controls from a query string; unknown or broken values fall back to defaults."""
    qs = parse_qs((search or "").lstrip("?"))

    def one(name):
        values = qs.get(name)
        return values[0] if values else None

    preset = one("range") or DEFAULT_PRESET
    if preset not in PRESETS:
        preset = DEFAULT_PRESET
    date_from, date_to = parse_date(one("from")), parse_date(one("to"))
    if preset == "custom" and not (date_from and date_to):
        preset = DEFAULT_PRESET
    granularity = one("granularity") or DEFAULT_GRANULARITY
    if granularity not in GRANULARITIES:
        granularity = DEFAULT_GRANULARITY
    channel = (one("channel") or "all")[:64]
    compare = one("compare")
    return Controls(preset, date_from, date_to, granularity, channel, compare if compare in COMPARISONS else None)


def preset_range(preset: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The inclusive date range of a preset, ending today."""
    if preset == "30d":
        return today - dt.timedelta(days=29), today
    if preset == "12m":
        try:
            start = today.replace(year=today.year - 1)
        except ValueError:  # 29 February
            start = today.replace(year=today.year - 1, day=28)
        return start + dt.timedelta(days=1), today
    if preset == "ytd":
        return today.replace(month=1, day=1), today
    return today - dt.timedelta(days=89), today


@dataclass(frozen=True)
class Resolved:
    date_from: dt.date
    date_to: dt.date
    granularity: str
    messages: tuple[str, ...] = ()


def _fmt(d: dt.date) -> str:
    """1 Mar 2025 in English; the locale's medium date elsewhere (1 mars 2025, 1 mar 2025)."""
    if current_locale() == "en":
        return f"{d.day} {d:%b %Y}"
    return format_date(d)


def resolve_range(controls: Controls, today: dt.date,
                  data_range: tuple[dt.date, dt.date] | None) -> Resolved:
    """Turn the controls into the range and granularity to show.

    A range whose start is after its end is swapped; a range ending in the future ends today; a
    range outside the stored data moves to the nearest stretch with data, keeping its length;
    a range starting before the first data starts there. Long ranges get a coarser granularity
    so that a trace stays under ``MAX_BUCKETS`` points. Each correction adds a message.
    """
    messages: list[str] = []
    if controls.preset == "custom" and controls.date_from and controls.date_to:
        start, end = controls.date_from, controls.date_to
    else:
        start, end = preset_range(controls.preset, today)
    if not (date_in_bounds(start) and date_in_bounds(end)):
        start, end = min(max(start, DATE_MIN), DATE_MAX), min(max(end, DATE_MIN), DATE_MAX)
        messages.append(f"Dates lie between {_fmt(DATE_MIN)} and {_fmt(DATE_MAX)}; the range is kept inside them.")
    if start > end:
        start, end = end, start
        messages.append("The start date was after the end date; the two are swapped.")
    if start > today:
        # Wholly in the future: the same length, ending today (not a single day).
        asked = f"{_fmt(start)} – {_fmt(end)}"
        start, end = max(DATE_MIN, today - (end - start)), today
        messages.append(f"The chosen range ({asked}) lies in the future; showing as many days up to today: "
                        f"{_fmt(start)} – {_fmt(end)}.")
    elif end > today:
        messages.append(f"The range ended in the future ({_fmt(end)}); it now ends today ({_fmt(today)}).")
        end = today
    if data_range is not None:
        first, last = data_range
        length = end - start
        if start > last or end < first:
            end = last
            start = max(first, last - length)
            messages.append(
                f"No data is stored in the chosen range; showing {_fmt(start)} – {_fmt(end)}, "
                f"the latest stretch with data."
            )
        elif start < first:
            start = first
            messages.append(f"Data starts on {_fmt(first)}; the range starts there.")
    if (end - start).days + 1 > READ_MAX_DAYS:
        start = end - dt.timedelta(days=READ_MAX_DAYS - 1)
        messages.append(f"At most {READ_MAX_YEARS} years are shown at once; the range starts on {_fmt(start)}.")
    granularity = controls.granularity if controls.granularity in GRANULARITIES else DEFAULT_GRANULARITY
    days = (end - start).days + 1
    chosen = granularity
    while days / BUCKET_DAYS[chosen] > MAX_BUCKETS and chosen in COARSER:
        chosen = COARSER[chosen]
    if chosen != granularity:
        messages.append(f"The range is long: values are shown per {chosen} instead of per {granularity}.")
    return Resolved(start, end, chosen, tuple(messages))
