"""The browser benchmark's arithmetic (bench/browser_bench.py): medians over rounds, verdicts
against the issue's targets, the table. The browser run itself is ``make bench``'s (a minute of
Chromium on an emulated link is too slow for the suite)."""
from __future__ import annotations

from bench import browser_bench as bb


def _round(portfolio_s, cold_s, cold_bytes, warm_s=0.4, warm_bytes=20_000):
    step = lambda s, b: {"seconds": s, "bytes": b, "requests": 10, "largest": []}  # noqa: E731
    return {"portfolio": step(portfolio_s, 800_000), "company_cold": step(cold_s, cold_bytes),
            "company_warm": step(warm_s, warm_bytes), "control_change": step(0.2, 4_000)}


def test_medians_and_verdicts():
    rounds = [_round(1.5, 2.0, 1_400_000), _round(2.5, 3.0, 1_600_000), _round(1.9, 2.4, 1_450_000)]
    steps = bb.summarise(rounds)
    assert steps["portfolio"]["seconds"] == 1.9 and steps["portfolio"]["pass"] is True
    assert steps["portfolio"]["seconds_all"] == [1.5, 2.5, 1.9]
    assert steps["company_cold"]["seconds"] == 2.4 and steps["company_cold"]["bytes"] == 1_450_000
    assert steps["company_cold"]["pass"] is True
    assert steps["control_change"]["pass"] is None  # reported, no target


def test_a_step_fails_on_time_or_on_bytes():
    too_slow = bb.summarise([_round(2.1, 1.0, 500_000)])
    assert too_slow["portfolio"]["pass"] is False and too_slow["company_cold"]["pass"] is True
    too_heavy = bb.summarise([_round(1.0, 1.0, 1_600_000, warm_bytes=160_000)])
    assert too_heavy["company_cold"]["pass"] is False and too_heavy["company_warm"]["pass"] is False


def test_the_table_names_every_step_and_its_target():
    text = bb.table({"steps": bb.summarise([_round(1.5, 2.6, 1_400_000)])})
    assert "login → portfolio grid drawn" in text and "1.50 s" in text
    assert "control change → charts redrawn" in text
    cold = next(line for line in text.splitlines() if "cold cache" in line)
    assert "≤ 2.5 s, ≤ 1,500 KB" in cold and cold.rstrip().endswith("FAIL")
