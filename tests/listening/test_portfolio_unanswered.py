"""The portfolio's *Unanswered* column: per company, its mentions not yet answered (whatever the
period), a link to the company's Listening page; another agency's mentions never counted."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from dash_calls import call

from dashboard import ids
from listening.rollup_world import add_channels, insert, new_mention

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def world(app, tenants):
    mine, other = tenants
    ch, other_ch = add_channels(app, mine), add_channels(app, other)
    long_ago = dt.datetime(2022, 5, 1, 12)  # outside any period: the inbox counts anyway
    insert(app, mine, [new_mention(mine.company_a.id, ch["fb"], long_ago),
                       new_mention(mine.company_a.id, ch["fb"], dt.datetime(2024, 1, 2)),
                       new_mention(mine.company_a.id, ch["ig"], dt.datetime(2024, 1, 3)),
                       new_mention(mine.company_a.id, ch["ig"], dt.datetime(2024, 1, 4),
                                   answered_at=dt.datetime(2024, 1, 4, 1))])
    insert(app, other, [new_mention(other.company_a.id, other_ch["fb"], dt.datetime(2024, 1, 2)) for _ in range(5)])
    return mine, other


def test_the_read_model_counts_unanswered_mentions_per_company(app, world):
    from backend import read_models as rm
    from backend.tenancy import Principal, acting_as

    mine, other = world
    with app.app_context(), acting_as(Principal.system(mine.agency_id, "test")):
        rows = {r["company_id"]: r for r in rm.portfolio_page("30d").rows}
    assert rows[mine.company_a.id]["unanswered"] == 3
    assert rows[mine.company_b.id]["unanswered"] == 0
    assert other.company_a.id not in rows
    with app.app_context(), acting_as(Principal.system(other.agency_id, "test")):
        rows = {r["company_id"]: r for r in rm.portfolio_page("30d").rows}
    assert rows[other.company_a.id]["unanswered"] == 5


def test_the_grid_shows_the_column_with_a_link_to_the_listening_page(app, world, login_as):
    from dashboard.pages import portfolio

    mine, _ = world
    rows = call(login_as(mine, "member"), "rb-portfolio-grid.rowData", {f"{ids.PORTFOLIO_PRESET}.value": "30d"}
                )[ids.PORTFOLIO_GRID]["rowData"]
    by_name = {r["name"]: r for r in rows}
    a = by_name[mine.company_a.name]
    assert a["unanswered"] == 3
    assert a["listening_url"] == f"/dashboard/company/{mine.company_a.id}/listening"
    assert by_name[mine.company_b.name]["unanswered"] == 0
    column = next(c for c in portfolio.column_defs() if c.get("field") == "unanswered")
    assert column["headerName"].replace("\u00ad", "") == "Unanswered"  # (soft hyphens for a narrow header)
    assert column["cellRenderer"] == "RbUnanswered"
    assert column["type"] == "numericColumn"  # sorted as a number
    # The renderer draws the count as a link to listening_url; a click on the cell opens that page.
    renderers = (ROOT / "dashboard/assets/dashAgGridComponentFunctions.js").read_text()
    assert "dagcomponentfuncs.RbUnanswered" in renderers and "props.data.listening_url" in renderers
    clicks = (ROOT / "dashboard/assets/dashboard_url.js").read_text()
    assert 'cell.colId === "unanswered" ? page + "/listening"' in clicks


def test_answering_shrinks_the_count(app, world):
    from sqlalchemy import update

    from backend import read_models as rm
    from backend.extensions import db
    from backend.models import Mention
    from backend.tenancy import Principal, acting_as

    mine, _ = world
    with app.app_context(), acting_as(Principal.system(mine.agency_id, "test")):
        db.session.execute(update(Mention).where(Mention.company_id == mine.company_a.id)
                           .values(answered_at=dt.datetime(2024, 2, 1)))
        db.session.commit()
        rows = {r["company_id"]: r for r in rm.portfolio_page("30d").rows}
    assert rows[mine.company_a.id]["unanswered"] == 0
