"""A goal in words, as the goal reads: "24.6 min now · target ≤ 30 min · achieved". Pure: the goal
dicts of ``read_models.company.goals_with_progress`` in, plain text out (callers escape it for
Plotly with ``figures.plain``). The units come from the metric catalog; the numbers are the
theme's compact ones (exact ones for hovers)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from . import theme

# Units short enough to follow every number; other units follow the target only
# ("4.9k now · target ≥ 6k followers").
SHORT_UNITS = {"minutes": "min", "hours": "h", "seconds": "s"}
# Units that say nothing a reader needs: the number is already shown as a rate, money or a score.
SILENT_UNITS = {"ratio", "currency", "score", ""}


def quantity(value: float | None, unit: str | None, exact: bool = False, with_unit: bool = True) -> str:
    """One value with its unit: '24.6 min', '4.9k', '4.9k followers', '3.45%', '1,234.50'."""
    if value is None:
        return "–"
    unit = unit or ""
    if unit == "score":
        text = f"{value:+.2f}"
    elif exact:
        text = theme.exact(value, unit) if unit != "currency" else theme.money(value)
    else:
        text = theme.metric_value(value, unit)
    if not with_unit or unit in SILENT_UNITS:
        return text
    return f"{text} {SHORT_UNITS.get(unit, unit)}"


def _now(g: dict[str, Any], exact: bool) -> str:
    unit = g.get("unit")
    value = quantity(g.get("current"), unit, exact, with_unit=(unit or "") in SHORT_UNITS)
    return f"{value} so far" if g.get("aggregation") == "total" else f"{value} now"


def target_words(g: dict[str, Any], exact: bool = False) -> str:
    """'target ≥ 6k followers', 'target ≤ 30 min'; a total reads 'target 5k mentions'."""
    op = "" if g.get("aggregation") == "total" else ("≤ " if g.get("direction") == "down" else "≥ ")
    return f"target {op}{quantity(g.get('target'), g.get('unit'), exact)}"


def status_words(g: dict[str, Any]) -> str:
    """The status in lower case; a goal moving away from its target says so."""
    words = theme.status_label(g.get("status")).lower()
    percent = g.get("percent")
    if percent is not None and percent < 0 and g.get("status") not in ("achieved", "missed"):
        words += ", moving away"
    return words


def reading(g: dict[str, Any], exact: bool = False) -> str:
    """'24.6 min now · target ≤ 30 min · achieved'; without numbers 'no numbers yet · target ≥ 6k
    followers · not started'."""
    now = "no numbers yet" if g.get("current") is None else _now(g, exact)
    return f"{now} · {target_words(g, exact)} · {status_words(g)}"


def share_words(g: dict[str, Any]) -> str:
    """What the bar's length means for this goal: '59% of the way from 2.4k (the value on
    1 Mar 2026) to 6k'."""
    percent, baseline = g.get("percent"), g.get("baseline")
    if percent is None or baseline is None:
        return "No share of the way yet: the goal has no numbers since its start."
    unit = g.get("unit")
    start = _day(g.get("start_date"))
    origin = quantity(baseline, unit, with_unit=(unit or "") in SHORT_UNITS)
    if start:
        origin += f" (counted from {start})" if g.get("aggregation") == "total" else f" (the value on {start})"
    return f"{percent:.0f}% of the way from {origin} to {quantity(g.get('target'), unit)}"


def _day(day: dt.date | None) -> str:
    return f"{day.day} {day:%b %Y}" if isinstance(day, dt.date) else ""
