"""``make bench`` end to end on tiny data (seconds), so the benchmark cannot rot unnoticed.

It starts gunicorn on a scratch database (SQLite, or PostgreSQL on the PostgreSQL pass), pushes
through the real API, reads back, and checks that every figure was measured and that the API
answered exactly what the benchmark's hand-written SQL computes. No timing is asserted.
"""
from __future__ import annotations

import json
import os

import pytest

from bench.config import Sizes
from bench.progress import Progress
from bench.report import table
from bench.run import run

pytestmark = pytest.mark.slow

FIGURES = {
    "ingest_fresh", "ingest_repush", "read_empty", "summary_empty", "read_crowded", "summary_crowded",
    "read_crowded_vs_empty", "summary_crowded_vs_empty", "dashboard", "dashboard_callback", "search",
}


def test_bench_measures_every_figure_and_the_api_matches_raw_sql(tmp_path):
    kind = "postgresql" if os.environ.get("REACHBOARD_TEST_DB") == "postgres" else "sqlite"
    sizes = Sizes.smoke()
    report = run(sizes, [kind], os.environ.get("TEST_POSTGRES_URL"), Progress(quiet=True), tmp_path)
    result = report["databases"][kind]

    assert result["errors"] == [], result["errors"]
    figures = {f["id"]: f for f in result["figures"]}
    assert set(figures) == FIGURES
    for f in figures.values():
        assert f["value"] is not None and f["pass"] in (True, False), f

    # Every point pushed was acknowledged as created, then as unchanged on the re-push.
    ingest = result["ingest"]
    assert ingest["points"] == sizes.main_points
    assert ingest["fresh"]["counts"]["created"] == sizes.main_points
    assert ingest["repush"]["counts"]["unchanged"] == sizes.main_points

    # The API's weekly series and summary equal the hand-written SQL's, alone and among others.
    for phase in ("query_empty", "query_crowded"):
        for op in ("read", "summary"):
            assert result[phase][op]["agrees_with_sql"], result[phase][op].get("differences")

    # The report is JSON and the table names every figure.
    json.dumps(report, default=str)
    text = table(report)
    for f in figures.values():
        assert f["label"] in text
