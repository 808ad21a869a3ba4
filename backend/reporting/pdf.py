"""A report as PDF, rendered in the worker and stored on its row.

WeasyPrint 70 lays out the report's HTML (``mode="pdf"``); it runs no JavaScript, so each chart
arrives as SVG, exported by kaleido 1.5 from the same Plotly figure the screen draws. Kaleido
drives Debian's ``chromium`` (found on the PATH, or at ``BROWSER_PATH``): one kaleido server per
process, started with MathJax off and the plotly.js of the installed ``plotly`` package, so
nothing is fetched from the network (kaleido's Chrome-download helpers are never called).
WeasyPrint fetches nothing either: its URL fetcher accepts ``data:`` URLs only (the logo and the
charts are inline). Every PDF is laid out with a WeasyPrint font configuration taken from a small
pool and given back (:func:`_font_config`): a new one per document, WeasyPrint's default, loads
Fontconfig's fonts again each time, and the consumer's memory grew by about 0.25 MiB per PDF that
way and never gave it back (issue 19's soak). The pool holds as many as ever rendered at once (the
consumer's worker threads), each used by one thread at a time (pango's font maps are not
thread-safe), and is emptied before the interpreter tears its modules down (:func:`release_fonts`).

In the job consumer the layout runs in a process of its own (backend/reporting/layout_process.py):
it holds the interpreter's lock for seconds, and in the consumer's process no other job started
meanwhile.

Without Chromium (or kaleido, or WeasyPrint) :func:`pdf_status` says what is missing; the HTML
report works regardless. A report's PDF is made and stored by backend/reporting/documents.py.
"""
from __future__ import annotations

import atexit
import contextlib
import gc
import importlib.util
import logging
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import charts as rc
from . import layout_process

log = logging.getLogger("reachboard.reports")
PDF_WIDTH_PX = 700  # the charts' width in CSS pixels: the A4 text width at 96 dpi, roughly
_lock = threading.Lock()
_export_lock = threading.Lock()
_server: dict[str, Any] = {"started": False}
_fonts_lock = threading.Lock()
_font_pool: list[Any] = []  # the FontConfigurations no thread is using now
# Their INFO lines narrate every step of every rendering; warnings and errors still show.
QUIET_LOGGERS = ("weasyprint.progress", "kaleido", "choreographer", "logistro")


class PdfUnavailable(RuntimeError):
    """The PDF cannot be rendered on this machine (what is missing is the message)."""


def chromium_path() -> str | None:
    """Debian's chromium (or BROWSER_PATH, which kaleido reads too)."""
    named = os.environ.get("BROWSER_PATH")
    if named and Path(named).is_file():
        return named
    return shutil.which("chromium") or shutil.which("chromium-browser")


def pdf_status() -> tuple[bool, str]:
    """(True, "") when this machine can render a PDF, else (False, what is missing).

    The packages are looked up, not imported: gunicorn's workers ask this for every report they
    make or serve, and importing WeasyPrint and kaleido there cost each worker about 20 MiB it
    never used (the consumer renders; issue 19's soak saw the step in the workers' memory). A
    package that is there but broken (WeasyPrint without Pango) fails the rendering job instead,
    which records why on the report (``pdf_error``)."""
    missing = []
    for module, package in (("weasyprint", "weasyprint==70.0"), ("kaleido", "kaleido==1.5.0")):
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(f"the Python package {package} (pip install -r requirements.txt)")
    if chromium_path() is None:
        missing.append("Chromium, which draws the charts (Debian: apt-get install chromium)")
    if missing:
        return False, "The PDF needs " + " and ".join(missing) + "."
    return True, ""


def _quiet() -> None:
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def _start_kaleido() -> None:
    """Start this process's kaleido server once (MathJax off, the local plotly.js)."""
    with _lock:
        if _server["started"]:
            return
        import kaleido
        import plotly

        plotlyjs = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
        if not plotlyjs.is_file():
            raise PdfUnavailable(f"The plotly package has no plotly.min.js at {plotlyjs}.")
        _quiet()
        kaleido.start_sync_server(mathjax=False, plotlyjs=str(plotlyjs), path=chromium_path(),
                                  silence_warnings=True)
        _server["started"] = True


