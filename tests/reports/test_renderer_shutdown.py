"""The PDF renderer's browser at the consumer's exit (backend/reporting/pdf.py ``shutdown``): it
closes in time when the browser is alive, and answers False in time — instead of hanging the
process for ever in kaleido's exit hook — when the browser died first. Each case runs in a
process of its own, as the consumer does."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.no_db, pytest.mark.skipif(
    not shutil.which("chromium") and not os.environ.get("REACHBOARD_REQUIRE_BROWSER"), reason="needs chromium")]

SCRIPT = textwrap.dedent("""
    import os, signal, subprocess, sys, time
    import kaleido, plotly.graph_objects as go
    from backend.reporting import pdf
    pdf._start_kaleido()
    kaleido.calc_fig_sync(go.Figure(go.Scatter(y=[1, 2])), opts={"format": "svg"})
    if sys.argv[1] == "browser-died":
        for pid in subprocess.run(["pgrep", "-P", str(os.getpid())], capture_output=True, text=True).stdout.split():
            os.kill(int(pid), signal.SIGTERM)  # as a service stop signals its whole group
        time.sleep(0.5)
    started = time.monotonic()
    closed = pdf.shutdown(timeout=5)
    print("closed" if closed else "not-closed", round(time.monotonic() - started, 1), flush=True)
    if not closed:
        os._exit(0)  # what backend/worker.py does
""")


@pytest.mark.parametrize(("case", "expected"), [("alive", "closed"), ("browser-died", "not-closed")])
def test_the_renderer_stops_or_says_it_cannot_and_the_process_exits(case, expected):
    result = subprocess.run([sys.executable, "-c", SCRIPT, case], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    word, seconds = result.stdout.split()[-2:]
    assert word == expected, result.stdout
    assert float(seconds) <= 5.5
