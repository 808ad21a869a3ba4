"""The PDF layout takes its WeasyPrint font configuration from a pool (backend/reporting/pdf.py):
a new one per document loaded Fontconfig's fonts again each time and grew the consumer's memory
by about 0.25 MiB per PDF for good (issue 19's soak). Two layouts at once never share one (pango's
font maps are not thread-safe), the pool is emptied on request and at exit, and a report adds no
fonts to a kept configuration (no ``@font-face``)."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest

weasyprint = pytest.importorskip("weasyprint")


@pytest.fixture
def seen(monkeypatch):
    """The font configuration each layout was given, in order, with its thread."""
    from weasyprint import HTML

    from backend.reporting import pdf

    pdf.release_fonts()
    out: list[tuple[str, object]] = []
    render = HTML.render
    hold = {"barrier": None}

    def spy(self, font_config=None, *args, **kwargs):
        out.append((threading.current_thread().name, font_config))
        if hold["barrier"] is not None:
            hold["barrier"].wait(timeout=30)  # both layouts are under way at once
        return render(self, font_config, *args, **kwargs)

    monkeypatch.setattr(HTML, "render", spy)
    yield out, hold
    pdf.release_fonts()


def test_every_pdf_one_after_another_is_laid_out_with_one_kept_font_configuration(seen):
    from backend.reporting.pdf import html_to_pdf

    out, _ = seen
    pdfs = [html_to_pdf(f"<p>Report {i}: Följare 12 345,6 — zażółć</p>") for i in range(3)]
    later: list[tuple[bytes, int]] = []
    thread = threading.Thread(target=lambda: later.append(html_to_pdf("<p>Another worker</p>")), name="worker-2")
    thread.start()
    thread.join()
    assert all(pdf.startswith(b"%PDF") and pages == 1 for pdf, pages in pdfs + later)
    configs = [config for _, config in out]
    assert len(configs) == 4 and configs[0] is not None and all(config is configs[0] for config in configs)


def test_two_pdfs_laid_out_at_once_never_share_a_configuration_and_both_are_kept(seen):
    from backend.reporting import pdf

    out, hold = seen
    hold["barrier"] = threading.Barrier(2)
    made: list[tuple[bytes, int]] = []
    threads = [threading.Thread(target=lambda n=n: made.append(pdf.html_to_pdf(f"<p>Worker {n}</p>")),
                                name=f"worker-{n}") for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(made) == 2 and all(data.startswith(b"%PDF") for data, _ in made)
    first, second = (config for _, config in out)
    assert first is not None and second is not None and first is not second
    assert pdf.release_fonts() == 2 and pdf.release_fonts() == 0


def test_a_report_declares_no_font_face_so_nothing_is_added_to_a_kept_configuration():
    import backend.reporting
    from backend.reporting.html import css_text

    templates = Path(backend.reporting.__file__).parent / "templates"
    sources = [css_text()] + [path.read_text() for path in templates.rglob("*.html")]
    assert sources[1:] and not [text for text in sources if "@font-face" in text]
