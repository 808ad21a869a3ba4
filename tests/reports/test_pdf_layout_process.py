"""The job consumer lays PDFs out in a child process (backend/reporting/layout_process.py):
WeasyPrint's layout holds the interpreter's lock for seconds, and in the consumer's own process no
other job started meanwhile (issue 19's soak: webhook deliveries waited out every PDF). The child
serves one PDF after another, is ended by the consumer's shutdown, and a child that dies fails
only the PDF it was laying out: the next one gets a new child."""
from __future__ import annotations

import os
import signal
import time

import pytest

pytest.importorskip("weasyprint")

pytestmark = pytest.mark.no_db


@pytest.fixture
def layout_child():
    from backend.reporting import layout_process, pdf

    pdf.use_layout_process()
    yield layout_process
    pdf.use_layout_process(False)
    layout_process.stop()


def test_the_consumer_lays_pdfs_out_in_one_child_process_it_keeps(layout_child):
    from backend.reporting.pdf import html_to_pdf

    first, pages = html_to_pdf("<h1>Följare</h1><p>12 345,6 — zażółć</p>")
    children = layout_child.child_pids()
    assert first.startswith(b"%PDF") and pages == 1
    assert len(children) == 1 and children[0] != os.getpid()
    second, _ = html_to_pdf("<p>Räckvidd</p>" * 200)
    assert second.startswith(b"%PDF") and layout_child.child_pids() == children  # the same child
    layout_child.stop()
    assert layout_child.child_pids() == []


def test_a_child_that_dies_fails_its_pdf_and_the_next_one_gets_a_new_child(layout_child):
    from backend.reporting.pdf import html_to_pdf

    html_to_pdf("<p>one</p>")
    (child,) = layout_child.child_pids()
    os.kill(child, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the pool notices its child is gone
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    with pytest.raises(layout_child.LayoutFailed, match="died"):
        html_to_pdf("<p>two</p>")
    pdf, pages = html_to_pdf("<p>three</p>")
    assert pdf.startswith(b"%PDF") and pages == 1 and layout_child.child_pids() not in ([], [child])


def test_without_the_consumer_the_layout_stays_in_the_calling_process():
    from backend.reporting import layout_process
    from backend.reporting.pdf import html_to_pdf

    assert not layout_process.enabled()
    pdf, _ = html_to_pdf("<p>inline</p>")
    assert pdf.startswith(b"%PDF") and layout_process.child_pids() == []


def test_the_consumers_shutdown_ends_the_child_at_once_even_mid_layout(layout_child):
    """On SIGTERM a job still running must not go on after the consumer has stopped (its e-mail
    would go out): the shutdown kills the child instead of waiting for the layout under way."""
    import threading

    from backend.reporting import pdf

    pdf.html_to_pdf("<p>warm</p>")
    (child,) = layout_child.child_pids()
    failed: list[BaseException] = []

    def long_layout():
        try:
            pdf.html_to_pdf("<p>" + "Följare 12 345,6 — zażółć. " * 20000 + "</p>")
        except BaseException as err:  # noqa: BLE001 - what the job would see
            failed.append(err)

    thread = threading.Thread(target=long_layout)
    thread.start()
    time.sleep(0.5)  # the layout is under way in the child
    started = time.monotonic()
    assert pdf.shutdown(timeout=10)
    assert time.monotonic() - started < 5 and layout_child.child_pids() == []
    thread.join(timeout=30)
    assert not thread.is_alive() and failed and isinstance(failed[0], layout_child.LayoutFailed)
    try:
        os.kill(child, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive
