"""The PDF layout keeps one WeasyPrint font configuration per thread (backend/reporting/pdf.py):
a new one per document loaded Fontconfig's fonts again each time and grew the consumer's memory
by about 0.25 MiB per PDF for good (issue 19's soak). Worker threads do not share one (pango's
font maps are not thread-safe), and a report adds no fonts to it (no ``@font-face``)."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest

weasyprint = pytest.importorskip("weasyprint")


@pytest.fixture
def seen(monkeypatch):
    """The font configuration each layout was given, in order, with its thread."""
    from weasyprint import HTML

    out: list[tuple[str, object]] = []
    render = HTML.render

    def spy(self, font_config=None, *args, **kwargs):
        out.append((threading.current_thread().name, font_config))
        return render(self, font_config, *args, **kwargs)

    monkeypatch.setattr(HTML, "render", spy)
    return out


def test_a_thread_lays_out_every_pdf_with_one_font_configuration_and_another_thread_with_its_own(seen):
    from backend.reporting.pdf import html_to_pdf

    pdfs = [html_to_pdf(f"<p>Report {i}: Följare 12 345,6 — zażółć</p>") for i in range(3)]
    other: list[tuple[bytes, int]] = []
    thread = threading.Thread(target=lambda: other.append(html_to_pdf("<p>Another worker</p>")), name="worker-2")
    thread.start()
    thread.join()
    assert all(pdf.startswith(b"%PDF") and pages == 1 for pdf, pages in pdfs + other)
    mine = [config for name, config in seen if name != "worker-2"]
    theirs = [config for name, config in seen if name == "worker-2"]
    assert len(mine) == 3 and mine[0] is not None and all(config is mine[0] for config in mine)
    assert len(theirs) == 1 and theirs[0] is not None and theirs[0] is not mine[0]


def test_a_report_declares_no_font_face_so_nothing_is_added_to_the_kept_configuration():
    import backend.reporting
    from backend.reporting.html import css_text

    templates = Path(backend.reporting.__file__).parent / "templates"
    sources = [css_text()] + [path.read_text() for path in templates.rglob("*.html")]
    assert sources[1:] and not [text for text in sources if "@font-face" in text]
