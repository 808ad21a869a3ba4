"""Which scripts each dashboard page loads (issue 20: lean pages).

Every dashboard page is a full document load (the links between pages are plain links), so the
page's HTML can carry only the scripts that page draws with:

- the portfolio (``/dashboard/``) draws a grid: dash-ag-grid's bundle (1.3 MB before compression)
  and the grid's cell renderers from the assets; it draws no Plotly chart;
- the company page draws Plotly charts and no grid: it gets a partial Plotly bundle
  (``plotly-basic``: the scatter, bar and pie traces, 1.2 MB, where the full bundle is 4.8 MB) as an
  ordinary script, so that it downloads beside the other scripts. dcc.Graph uses ``window.Plotly``
  when it is there, and only otherwise fetches the full bundle, late, when the first chart mounts;
- the Listening page draws a map (a choropleth: plotly.js's geo module, which the partial bundle
  lacks) beside its bars: it gets no partial bundle, and dcc.Graph fetches the full one, served
  by the app like every component file, when the first chart mounts;
- the strategy page, the chooser and the "not found" page need neither;
- no page has a DataTable, whose loader Dash adds to every page: it is left out everywhere.

The charts use only ``scatter`` and ``bar`` traces (dashboard/figures.py); a test checks that every
trace type the figure builders produce is in the partial bundle.

The partial bundle is plotly.js's own build (npm ``plotly.js-basic-dist-min``, MIT, the version
the ``plotly`` Python package bundles), committed under dashboard/assets/vendor/ and left out of
Dash's automatic asset loading by ``ASSETS_PATH_IGNORE``.

Each page also preloads what dash-renderer asks for only once its scripts have run: the layout and
the callback graph (``_dash-layout``, ``_dash-dependencies``, fetched as dash-renderer fetches
them, so the browser hands the preloaded answers over), and the lazily loaded chunks of the
components the page renders (dcc's Graph, Dropdown, DatePicker, Markdown; the grid's community
code), so that they do not wait for the layout and the first callback.
"""
from __future__ import annotations

import re

GRID_SCRIPT = re.compile(r"dash_ag_grid|dashAgGrid")
UNUSED_SCRIPT = re.compile(r"/dash_table/")  # Dash adds DataTable's loader; no page has a DataTable
# dashboard/assets/ folders Dash must not add to every page: the vendored Plotly bundle.
ASSETS_PATH_IGNORE = [r"^vendor$"]
PLOTLY_ASSET = "vendor/plotly-basic-4.1.1.min.js"
# The partial bundle's trace types (plotly.js's lib/index-basic.js).
PLOTLY_TRACES = frozenset({"scatter", "bar", "pie"})

PORTFOLIO, COMPANY, STRATEGY, LISTENING, PLAIN = "portfolio", "company", "strategy", "listening", "plain"
# The lazily loaded chunks (component-suite paths) each kind of page asks for once it renders.
CHUNKS = {
    PORTFOLIO: ("dash_ag_grid/async-community.js", "dash/dcc/async-dropdown.js"),
    COMPANY: ("dash/dcc/async-graph.js", "dash/dcc/async-dropdown.js", "dash/dcc/async-datepicker.js"),
    STRATEGY: ("dash/dcc/async-markdown.js",),
    LISTENING: ("dash/dcc/async-graph.js", "dash/dcc/async-dropdown.js", "dash/dcc/async-datepicker.js"),
    PLAIN: (),
}
_COMPANY_PAGE = re.compile(r"^/company/[^/]+/?$")
_STRATEGY_PAGE = re.compile(r"^/company/[^/]+/strategy/?$")
_LISTENING_PAGE = re.compile(r"^/company/[^/]+/listening/?$")


def page_kind(path: str, base: str) -> str:
    """The kind of dashboard page a path shows. ``/dashboard/`` is the portfolio for staff; a
    client viewer of one company is redirected to it before the page is served, and a viewer of
    several sees the chooser there, which gets the grid's bundle it does not need — wrong in the
    cheap direction only."""
    rest = "/" + path[len(base):] if path.startswith(base) else path
    if rest.rstrip("/") == "":
        return PORTFOLIO
    if _COMPANY_PAGE.match(rest):
        return COMPANY
    if _STRATEGY_PAGE.match(rest):
        return STRATEGY
    if _LISTENING_PAGE.match(rest):
        return LISTENING
    return PLAIN


def select_scripts(scripts: str, kind: str, plotly_src: str) -> str:
    """Dash's ``{%scripts%}`` (one tag per line) for a page of ``kind``."""
    def unused(line: str) -> bool:
        return line.startswith("<script src=") and bool(
            UNUSED_SCRIPT.search(line) or (kind != PORTFOLIO and GRID_SCRIPT.search(line)))

    lines = [line for line in scripts.split("\n") if not unused(line)]
    if kind == COMPANY:
        # After the libraries, before the first inline <script>: it runs before dash-renderer
        # mounts anything, so window.Plotly is there for every chart.
        at = next((i for i, line in enumerate(lines) if line.startswith("<script>")), len(lines))
        lines.insert(at, f'<script src="{plotly_src}"></script>')
    return "\n".join(lines)


def preload_links(kind: str, suites_url: str) -> str:
    """``<link rel=preload>`` tags for the lazily loaded chunks a page of ``kind`` will ask for,
    at the URLs dash-renderer requests them (``suites_url`` + the component-suite path)."""
    links = [f'<link rel="preload" as="script" href="{suites_url}{chunk}">' for chunk in CHUNKS[kind]]
    base = suites_url.split("_dash-component-suites/")[0]
    links += [f'<link rel="preload" as="fetch" crossorigin="anonymous" href="{base}{name}">'
              for name in ("_dash-layout", "_dash-dependencies")]
    return "\n".join(links)
