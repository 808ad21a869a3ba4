"""Figure builders, number formats and the controls of the company page: pure functions."""
from __future__ import annotations

import datetime as dt

import pytest

from dashboard import controls as ctl
from dashboard import figures, theme

pytestmark = pytest.mark.no_db
D0 = dt.date(2025, 3, 1)


def days(n, start=D0, base=1000.0, step=10.0):
    return [(start + dt.timedelta(days=i), base + i * step) for i in range(n)]


# --- number formats -------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "text"), [
    (0, "0"), (950, "950"), (1000, "1k"), (12_345, "12.3k"), (999_949, "999.9k"), (999_999, "1M"),
    (1_234_567, "1.2M"), (2_500_000_000, "2.5B"), (-4_200, "-4.2k"), (None, "–"), (12.5, "12.5"),
])
def test_compact_numbers(value, text):
    assert theme.compact(value) == text


def test_change_text_says_direction_and_percent():
    assert theme.signed_change(1234, 5.04) == "+1.2k (+5.0%)"
    assert theme.signed_change(-0.004, -10.0, "ratio") == "-0.40 pp (-10.0%)"
    assert theme.signed_change(None, None) == "no previous data"


def test_every_status_has_a_label_and_a_dark_enough_colour():
    def luminance(hex_colour):
        rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    from backend.services.progress import STATUSES

    for status in STATUSES:
        assert theme.status_label(status) and "_" not in theme.status_label(status)
        contrast = 1.05 / (luminance(theme.status_colour(status)) + 0.05)  # white text on the colour
        assert contrast >= 4.5, (status, contrast)


def test_platforms_get_distinct_colours():
    assert theme.platform_colour("facebook") != theme.platform_colour("instagram")
    assert theme.platform_colour("unknown-thing", 0) != theme.platform_colour("unknown-thing", 1)


# --- figures --------------------------------------------------------------------------------
def test_followers_figure_has_a_line_per_channel_the_total_the_target_and_campaigns():
    fb, ig = days(30, base=1000), days(30, base=500)
    total = [(d, a + b) for (d, a), (_, b) in zip(fb, ig)]
    fig = figures.followers_figure(
        [{"label": "Facebook", "platform": "facebook", "points": fb},
         {"label": "Instagram", "platform": "instagram", "points": ig}],
        total, target={"value": 5000, "label": "Critical mass", "date": "1 Jun 2025"},
        campaigns=[{"name": "Spring sale", "start": D0 + dt.timedelta(days=3), "end": D0 + dt.timedelta(days=9)}])
    names = [t.name for t in fig.data]
    assert names == ["Facebook", "Instagram", "All channels"]
    assert list(fig.data[2].y) == [v for _, v in total]
    assert fig.data[0].line.color == theme.PLATFORM_COLOURS["facebook"]
    target_lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert target_lines and target_lines[0].y0 == 5000
    spans = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(spans) == 1 and spans[0].x0 == str(D0 + dt.timedelta(days=3))
    assert any("Spring sale" in a.text for a in fig.layout.annotations)
    assert any("Critical mass: 5k by 1 Jun 2025" in a.text for a in fig.layout.annotations)
    assert fig.layout.yaxis.title.text == "Followers" and fig.layout.xaxis.title.text == "Day"
    assert "%{y:,.0f}" in fig.data[0].hovertemplate  # exact values on hover


def test_followers_figure_without_data_says_so():
    fig = figures.followers_figure([{"label": "Facebook", "platform": "facebook", "points": []}], [])
    assert not fig.data
    assert "No follower numbers" in fig.layout.annotations[0].text


def test_reach_and_engagement_figures():
    reach = days(10, base=5000, step=100)
    fig = figures.reach_figure(reach, days(10, base=9000), granularity="week")
    assert [t.type for t in fig.data] == ["bar", "scatter"]
    assert fig.layout.xaxis.title.text == "Week starting"
    assert "per week" in fig.layout.yaxis.title.text
    eng = figures.engagement_figure([(D0, 0.031), (D0 + dt.timedelta(days=1), None), (D0 + dt.timedelta(days=2), 0.04)])
    assert eng.layout.yaxis.tickformat == ".1%" and list(eng.data[0].y) == [0.031, None, 0.04]
    assert "No reach" in figures.reach_figure([], []).layout.annotations[0].text
    assert "No engagement" in figures.engagement_figure([(D0, None)]).layout.annotations[0].text


def test_goals_figure_colours_bars_by_status_and_caps_at_100():
    goals = [
        {"title": "Grow followers", "status": "on_track", "percent": 55.0, "current": 5500, "target": 10000,
         "forecast_date": dt.date(2025, 9, 1), "deadline": dt.date(2025, 10, 1), "unit": "followers"},
        {"title": "Answer faster", "status": "off_track", "percent": -20.0, "current": 90, "target": 30,
         "forecast_date": None, "deadline": dt.date(2025, 6, 1), "unit": "minutes"},
        {"title": "Reach a million", "status": "achieved", "percent": 130.0, "current": 1.3e6, "target": 1e6,
         "forecast_date": None, "deadline": dt.date(2025, 6, 1), "unit": "people"},
    ]
    fig = figures.goals_figure(goals)
    bar = fig.data[0]
    # Bars are listed bottom-up: the first goal is the top bar.
    assert list(bar.y) == ["Reach a million", "Answer faster", "Grow followers"]
    assert list(bar.x) == [100.0, 0.0, 55.0]
    assert list(bar.marker.color) == [theme.status_colour("achieved"), theme.status_colour("off_track"),
                                      theme.status_colour("on_track")]
    assert "On track · 5.5k of 10k" in bar.text[2]
    assert "Forecast: 2025-09-01" in bar.hovertext[2] and "5,500 of 10,000" in bar.hovertext[2]
    assert "not reached at the current pace" in bar.hovertext[1]
    assert "No sub-goals" in figures.goals_figure([]).layout.annotations[0].text


