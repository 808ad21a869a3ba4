"""Alerts on the dashboard: the bell's unread count in the navbar, the company page's open alerts
beside the goal bars (an alert's link chooses its goal), and the portfolio's open-alerts column
and "needs attention" filter. The alerts are put in directly (tests/support/alert_world.py)."""
from __future__ import annotations

import pytest
from alert_world import add_alert
from dash_calls import call, route, texts

from dashboard import ids


@pytest.fixture
def seeded(app, tenants):
    from dashboard_seed import seed_company

    from backend.tenancy import Principal, acting_as

    mine, other = tenants
    with app.app_context(), acting_as(Principal.system(mine.agency_id, "test")):
        mine.seed = seed_company(mine.company_a.id)
    goal = mine.seed["goal_ids"][1]
    mine.alerts = {
        "hidden": add_alert(app, mine.agency_id, mine.company_a.id, title="Reach goal went off track",
                            goal_id=goal, severity="critical"),
        "shown": add_alert(app, mine.agency_id, mine.company_a.id, kind="stale_data", visible_to_clients=True,
                           title="Facebook has gone quiet"),
        "sibling": add_alert(app, mine.agency_id, mine.company_b.id, kind="spike", visible_to_clients=True,
                             title="Negative mentions tripled"),
    }
    add_alert(app, other.agency_id, other.company_a.id, visible_to_clients=True, title="Another agency's alert")
    return mine, other


def _find(tree, component_id):
    """The component with this id in a layout tree (as JSON), or None."""
    if isinstance(tree, dict):
        props = tree.get("props", {})
        if props.get("id") == component_id:
            return tree
        for value in props.values():
            found = _find(value, component_id)
            if found is not None:
                return found
    elif isinstance(tree, list):
        for value in tree:
            found = _find(value, component_id)
            if found is not None:
                return found
    return None


def test_the_bell_counts_the_persons_unread_alerts(login_as, seeded):
    mine, _ = seeded
    owner = login_as(mine, "owner")
    bell = _find(route(owner, f"/dashboard/company/{mine.company_a.id}"), "rb-bell")
    assert bell["props"]["data-unread"] == "3" and bell["props"]["href"] == "/alerts"
    owner.post(f"/api/v1/alerts/{mine.alerts['hidden']}/read")
    bell = _find(route(owner, "/dashboard/"), "rb-bell")
    assert bell["props"]["data-unread"] == "2"
    # A client viewer: their company's alerts meant for clients only.
    viewer = login_as(mine, "viewer")
    bell = _find(route(viewer, f"/dashboard/company/{mine.company_a.id}"), "rb-bell")
    assert bell["props"]["data-unread"] == "1"


def test_the_company_page_lists_its_open_alerts_beside_the_goal_bars(login_as, seeded):
    mine, _ = seeded
    owner = login_as(mine, "owner")
    page = route(owner, f"/dashboard/company/{mine.company_a.id}")
    panel = texts(_find(page, "rb-company-alerts"))
    assert "Reach goal went off track" in panel and "Facebook has gone quiet" in panel
    assert "Negative mentions tripled" not in panel and "Another agency" not in panel
    assert "All alerts" in panel and "more)" not in panel  # all of them are shown
    # Worst first; the goal's alert opens the company page with that goal chosen.
    assert panel.index("Reach goal went off track") < panel.index("Facebook has gone quiet")
    goal = mine.seed["goal_ids"][1]
    assert f"/dashboard/company/{mine.company_a.id}?goal={goal}" in panel
    owner.post(f"/api/v1/alerts/{mine.alerts['shown']}/read")
    panel = texts(_find(route(owner, f"/dashboard/company/{mine.company_a.id}"), "rb-company-alerts"))
    assert "Facebook has gone quiet" not in panel  # read: no longer open
    viewer_panel = texts(_find(route(login_as(mine, "viewer"), f"/dashboard/company/{mine.company_a.id}"),
                               "rb-company-alerts"))
    assert "Facebook has gone quiet" in viewer_panel and "Reach goal went off track" not in viewer_panel


def test_an_alerts_link_chooses_its_goal(login_as, seeded):
    mine, _ = seeded
    owner = login_as(mine, "owner")
    first, second = mine.seed["goal_ids"]
    for goal in (first, second):
        page = route(owner, f"/dashboard/company/{mine.company_a.id}", f"?goal={goal}")
        assert _find(page, ids.GOAL_SELECT)["props"]["value"] == goal
    # Not one of the company's goals: the page chooses as it always does.
    default = _find(route(owner, f"/dashboard/company/{mine.company_a.id}"), ids.GOAL_SELECT)["props"]["value"]
    page = route(owner, f"/dashboard/company/{mine.company_a.id}", "?goal=junk")
    assert _find(page, ids.GOAL_SELECT)["props"]["value"] == default


def _portfolio(client, attention=None):
    inputs = {f"{ids.PORTFOLIO_PRESET}.value": "30d"}
    if attention is not None:
        inputs[f"{ids.PORTFOLIO_ATTENTION}.value"] = attention
    return call(client, "rb-portfolio-grid.rowData", inputs)[ids.PORTFOLIO_GRID]["rowData"]


def test_the_portfolio_counts_open_alerts_and_filters_companies_needing_attention(app, login_as, seeded):
    import datetime as dt

    from backend.services import channels, metrics
    from backend.tenancy import Principal, acting_as

    mine, _ = seeded
    member = login_as(mine, "member")
    assert ids.PORTFOLIO_ATTENTION in texts(route(member, "/dashboard/"))
    rows = {r["name"]: r for r in _portfolio(member)}
    assert rows[mine.company_a.name]["open_alerts"] == 2 and rows[mine.company_b.name]["open_alerts"] == 1
    # Company B gets fresh data and has no goals: its open alert alone makes it need attention.
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    with app.app_context(), acting_as(Principal.system(mine.agency_id, "test")):
        channels.create_channel(mine.company_b.id, {"key": "fb", "platform": "facebook", "name": "Facebook"})
        metrics.push_points(mine.company_b.id, [{"channel": "fb", "metric": "followers",
                                                 "date": yesterday.isoformat(), "value": 10}])
    b = {r["name"]: r for r in _portfolio(member)}[mine.company_b.name]
    assert (b["stale"], b["open_alerts"], b["needs_attention"]) == (False, 1, True)
    attention = {r["name"] for r in _portfolio(member, attention=True)}
    assert mine.company_b.name in attention
    # Read, the alert is no longer open: B drops out of the filter, A (two open alerts) stays.
    member.post("/api/v1/alerts/read", json={"company_id": str(mine.company_b.id)})
    b = {r["name"]: r for r in _portfolio(member, attention=False)}[mine.company_b.name]
    assert (b["open_alerts"], b["needs_attention"]) == (0, False)
    assert {r["name"] for r in _portfolio(member, attention=True)} == {mine.company_a.name}
    # Another person has not read it: their column still counts it.
    assert {r["name"]: r for r in _portfolio(login_as(mine, "owner"))}[mine.company_b.name]["open_alerts"] == 1
