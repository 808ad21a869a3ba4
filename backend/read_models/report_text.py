"""A report in words: the generated sentences of its executive summary ("Followers grew 12 % to
88.3k; 5 of 8 sub-goals are on track; “Crisis answers” is at risk") and the way its numbers are
written. Pure: data in, text out; statuses named with the goal vocabulary
(backend/services/goal_terms.py)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from dashboard import theme

from ..services.goal_terms import status_term


def value_text(value: float | None, unit: str | None) -> str:
    """A KPI card's number, written in full (the same text for the same value on every surface):
    '12,345', '4.12%', '1,234.50', '+0.32'."""
    if value is None:
        return "–"
    if unit == "ratio":
        return theme.percent(value)
    if unit == "currency":
        return theme.money(value)
    if unit == "score":
        return f"{value:+.2f}"
    return f"{round(value):,}" if abs(value - round(value)) < 1e-9 else f"{value:,.1f}"


def change_text(percent: float | None) -> str:
    """'+12.3 %', '−4.0 %' or '–' (no earlier value to compare with)."""
    if percent is None:
        return "–"
    return f"{'+' if percent >= 0 else '−'}{abs(percent):.1f} %"


def day_text(day: dt.date | None) -> str:
    return "–" if day is None else f"{day.day} {day:%b %Y}"


def date_range(start: dt.date, end: dt.date) -> str:
    """'3 – 14 Sep 2026', '3 Aug – 14 Sep 2026', '3 Dec 2025 – 14 Jan 2026'."""
    if start == end:
        return day_text(start)
    if start.year != end.year:
        return f"{day_text(start)} – {day_text(end)}"
    if start.month != end.month:
        return f"{start.day} {start:%b} – {day_text(end)}"
    return f"{start.day} – {day_text(end)}"


def _quoted_list(titles: Sequence[str]) -> str:
    quoted = [f"“{t}”" for t in titles]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def _followers_sentence(kpi: Any) -> str | None:
    if kpi is None or kpi.value is None:
        return None
    now = theme.compact(kpi.value)
    if kpi.change_percent is None or kpi.previous is None:
        return f"Followers stood at {now} at the end of the period."
    if abs(kpi.change_percent) < 0.05:
        return f"Followers held steady at {now}."
    verb = "grew" if kpi.change_percent > 0 else "fell"
    return f"Followers {verb} {abs(kpi.change_percent):.0f} % to {now}."


def _flow_sentence(kpi: Any, what: str, unit_words: str) -> str | None:
    if kpi is None or kpi.value is None:
        return None
    text = f"{what} was {theme.compact(kpi.value)}{unit_words}"
    if kpi.change_percent is not None:
        direction = "up" if kpi.change_percent >= 0 else "down"
        text += f", {direction} {abs(kpi.change_percent):.0f} % on the previous period"
    return text + "."


def _engagement_sentence(kpi: Any) -> str | None:
    if kpi is None or kpi.value is None:
        return None
    text = f"The engagement rate was {theme.percent(kpi.value)}"
    if kpi.previous is not None:
        text += f" ({theme.percent(kpi.previous)} the period before)"
    return text + "."


def _mentions_sentence(mentions: Any, sentiment: Any) -> str | None:
    if mentions is None or mentions.value is None:
        return None
    text = f"The company was mentioned {theme.compact(mentions.value)} times"
    if sentiment is not None and sentiment.value is not None:
        mood = "positive" if sentiment.value > 0.05 else "negative" if sentiment.value < -0.05 else "neutral"
        text += f", on balance {mood} (sentiment {sentiment.value:+.2f})"
    return text + "."


def goal_sentences(goals: Sequence[Any]) -> list[str]:
    """'5 of 8 sub-goals are on track or achieved.' and one sentence per status that needs
    attention: '“Crisis answers” is at risk.', '“A” and “B” are off track.'"""
    if not goals:
        return []
    good = sum(1 for g in goals if g.status in ("on_track", "achieved"))
    noun = "sub-goal" if len(goals) == 1 else "sub-goals"
    verb = "is" if good == 1 else "are"
    out = [f"{good} of {len(goals)} {noun} {verb} on track or achieved."]
    for status in ("off_track", "at_risk", "missed"):
        titles = [g.title for g in goals if g.status == status]
        if not titles:
            continue
        label = status_term(status).label.lower()
        if status == "missed":
            out.append(f"{_quoted_list(titles)} missed {'its' if len(titles) == 1 else 'their'} deadline.")
        else:
            out.append(f"{_quoted_list(titles)} {'is' if len(titles) == 1 else 'are'} {label}.")
    return out


def summary_sentences(*, has_data: bool, kpis: dict[str, Any], goals: Sequence[Any],
                      strategy_changes: Sequence[Any], gaps: Sequence[Any]) -> list[str]:
    """The executive summary's generated sentences, most telling first."""
    out: list[str] = []
    if not has_data:
        out.append("No figures were reported for this period, so there is nothing to compare yet.")
    else:
        out += [s for s in (
            _followers_sentence(kpis.get("followers")),
            _flow_sentence(kpis.get("reach"), "Reach", " people"),
            _engagement_sentence(kpis.get("engagement_rate")),
            _mentions_sentence(kpis.get("mentions"), kpis.get("sentiment_score")),
        ) if s]
    out += goal_sentences(goals)
    if strategy_changes:
        changed = sorted({f for c in strategy_changes for f in c.fields})
        out.append(f"The strategy was revised {_times(len(strategy_changes))} in the period"
                   + (f" ({', '.join(changed)})." if changed else "."))
    if has_data and gaps:
        names = [g.label for g in gaps]
        out.append(f"Figures are missing for some days on {_quoted_list(names)}; see Data freshness.")
    return out
