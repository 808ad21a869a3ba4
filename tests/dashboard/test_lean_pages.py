"""Each dashboard page's HTML loads only the scripts that page draws with (dashboard/bundles.py):
the grid's bundle on the portfolio only, the partial Plotly bundle on the company page only, and
preloads for the chunks each page asks for once it renders."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from dash_calls import route

from dashboard import bundles

SCRIPT = re.compile(r'<script src="([^"]+)"')
PRELOAD = re.compile(r'<link rel="preload" as="script" href="([^"]+)"')
FETCH_PRELOAD = re.compile(r'<link rel="preload" as="fetch" crossorigin="anonymous" href="([^"]+)"')


def _page(client, path):
    resp = client.get(path)
    assert resp.status_code == 200, path
    html = resp.get_data(as_text=True)
    return html, SCRIPT.findall(html), PRELOAD.findall(html)


def _unused(scripts):
    return [s for s in scripts if "dash_table" in s]


def _grid(scripts):
    return [s for s in scripts if "dash_ag_grid" in s or "dashAgGrid" in s]


def test_the_portfolio_loads_the_grid_and_no_plotly(login_as, tenant):
    client = login_as(tenant, "owner")
    _, scripts, preloads = _page(client, "/dashboard/")
    assert len(_grid(scripts)) == 3  # the bundle and the two files of cell renderers and functions
    assert _unused(scripts) == []
    assert not [s for s in scripts if "plotly" in s]
    assert any(p.endswith("dash_ag_grid/async-community.js") for p in preloads)
    html = client.get("/dashboard/").get_data(as_text=True)
    assert FETCH_PRELOAD.findall(html) == ["/dashboard/_dash-layout", "/dashboard/_dash-dependencies"]
    for url in scripts + preloads:
        assert client.get(url).status_code == 200, url


def test_the_company_page_loads_the_partial_plotly_bundle_and_no_grid(login_as, tenant):
    client = login_as(tenant, "owner")
    html, scripts, preloads = _page(client, f"/dashboard/company/{tenant.company_a.id}")
    assert _grid(scripts) == [] and _unused(scripts) == []
    plotly = [s for s in scripts if "plotly" in s]
    assert len(plotly) == 1 and bundles.PLOTLY_ASSET in plotly[0]
    # After the component libraries, before Dash's inline set-up and the renderer starts.
    assert scripts.index(plotly[0]) > max(i for i, s in enumerate(scripts) if "dash_core_components" in s)
    assert html.index(plotly[0]) < html.index('id="_dash-renderer"')
    assert {p.rsplit("/", 1)[-1] for p in preloads} == {"async-graph.js", "async-dropdown.js",
                                                        "async-datepicker.js"}
    body = client.get(plotly[0])
    assert body.status_code == 200 and b"plotly.js (basic - minified) v4.1.1" in body.data[:200]
    for url in scripts + preloads:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("page", ["strategy", "unknown"])
def test_the_strategy_and_other_pages_load_neither(login_as, tenant, page):
    client = login_as(tenant, "owner")
    path = f"/dashboard/company/{tenant.company_a.id}/strategy" if page == "strategy" else "/dashboard/nowhere"
    _, scripts, preloads = _page(client, path)
    assert _grid(scripts) == [] and not [s for s in scripts if "plotly" in s]
    assert [p.rsplit("/", 1)[-1] for p in preloads] == (["async-markdown.js"] if page == "strategy" else [])
    assert any("dash_renderer" in s for s in scripts)


def test_the_partial_bundle_has_every_trace_type_the_charts_draw(login_as, tenant, app):
    from dashboard_seed import seed_company

    from backend.tenancy import Principal, acting_as

    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        seed_company(tenant.company_a.id)
    page = route(login_as(tenant, "owner"), f"/dashboard/company/{tenant.company_a.id}")
    types: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            figure = node.get("figure")
            if isinstance(figure, dict):
                types.update(trace.get("type", "scatter") for trace in figure.get("data", []))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(page)
    assert {"scatter", "bar"} <= types  # the page drew its charts
    assert types <= bundles.PLOTLY_TRACES
    # PLOTLY_TRACES is what the vendored bundle registers.
    bundle = (Path(bundles.__file__).parent / "assets" / bundles.PLOTLY_ASSET).read_text()
    assert set(re.findall(r'moduleType:"trace",name:"(\w+)"', bundle)) == bundles.PLOTLY_TRACES


def test_page_kinds():
    base = "/dashboard/"
    assert bundles.page_kind("/dashboard/", base) == bundles.PORTFOLIO
    assert bundles.page_kind("/dashboard/company/abc", base) == bundles.COMPANY
    assert bundles.page_kind("/dashboard/company/abc/", base) == bundles.COMPANY
    assert bundles.page_kind("/dashboard/company/abc/strategy", base) == bundles.STRATEGY
    assert bundles.page_kind("/dashboard/company/abc/other", base) == bundles.PLAIN
    assert bundles.page_kind("/dashboard/anything", base) == bundles.PLAIN


@pytest.mark.parametrize("path", ["dash_ag_grid/nothing.js", "no_such_library/x.js"])
def test_an_unknown_component_file_is_a_404(login_as, tenant, path):
    resp = login_as(tenant, "owner").get(f"/dashboard/_dash-component-suites/{path}")
    assert resp.status_code == 404
    assert "no such dashboard file" in resp.get_data(as_text=True)


def test_the_vendored_partial_bundle_is_the_plotly_js_the_python_package_bundles():
    """A plotly upgrade brings a newer plotly.js: the partial build must follow (npm
    plotly.js-basic-dist-min of that version into dashboard/assets/vendor/, PLOTLY_ASSET renamed)."""
    from plotly.offline import get_plotlyjs_version

    head = (Path(bundles.__file__).parent / "assets" / bundles.PLOTLY_ASSET).read_text()[:200]
    version = get_plotlyjs_version()
    assert f"plotly.js (basic - minified) v{version}" in head
    assert bundles.PLOTLY_ASSET == f"vendor/plotly-basic-{version}.min.js"