def _stop_kaleido() -> None:
    """Stop the server after an error (a crashed browser): the job's retry starts a fresh one."""
    import kaleido

    with _lock:
        try:
            kaleido.stop_sync_server(silence_warnings=True)
        except Exception:  # noqa: BLE001 - it may be half gone already
            log.warning("kaleido server did not stop cleanly", exc_info=True)
        _server["started"] = False


def shutdown(timeout: float = 10.0) -> bool:
    """Stop this process's PDF layout process, kaleido server and its browser before the process
    exits (the consumer calls it once its jobs have stopped). False when it did not stop within ``timeout``: kaleido
    waits forever for a browser that died first (killed with the service's process group, or
    crashed), and its own exit hook would then hang the process, so the caller leaves with
    ``os._exit``."""
    release_fonts()
    # At once, without waiting for a layout under way: a job still running must not go on (and,
    # say, send its e-mail) after SIGTERM; the queue gives it to the next consumer.
    layout_process.stop(wait=False)
    if not _server["started"]:
        return True
    done = threading.Event()

    def stop() -> None:
        _stop_kaleido()
        done.set()

    threading.Thread(target=stop, name="kaleido-stop", daemon=True).start()
    return done.wait(timeout)


def chart_svgs(charts: dict[str, rc.Chart]) -> dict[str, str]:
    """Each chart as SVG (by chart id)."""
    ok, why = pdf_status()
    if not ok:
        raise PdfUnavailable(why)
    if not charts:
        return {}
    import kaleido

    out = {}
    with _export_lock:  # one export at a time per process (the consumer's worker threads share the browser)
        _start_kaleido()
        try:
            for key, chart in charts.items():
                figure = rc.for_print(chart.figure)
                svg = kaleido.calc_fig_sync(figure, opts={"format": "svg", "width": PDF_WIDTH_PX,
                                                          "height": chart.height})
                out[chart.id] = svg.decode("utf-8") if isinstance(svg, bytes) else str(svg)
                log.debug("chart %s exported (%d bytes)", key, len(out[chart.id]))
        except Exception:
            _stop_kaleido()
            raise
    return out


def _fetcher():
    from weasyprint.urls import URLFetcher

    class InlineOnly(URLFetcher):
        """Fetch ``data:`` URLs only: a report's PDF never reaches the network or the disk."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols={"data"}, allow_redirects=False)

    return InlineOnly()


@contextlib.contextmanager
def _font_config() -> Iterator[Any]:
    """A WeasyPrint font configuration for this thread alone while it lays out and writes one PDF,
    then given back to the pool (see the module docstring). The reports declare no
    ``@font-face``, so nothing is ever added to a kept configuration."""
    with _fonts_lock:
        config = _font_pool.pop() if _font_pool else None
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = FontConfiguration()
    try:
        yield config
    finally:
        with _fonts_lock:
            _font_pool.append(config)


@atexit.register
def release_fonts() -> int:
    """Free the pooled font configurations now; how many there were. Registered to run at exit:
    freed later, while the interpreter clears modules, a configuration's finaliser could call
    into a GObject library whose cffi handle was already gone (a segfault after the test run's
    last test is what that looked like once)."""
    with _fonts_lock:
        released = len(_font_pool)
        _font_pool.clear()
    gc.collect()
    return released


def html_to_pdf(html: str) -> tuple[bytes, int]:
    """The PDF of a document (mode "pdf") and its number of pages: laid out in the layout process
    when the consumer turned it on (:func:`use_layout_process`), else in this one."""
    if layout_process.enabled():
        return layout_process.run(lay_out, html)
    return lay_out(html)


def use_layout_process(on: bool = True) -> None:
    """Lay every PDF out in a child process from now on (backend/worker.py at start)."""
    layout_process.enable(on)


def lay_out(html: str) -> tuple[bytes, int]:
    """Lay a document out and write its PDF in this process; its number of pages."""
    from weasyprint import HTML

    _quiet()
    with _font_config() as fonts:
        document = HTML(string=html, base_url="data:,", url_fetcher=_fetcher()).render(font_config=fonts)
        pdf, pages = document.write_pdf(), len(document.pages)
        del document  # its fonts are freed while this thread still holds their configuration
    return pdf, pages
