"""Charts outside the dashboard: a report's (and a share page's) figures, built by the dashboard's
pure figure builders (dashboard/figures.py) so that they look the same, and drawn

- on screen (a report page, a public share page) by the app's own partial Plotly build, from a
  JSON data block beside each chart and one static script (backend/static/report-charts.js): no
  inline script, so the strict Content-Security-Policy holds, and no Dash callback, no API;
- in a PDF as SVG exported by kaleido (backend/reporting/pdf.py).

For another page (the share page of a company's board): build figures, wrap each in
:func:`chart_block`, and put :func:`chart_scripts` once at the end of the page.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import url_for
from markupsafe import Markup, escape

from dashboard import figures, theme

from ..vendor import PLOTLY_NAME, vendor_url


@dataclass(frozen=True)
class Chart:
    """One figure with an id unique in its page."""

    id: str
    figure: dict[str, Any]

    @property
    def height(self) -> int:
        return int(self.figure.get("layout", {}).get("height") or 320)


def _safe_json(value: Any) -> str:
    """JSON that cannot end the <script> element it sits in (nor open a comment or CDATA)."""
    text = json.dumps(value, default=str, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def chart_block(chart: Chart, css_class: str = "rb-chart") -> Markup:
    """A chart for the screen: a sized box and its figure as a JSON data block (not run by the
    browser; report-charts.js reads it and draws)."""
    cid = escape(chart.id)
    return Markup(
        f'<div class="{escape(css_class)}" data-chart="{cid}" style="min-height:{chart.height}px"></div>'
        f'<script type="application/json" id="chart-data-{cid}">{_safe_json(chart.figure)}</script>')


def chart_scripts() -> Markup:
    """The two scripts that draw every chart block of a page (once per page, after the blocks)."""
    plotly = vendor_url(PLOTLY_NAME)
    drawer = url_for("static", filename="report-charts.js")
    return Markup(f'<script src="{escape(plotly)}"></script><script src="{escape(drawer)}"></script>')


def for_print(figure: dict[str, Any]) -> dict[str, Any]:
    """The figure as a still image: no hover labels, a plain white page."""
    layout = dict(figure.get("layout", {}))
    layout["hovermode"] = False
    return {"data": figure.get("data", []), "layout": layout}


def mentions_figure(mentions: dict[str, list], *, granularity: str = "day") -> dict[str, Any]:
    """Mentions per bucket, stacked by sentiment (positive, neutral, negative), with the sentiment
    score (−1 … 1) as a line on its own axis."""
    title = "Mentions and sentiment"
    if not any(mentions.get(k) for k in ("positive", "neutral", "negative")):
        return figures.empty_figure(title, "No mentions in this period.")
    layout = theme.base_layout(title, "Mentions", "", height=320)
    layout.update({"template": figures.TEMPLATE, "barmode": "stack", "bargap": 0.15,
                   "yaxis2": {"title": {"text": "Sentiment"}, "overlaying": "y", "side": "right", "range": [-1, 1],
                              "showgrid": False, "zeroline": True, "zerolinecolor": "#ced4da",
                              "tickformat": "+.1f", "tickmode": "linear", "tick0": -1, "dtick": 0.5},
                   "margin": {"l": 56, "r": 56, "t": 56, "b": 32}})
    layout["xaxis"] = {**layout["xaxis"], "hoverformat": figures.HOVER_DATES.get(granularity, "%-d %b %Y")}
    fig: dict[str, Any] = {"data": [], "layout": layout}
    for key, label, colour in (("positive", "Positive", "#2F9E44"), ("neutral", "Neutral", "#ADB5BD"),
                               ("negative", "Negative", "#E03131")):
        points = mentions.get(key) or []
        if points:
            fig["data"].append({"type": "bar", "name": label, "marker": {"color": colour},
                                "x": [str(d) for d, _ in points], "y": [v for _, v in points],
                                "hovertemplate": f"{label}: %{{y:,.0f}}<extra></extra>"})
    score = mentions.get("sentiment_score") or []
    if score:
        fig["data"].append({"type": "scatter", "mode": "lines", "name": "Sentiment", "yaxis": "y2",
                            "line": {"color": "#212529", "width": 2},
                            "x": [str(d) for d, _ in score], "y": [v for _, v in score],
                            "hovertemplate": "Sentiment: %{y:+.2f}<extra></extra>"})
    return figures._few_days(fig)  # noqa: SLF001 - the dashboard's own treatment of short ranges


def report_charts(view) -> dict[str, Chart]:
    """The figures of a report view (backend/read_models/report.py), by where they go:
    ``followers``, ``reach``, ``engagement``, ``mentions``, ``goals`` and ``path-<goal id>``."""
    out: dict[str, Chart] = {}
    if view.charts is not None:
        c = view.charts
        out["followers"] = Chart("followers", figures.followers_figure(
            c.follower_lines, c.followers, target=c.target, campaigns=c.campaigns, granularity=c.granularity))
        out["reach"] = Chart("reach", figures.reach_figure(c.reach, c.impressions, granularity=c.granularity,
                                                           campaigns=c.campaigns))
        out["engagement"] = Chart("engagement", figures.engagement_figure(c.engagement_rate,
                                                                          granularity=c.granularity))
        out["mentions"] = Chart("mentions", mentions_figure(c.mentions, granularity=c.granularity))
    if view.goals:
        out["goals"] = Chart("goals", figures.goals_figure([g.goal for g in view.goals]))
    for g in view.goals_with_paths:
        p = g.path
        out[f"path-{g.id}"] = Chart(f"path-{g.id}", figures.goal_path_figure(
            p.title, p.actual, p.required, target=p.target, unit=p.unit))
    return out
