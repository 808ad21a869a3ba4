"""A report as HTML, in three modes:

- ``screen``: a page body for /manage and the company's viewers (the caller's page wraps it);
  charts drawn in the browser by the app's own Plotly build from JSON data blocks and one static
  script (backend/reporting/charts.py) — no inline script, so the strict CSP holds;
- ``share``: the same for the public share page: no link into the app, no API, no callback, the
  logo inline, no draft banner;
- ``pdf``: a whole document for WeasyPrint, its CSS inline and its charts as SVG images.
"""
from __future__ import annotations

import base64
import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from flask import url_for
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from ..read_models import report_listening, report_text
from ..read_models.report import ReportView, report_view
from . import charts as rc

MODES = ("screen", "share", "pdf")
HERE = Path(__file__).resolve().parent
STATIC = HERE.parent / "static"
# Lower is better for these: a fall is good news (green), a rise bad (red).
LOWER_IS_BETTER = {"cost_per_1k_reach", "spend"}


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(default=True),
                       undefined=StrictUndefined, trim_blocks=False, lstrip_blocks=False)


def _percent_text(percent: float | None) -> str:
    return "–" if percent is None else f"{percent:.0f} %"


def _forecast_text(goal) -> str:
    if goal.status in ("achieved", "missed", "not_started", None):
        return "–"
    return report_text.day_text(goal.forecast_date) if goal.forecast_date else "not at the current pace"


def _change_class(percent: float | None, metric: str) -> str:
    if percent is None or abs(percent) < 0.05:
        return "rb-flat"
    good = (percent > 0) != (metric in LOWER_IS_BETTER)
    return "rb-up" if good else "rb-down"


def _plain(text: str) -> str:
    """Strategy text written in Markdown, read as plain text (emphasis marks dropped)."""
    return re.sub(r"(\*\*|__|\*|_)(\S.*?\S|\S)\1", r"\2", text or "")


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


HELPERS = SimpleNamespace(
    value_text=report_text.value_text, change_text=report_text.change_text, day_text=report_text.day_text,
    date_range=report_text.date_range, percent_text=_percent_text, forecast_text=_forecast_text,
    change_class=_change_class, plain=_plain, as_date=_as_date, minutes_text=report_listening.minutes_text,
    listening_sentence=report_listening.section_sentence)


def paragraphs(text: str) -> list[str]:
    """The commentary's paragraphs (separated by blank lines), each on one line."""
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text or "") if p.strip()]


def css_text() -> str:
    return (STATIC / "report.css").read_text(encoding="utf-8")


def svg_image(svg: str) -> Markup:
    """An SVG chart as an image for WeasyPrint (drawn as vectors; text stays text)."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Markup(f'<img class="rb-svg" alt="" src="data:image/svg+xml;base64,{data}">')


def render_report_html(report, *, mode: str) -> str:
    """The report as HTML in ``mode`` ("screen", "share" or "pdf"; see the module docstring).
    ``pdf`` exports the charts with kaleido, so it needs Chromium (``pdf.pdf_status``)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    view = report_view(report)
    if mode == "pdf":
        return render_pdf_html(view)
    return render_view_html(view, mode=mode)


def render_pdf_html(view: ReportView) -> str:
    """The PDF's HTML of a report view: the charts exported to SVG with kaleido (seconds), then the
    layout. Reads nothing from the database: the PDF job builds the view in a short read
    transaction and calls this after it has ended."""
    from .pdf import chart_svgs

    return render_view_html(view, mode="pdf", svgs=chart_svgs(rc.report_charts(view)))


def render_view_html(view: ReportView, *, mode: str, svgs: dict[str, str] | None = None) -> str:
    """Lay out a report view (the charts' SVG by chart id in ``pdf`` mode)."""
    charts = rc.report_charts(view)
    if mode == "pdf":
        found = svgs or {}

        def draw(chart: rc.Chart) -> Markup:
            svg = found.get(chart.id)
            return svg_image(svg) if svg else Markup('<p class="rb-empty">(chart not available)</p>')
        css_url, scripts = "", Markup("")
    else:
        def draw(chart: rc.Chart) -> Markup:
            return rc.chart_block(chart)
        css_url, scripts = url_for("static", filename="report.css"), rc.chart_scripts()
    return _env().get_template("report.html").render(
        view=view, mode=mode, charts=charts, draw=draw, t=HELPERS, commentary=paragraphs(view.commentary),
        css=Markup(css_text()) if mode == "pdf" else "",  # our own file
        css_url=css_url, scripts=scripts)
