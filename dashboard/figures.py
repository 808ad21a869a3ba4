"""Figure builders: plain data in, a Plotly figure out. No database, no Flask, no Dash callbacks,
so every chart can be unit-tested with made-up numbers.

Points are ``(date, value)`` pairs (dates as ``datetime.date`` or ISO strings).

A figure is a plain dict (``{"data": [...], "layout": {...}}``), which ``dcc.Graph`` takes as
it is: building ``go.Figure`` objects validated every property and cost ~20 ms per figure, more
than the queries behind it. ``go.Figure(fig)`` turns one back into an object (the tests do, which
also checks that every property is valid). The layout carries Plotly's default template, as a
``go.Figure`` would, so the charts look the same.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import plotly.io as pio

from . import goal_text, theme

Point = tuple  # (date, value)

HOVER_NUMBER = "%{y:,.0f}"
HOVER_PERCENT = "%{y:.2%}"
# The date of a point in a hover, by granularity (a bucket is labelled by its first day). The date
# axis has no title: the dates say what it is, and under it the legend needs the room on a phone.
HOVER_DATES = {"day": "%-d %b %Y", "week": "Week starting %-d %b %Y", "month": "%B %Y"}


# What go.Figure() puts in every layout: the default template (computed once; read-only).
TEMPLATE = pio.templates[pio.templates.default].to_plotly_json()


def _update(target: dict, changes: dict) -> dict:
    """``fig.update_layout`` for dicts: nested dicts are merged, anything else replaced."""
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            target[key] = _update(dict(target[key]), value)
        else:
            target[key] = value
    return target


def _figure(layout: dict, *changes: dict) -> dict:
    out = {**layout, "template": TEMPLATE}
    for c in changes:
        _update(out, c)
    return {"data": [], "layout": out}


def _hline(fig: dict, y: float, line: dict, annotation: dict) -> None:
    """``fig.add_hline``: a full-width line at ``y`` and its label."""
    layout = fig["layout"]
    layout["shapes"] = [*layout.get("shapes", []), {"type": "line", "xref": "x domain", "x0": 0, "x1": 1,
                                                     "yref": "y", "y0": y, "y1": y, "line": line}]
    layout["annotations"] = [*layout.get("annotations", []), {
        "showarrow": False, "xref": "x domain", "yref": "y", "y": y, "x": 1, "xanchor": "right",
        "yanchor": "bottom", **annotation}]


def _xy(points: Iterable[Point]) -> tuple[list, list]:
    iso = _ISO_DATES
    xs, ys = [], []
    for d, v in points:
        x = iso.get(d)
        if x is None:
            x = d.isoformat() if isinstance(d, dt.date) else d
            if len(iso) < 20_000:
                iso[d] = x
        xs.append(x)
        ys.append(v)
    return xs, ys


_ISO_DATES: dict = {}  # date -> ISO text: the same days recur in every series and every call


def empty_figure(title: str, message: str, height: int = 320) -> dict:
    """A blank chart that says why it is blank."""
    return _figure(theme.base_layout(title, height=height), {
        "xaxis": {"visible": False},
        "yaxis": {"visible": False},
        "annotations": [{
            "text": message, "showarrow": False, "xref": "paper", "yref": "paper",
            "x": 0.5, "y": 0.5, "font": {"size": 13, "color": "#495057"},
        }],
    })


def _date_axis(granularity: str) -> dict:
    return {"xaxis": {"hoverformat": HOVER_DATES.get(granularity, HOVER_DATES["day"])}}


def campaign_colours(campaigns: Sequence[dict]) -> list[int]:
    """An index into ``theme.CAMPAIGN_COLOURS`` per campaign: the first one that no earlier,
    overlapping campaign has (so overlapping spans never share a colour while there are enough)."""
    out: list[int] = []
    n = len(theme.CAMPAIGN_COLOURS)
    for i, c in enumerate(campaigns):
        start, end = _as_date(c["start"]), _as_date(c["end"])
        taken = {out[j] for j, other in enumerate(campaigns[:i])
                 if start is None or end is None
                 or not ((_as_date(other["end"]) or end) < start or (_as_date(other["start"]) or start) > end)}
        out.append(next((k for k in range(n) if k not in taken), i % n))
    return out


def _campaign_shapes(campaigns: Sequence[dict], colours: Sequence[int]) -> list[dict]:
    shapes = []
    for c, colour in zip(campaigns, colours, strict=True):
        start, end = c["start"], c["end"]
        end_excl = (end + dt.timedelta(days=1)) if isinstance(end, dt.date) else end
        shapes.append({
            "type": "rect", "xref": "x", "yref": "paper", "x0": str(start), "x1": str(end_excl),
            "y0": 0, "y1": 1, "fillcolor": theme.CAMPAIGN_COLOURS[colour][0], "line": {"width": 0},
            "layer": "below",
        })
    return shapes


LABEL_CHAR_PX = 6.2       # about the width of one character of a 10 px label
ASSUMED_PLOT_PX = 900     # a narrow follower chart; on a wider one the labels only get more room
LABEL_ROW = 0.075         # height of one row of campaign labels, as a share of the plot
CAMPAIGN_LABEL_CHARS = 30


def _as_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _campaign_rows(campaigns: Sequence[dict], x_from: dt.date, x_to: dt.date) -> list[int]:
    """A row for each campaign's label so that no two labels overlap: a label goes in the first
    row whose last label ends before this campaign starts (label widths are estimated)."""
    days_per_px = max((x_to - x_from).days, 1) / ASSUMED_PLOT_PX
    row_ends: list[dt.date] = []
    rows = []
    for c in campaigns:
        start = _as_date(c["start"]) or x_from
        width = dt.timedelta(days=(len(_short(c["name"], CAMPAIGN_LABEL_CHARS)) * LABEL_CHAR_PX + 12) * days_per_px)
        row = next((i for i, end in enumerate(row_ends) if end < start), len(row_ends))
        if row == len(row_ends):
            row_ends.append(start + width)
        else:
            row_ends[row] = start + width
        rows.append(row)
    return rows


def _campaign_labels(campaigns: Sequence[dict], rows: Sequence[int], colours: Sequence[int]) -> list[dict]:
    """Campaign names in a band above the data, one row lower for each clash, in their span's
    colour; the full name and dates on hover."""
    return [{
        "x": str(c["start"]), "y": 1 - row * LABEL_ROW, "xref": "x", "yref": "paper", "xanchor": "left",
        "yanchor": "top", "text": plain(c["name"], CAMPAIGN_LABEL_CHARS), "showarrow": False,
        "font": {"size": 10, "color": theme.CAMPAIGN_COLOURS[colour][1]}, "bgcolor": "rgba(255,255,255,0.85)",
        "hovertext": f"Campaign: {plain(c['name'])}<br>{c['start']} – {c['end']}",
    } for c, row, colour in zip(campaigns, rows, colours, strict=True)]


def followers_figure(channel_series: Sequence[dict], combined: Sequence[Point] | None = None, *,
                     target: dict | None = None, campaigns: Sequence[dict] = (),
                     granularity: str = "day", year_earlier: Sequence[Point] | None = None) -> dict:
    """Followers over time: one line per channel, the combined total, the launch plan's
    critical-mass target as a dashed line and campaigns as shaded spans, each overlapping one in
    its own colour. The axis fits the lines (not from 0, where growth would look flat).

    :param channel_series: ``[{"label", "platform", "points"}]``
    :param target: ``{"value", "label", "date"}`` (date optional: the deadline of the target)
    :param campaigns: ``[{"name", "start", "end"}]``
    :param year_earlier: the combined (or one channel's) followers of the same days a year
        earlier, dated a year on: drawn as a dotted grey line under this year's.
    """
    title = "Follower growth"
    if not any(s["points"] for s in channel_series) and not combined:
        return empty_figure(title, "No follower numbers in this period.")
    fig = _figure(theme.base_layout(title, "Followers", "", height=360), _date_axis(granularity))
    traces = fig["data"]
    colours = theme.series_colours([s.get("platform") for s in channel_series])
    all_points = [p for s in channel_series for p in s["points"]] + list(combined or [])
    for s, colour in zip(channel_series, colours, strict=True):
        xs, ys = _xy(s["points"])
        traces.append({
            "type": "scatter", "x": xs, "y": ys, "name": plain(s["label"]), "mode": "lines",
            # The name through the template's own variable: a "%{...}" in a channel's name stays text.
            "line": {"color": colour, "width": 2},
            "hovertemplate": f"%{{fullData.name}}: {HOVER_NUMBER}<extra></extra>",
        })
    if combined and len(channel_series) != 1:
        xs, ys = _xy(combined)
        traces.append({
            "type": "scatter", "x": xs, "y": ys, "name": "All channels", "mode": "lines",
            "line": dict(theme.COMBINED_LINE), "hovertemplate": f"All channels: {HOVER_NUMBER}<extra></extra>",
        })
    if year_earlier:
        xs, ys = _xy(year_earlier)
        traces.append({
            "type": "scatter", "x": xs, "y": ys, "name": "A year earlier", "mode": "lines",
            "line": dict(theme.YEAR_EARLIER_LINE),
            "hovertemplate": f"A year earlier: {HOVER_NUMBER}<extra></extra>",
        })
        all_points += list(year_earlier)
    values = [v for _, v in all_points if v is not None]
    top = max(values, default=0.0)
    bottom = min(values, default=0.0)
    if target and target.get("value") is not None:
        label = plain(target.get("label") or "Critical-mass target")
        when = target.get("date")
        text = f"{label}: {theme.compact(target['value'])}" + (f" by {when}" if when else "")
        # Just above the line at its left end, in a row of its own under the campaign labels.
        _hline(fig, target["value"], {"color": theme.TARGET_COLOUR, "dash": "dash", "width": 2},
               {"text": text, "font": {"size": 11, "color": theme.TARGET_COLOUR},
                "xanchor": "left", "x": 0, "yanchor": "bottom", "bgcolor": "rgba(255,255,255,0.85)"})
        top = max(top, float(target["value"]))
        bottom = min(bottom, float(target["value"]))
    labels, label_rows = [], 1 if target and target.get("value") is not None else 0
    spans = campaign_colours(campaigns)
    # Each series is in date order: its first and last points bound the x range.
    ends = [pts[i] for pts in [s["points"] for s in channel_series] + [combined or []] if pts for i in (0, -1)]
    dates = [d for d in (_as_date(p[0]) for p in ends) if d is not None]
    if campaigns and dates:
        rows = _campaign_rows(campaigns, min(dates), max(dates))
        labels = _campaign_labels(campaigns, rows, spans)
        label_rows += max(rows) + 1
    if values:
        # From a little under the lowest value, not from 0; from 0 when that is close anyway.
        pad = (top - bottom) * 0.08 or abs(top) * 0.05 or 1.0
        low = bottom - pad if bottom - pad > (top - bottom) * 0.5 else min(0.0, bottom)
        band = LABEL_ROW * label_rows + 0.02 if label_rows else 0.0  # room above the lines for the labels
        high = low + (top + pad - low) / (1 - band)
        _update(fig["layout"], {"yaxis": {"range": [low, high], "rangemode": "normal"}})
    layout = fig["layout"]
    layout["shapes"] = layout.get("shapes", []) + _campaign_shapes(campaigns, spans)
    layout["annotations"] = layout.get("annotations", []) + labels
    return _few_days(fig)


def _few_days(fig: dict) -> dict:
    """A date axis over less than a week: a tick per day labelled with the date (plotly would zoom
    a single day down to milliseconds), a day either side of a lone date, a marker on a line that
    has a single point (a line of one point draws nothing) and bars a day wide."""
    days = sorted({x for trace in fig["data"] for x in trace.get("x", ()) if isinstance(x, str)})
    if not 0 < len(days) < 7:
        return fig
    axis = {"dtick": 86_400_000, "tickformat": "%e %b %Y"}
    if len(days) == 1:
        day = dt.date.fromisoformat(days[0][:10])
        axis["range"] = [(day - dt.timedelta(days=1)).isoformat(), (day + dt.timedelta(days=1)).isoformat()]
    _update(fig["layout"], {"xaxis": axis})
    for trace in fig["data"]:
        if trace.get("type") == "scatter" and trace.get("mode") == "lines" and len(trace.get("x", ())) == 1:
            trace["mode"] = "lines+markers"
        elif trace.get("type") == "bar":
            trace["width"] = 0.8 * 86_400_000  # a lone bar would be drawn as a hairline
    return fig


def reach_figure(reach: Sequence[Point], impressions: Sequence[Point], *, granularity: str = "day",
                 campaigns: Sequence[dict] = ()) -> dict:
    """Reach (bars) and impressions (line) per bucket."""
    title = "Reach and impressions"
    if not reach and not impressions:
        return empty_figure(title, "No reach or impressions in this period.")
    per = {"day": "per day", "week": "per week", "month": "per month"}.get(granularity, "")
    fig = _figure(theme.base_layout(title, f"People / views {per}".strip(), ""), _date_axis(granularity),
                  {"bargap": 0.15, "shapes": _campaign_shapes(campaigns, campaign_colours(campaigns))})
    if reach:
        xs, ys = _xy(reach)
        fig["data"].append({"type": "bar", "x": xs, "y": ys, "name": "Reach (people)", "marker": {"color": "#0A66C2"},
                            "hovertemplate": f"Reach: {HOVER_NUMBER}<extra></extra>"})
    if impressions:
        xs, ys = _xy(impressions)
        fig["data"].append({"type": "scatter", "x": xs, "y": ys, "name": "Impressions (views)", "mode": "lines",
                            "line": {"color": "#FD7E14", "width": 2},
                            "hovertemplate": f"Impressions: {HOVER_NUMBER}<extra></extra>"})
    return _few_days(fig)


def engagement_figure(points: Sequence[Point], *, granularity: str = "day") -> dict:
    """Engagement rate (engagements / reach) per bucket, as a percentage."""
    title = "Engagement rate"
    if not points or all(v is None for _, v in points):
        return empty_figure(title, "No engagement numbers in this period.")
    fig = _figure(theme.base_layout(title, "Engagements per person reached", ""), _date_axis(granularity),
                  {"yaxis": {"tickformat": ".1%"}, "showlegend": False})
    xs, ys = _xy(points)
    fig["data"].append({"type": "scatter", "x": xs, "y": ys, "name": "Engagement rate",
                        "mode": "lines+markers" if len(xs) < 60 else "lines",
                        "line": {"color": "#198754", "width": 2}, "marker": {"size": 5},
                        "hovertemplate": f"Engagement rate: {HOVER_PERCENT}<extra></extra>"})
    return _few_days(fig)


GOAL_ROW_PX = 62  # one goal: two lines of words over its bar


def goals_figure(goals: Sequence[dict]) -> dict:
    """One bar per goal, the share of the way from its start value to its target (the axis runs
    from "start" to "target"), coloured by status; above each bar, across the whole width (so
    that nothing is cut on a phone), the goal's title and channel and the goal in words
    ("24.6 min now · target ≤ 30 min · achieved").

    :param goals: ``[{"title", "status", "percent", "current", "baseline", "target", "direction",
        "aggregation", "unit", "channel_label", "start_date", "deadline", "forecast_date"}]`` with
        ``percent`` as 0–100 (may be None, negative or above 100).
    """
    title = "Goal progress"
    if not goals:
        return empty_figure(title, "No sub-goals yet.", height=200)
    rows = list(goals)[::-1]
    # One row per goal, even when two goals share a title: the rows are keyed by position.
    keys = list(range(len(rows)))
    values = [max(0.0, min(float(g.get("percent") or 0), 100.0)) for g in rows]
    colours = [theme.status_colour(g.get("status")) for g in rows]
    labels = [{
        "xref": "paper", "x": 0, "xanchor": "left", "yref": "y", "y": i + 0.2, "yanchor": "bottom",
        "showarrow": False, "align": "left", "font": {"size": 12, "color": "#212529"},
        "text": _goal_label(g, colours[i]),
    } for i, g in enumerate(rows)]
    hover = [_goal_hover(g) for g in rows]
    plot_height = GOAL_ROW_PX * len(rows)
    fig = _figure(theme.base_layout(title, "", "", height=plot_height + 96), {
        "hovermode": "closest", "margin": {"l": 8, "r": 16, "t": 44, "b": 40}, "annotations": labels,
        "xaxis": {"range": [0, 101.5], "tickmode": "array", "tickvals": [0, 25, 50, 75, 100],
                  "ticktext": ["start", "25%", "50%", "75%", "target"], "showgrid": True, "gridcolor": "#e9ecef",
                  "fixedrange": True},
        "yaxis": {"range": [-0.45, len(rows) - 0.25], "showticklabels": False, "showgrid": False,
                  "zeroline": False, "fixedrange": True},
        "shapes": [{"type": "line", "xref": "x", "x0": 100, "x1": 100, "yref": "paper", "y0": 0, "y1": 1,
                    "line": {"color": theme.TARGET_COLOUR, "dash": "dot", "width": 1}}],
    })
    fig["data"].append({
        "type": "bar", "x": values, "y": keys, "orientation": "h", "width": 0.36,
        "marker": {"color": colours}, "hovertext": hover, "hoverinfo": "text", "showlegend": False,
    })
    # Under each bar the whole way as a pale track, so a short bar still reads as a share of it.
    fig["data"].insert(0, {
        "type": "bar", "x": [100] * len(rows), "y": keys, "orientation": "h", "width": 0.36,
        "marker": {"color": "#eef1f4"}, "hoverinfo": "skip", "showlegend": False,
    })
    fig["layout"]["barmode"] = "overlay"
    return fig


def _goal_label(g: dict, colour: str) -> str:
    """Two lines above a goal's bar: the title and channel, then the goal in words with the status
    in its colour (user text escaped; the markup is ours)."""
    title, channel = _title_and_channel(str(g["title"] or ""), str(g.get("channel_label") or ""))
    head = f"<b>{plain(title)}</b>" + (f" · {plain(channel)}" if channel else "")
    words = goal_text.reading(g)
    now_and_target, _, status = words.rpartition(" · ")
    return (f"{head}<br><span style='font-size:11px;color:#495057'>{plain(now_and_target)} · "
            f"<span style='color:{colour};font-weight:600'>{plain(status)}</span></span>")


GOAL_LINE_CHARS = 44  # one line above a bar fits a phone's width (about 330 px)


def _title_and_channel(title: str, channel: str) -> tuple[str, str]:
    """The title and channel shortened to share one line: the channel keeps at least 14
    characters, the title the rest."""
    room = GOAL_LINE_CHARS - 3
    if len(title) + len(channel) <= room:
        return title, channel
    channel = _short(channel, max(14, room - len(title))) if channel else ""
    return _short(title, room - len(channel)), channel


def _goal_hover(g: dict) -> str:
    lines = [f"<b>{plain(g['title'])}</b>" + (f" · {plain(g['channel_label'])}" if g.get("channel_label") else ""),
             plain(goal_text.reading(g, exact=True)),
             plain(goal_text.share_words(g)),
             f"Deadline: {g.get('deadline') or '–'}"]
    if g.get("status") not in ("achieved", "missed", "not_started"):
        lines.append(f"Forecast: {g.get('forecast_date') or 'not reached at the current pace'}")
    return "<br>".join(lines)


def goal_path_figure(title: str, actual: Sequence[Point], required: Sequence[Point], *,
                     target: float | None = None, unit: str | None = None) -> dict:
    """A goal's actual path against the straight path from its baseline to the target by the
    deadline."""
    fig_title = f"{plain(title, 60)}: actual vs needed"
    if not actual and not required:
        return empty_figure(fig_title, "No numbers for this goal yet.")
    ratio = unit == "ratio"
    # Not from zero: a goal of 19.3k → 19.5k would be two flat lines on top of each other.
    fig = _figure(theme.base_layout(fig_title, _unit_words(unit), ""), _date_axis("day"),
                  {"yaxis": {"rangemode": "normal"}}, {"yaxis": {"tickformat": ".1%"}} if ratio else {})
    hover = HOVER_PERCENT if ratio else HOVER_NUMBER
    if required:
        xs, ys = _xy(required)
        fig["data"].append({"type": "scatter", "x": xs, "y": ys, "name": "Needed to reach the target", "mode": "lines",
                            "line": {"color": "#6C757D", "dash": "dash", "width": 2},
                            "hovertemplate": f"Needed: {hover}<extra></extra>"})
    if actual:
        xs, ys = _xy(actual)
        fig["data"].append({"type": "scatter", "x": xs, "y": ys, "name": "Actual", "mode": "lines",
                            "line": {"color": "#0B5ED7", "width": 3},
                            "hovertemplate": f"Actual: {hover}<extra></extra>"})
    if target is not None:
        _hline(fig, target, {"color": theme.TARGET_COLOUR, "dash": "dot", "width": 1},
               {"text": f"Target {_fmt_value(target, unit)}", "xanchor": "left", "x": 0,
                "font": {"size": 11, "color": theme.TARGET_COLOUR}})
    return _few_days(fig)


def _unit_words(unit: str | None) -> str:
    return {"ratio": "Rate", "currency": "Amount", "followers": "Followers", "people": "People",
            "score": "Score"}.get(unit or "", (unit or "Value").capitalize())


def _fmt_value(value, unit: str | None = None, exact: bool = False) -> str:
    if value is None:
        return "–"
    if unit == "ratio":
        return theme.percent(value)
    if unit == "currency":
        return theme.money(value)
    if unit == "score":
        return f"{value:.2f}"
    return f"{value:,.0f}" if exact else theme.compact(value)


def _short(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plain(text: str | None, limit: int | None = None) -> str:
    """User text as Plotly shows it literally: shortened first (so that a cut never splits an
    entity), then ``&``, ``<`` and ``>`` as entities — Plotly reads ``<b>``, ``<a href>`` or
    ``<br>`` in names, labels and hover text as markup."""
    text = str(text or "")
    if limit is not None:
        text = _short(text, limit)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