def test_goal_path_figure_shows_actual_against_needed():
    fig = figures.goal_path_figure("Grow followers", days(20), [(D0, 1000), (D0 + dt.timedelta(days=90), 4000)],
                                   target=4000, unit="followers")
    assert [t.name for t in fig.data] == ["Needed to reach the target", "Actual"]
    assert list(fig.data[0].y) == [1000, 4000]
    ratio = figures.goal_path_figure("Engage", [(D0, 0.02)], [(D0, 0.01), (D0 + dt.timedelta(days=9), 0.05)],
                                     target=0.05, unit="ratio")
    assert ratio.layout.yaxis.tickformat == ".1%"


def test_figures_reference_no_external_urls():
    fig = figures.followers_figure([{"label": "Facebook", "platform": "facebook", "points": days(3)}], days(3))
    assert "http" not in fig.to_json()


# --- controls -------------------------------------------------------------------------------
TODAY = dt.date(2025, 6, 30)


def test_query_string_round_trip():
    c = ctl.Controls("custom", dt.date(2025, 1, 1), dt.date(2025, 2, 1), "week", "facebook")
    assert c.query_string() == "?range=custom&from=2025-01-01&to=2025-02-01&granularity=week&channel=facebook"
    assert ctl.parse_query(c.query_string()) == c
    assert ctl.parse_query("?range=30d").query_string() == "?range=30d"


@pytest.mark.parametrize("search", ["", "?range=bogus", "?range=custom&from=2025-13-01&to=x", "?granularity=hour"])
def test_broken_query_strings_fall_back_to_defaults(search):
    c = ctl.parse_query(search)
    assert c.preset in ctl.PRESETS and c.granularity in ctl.GRANULARITIES
    assert c.preset != "custom"


def test_presets():
    assert ctl.preset_range("30d", TODAY) == (dt.date(2025, 6, 1), TODAY)
    assert ctl.preset_range("90d", TODAY) == (dt.date(2025, 4, 2), TODAY)
    assert ctl.preset_range("12m", TODAY) == (dt.date(2024, 7, 1), TODAY)
    assert ctl.preset_range("ytd", TODAY) == (dt.date(2025, 1, 1), TODAY)


def test_range_with_start_after_end_is_swapped_with_a_message():
    r = ctl.resolve_range(ctl.Controls("custom", dt.date(2025, 5, 1), dt.date(2025, 4, 1)), TODAY,
                          (dt.date(2024, 1, 1), TODAY))
    assert (r.date_from, r.date_to) == (dt.date(2025, 4, 1), dt.date(2025, 5, 1))
    assert "swapped" in r.messages[0]


def test_range_outside_the_data_moves_to_the_latest_data():
    r = ctl.resolve_range(ctl.Controls("custom", dt.date(2020, 1, 1), dt.date(2020, 1, 31)), TODAY,
                          (dt.date(2024, 1, 1), dt.date(2025, 5, 31)))
    assert (r.date_from, r.date_to) == (dt.date(2025, 5, 1), dt.date(2025, 5, 31))
    assert "No data" in r.messages[0]


def test_range_in_the_future_ends_today_and_starts_at_the_first_data():
    r = ctl.resolve_range(ctl.Controls("custom", dt.date(2025, 6, 1), dt.date(2026, 1, 1)), TODAY,
                          (dt.date(2025, 6, 10), TODAY))
    assert (r.date_from, r.date_to) == (dt.date(2025, 6, 10), TODAY)
    assert len(r.messages) == 2


def test_preset_inside_the_data_needs_no_message():
    r = ctl.resolve_range(ctl.Controls("30d"), TODAY, (dt.date(2024, 1, 1), TODAY - dt.timedelta(days=1)))
    assert r.messages == () and (r.date_from, r.date_to) == (dt.date(2025, 6, 1), TODAY)


def test_long_ranges_get_a_coarser_granularity():
    r = ctl.resolve_range(ctl.Controls("custom", dt.date(2015, 1, 1), TODAY, "day"), TODAY, None)
    assert r.granularity == "week" and (r.date_to - r.date_from).days / 7 <= ctl.MAX_BUCKETS
    assert "per week" in r.messages[-1]
    r = ctl.resolve_range(ctl.Controls("custom", dt.date(1900, 1, 1), TODAY, "day"), TODAY, None)
    assert r.granularity == "month"
    assert ctl.resolve_range(ctl.Controls("12m"), TODAY, None).granularity == "day"
