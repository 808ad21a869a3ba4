"""Figures (value, baseline, ratio, target, pass/fail) from the raw results, and the table."""
from __future__ import annotations

from typing import overload

from .config import TARGETS
from .search_bench import figure as search_figure


def _get(d: dict | None, *path):
    for key in path:
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return d


@overload
def _ms(p50: float | None, p95: None) -> None: ...
@overload
def _ms(p50: float | None, p95: float) -> str: ...
def _ms(p50: float | None, p95: float | None) -> str | None:
    return None if p95 is None else f"{p50:.1f} / {p95:.1f} ms"


def figures(result: dict, others: int = 1000) -> list[dict]:
    """The figures of one database's run; a figure that could not be measured has ``pass: None``
    and says why in ``note``."""
    out = []
    ingest = result.get("ingest") or {}
    for key, label, target in (("fresh", "ingest, fresh points", TARGETS["ingest_fresh"]),
                               ("repush", "ingest, re-push", TARGETS["ingest_repush"])):
        value, base = _get(ingest, key, "points_per_s"), _get(ingest, "raw", "points_per_s")
        ratio = value / base if value and base else None
        out.append({
            "id": f"ingest_{key}", "label": label, "unit": "points/s",
            "value": value, "baseline": base, "ratio": ratio,
            "value_text": f"{value:,.0f} pts/s" if value else None,
            "baseline_text": f"{base:,.0f} pts/s (raw insert)" if base else None,
            "ratio_text": f"{ratio:.0%}" if ratio else None,
            "target": f"≥ {target:.0%} of raw", "pass": None if ratio is None else ratio >= target,
            "note": ingest.get("error"),
        })
    for phase, phase_label in (("query_empty", "alone"), ("query_crowded", f"among {others:,} others")):
        q = result.get(phase) or {}
        for op, op_label in (("read", "read p95"), ("summary", "summary p95")):
            api, raw = _get(q, op, "api") or {}, _get(q, op, "raw") or {}
            value, base = api.get("p95_ms"), raw.get("p95_ms")
            ratio = value / base if value and base else None
            base_text = _ms(raw.get("p50_ms"), base)
            out.append({
                "id": f"{op}_{phase.split('_')[1]}", "label": f"{op_label}, {phase_label}", "unit": "ms",
                "value": value, "baseline": base, "ratio": ratio,
                "value_text": _ms(api.get("p50_ms"), value),
                "baseline_text": base_text and base_text + " (SQL)",
                "ratio_text": f"{ratio:.2f}×" if ratio else None,
                "target": f"p95 ≤ {TARGETS['query_vs_raw']:.0f}× SQL",
                "pass": None if ratio is None else ratio <= TARGETS["query_vs_raw"],
                "note": q.get("error") or _get(q, op, "error"),
                "agrees_with_sql": _get(q, op, "agrees_with_sql"),
            })
    tol = TARGETS["crowded_vs_empty"]
    for op, op_label in (("read", "read p95"), ("summary", "summary p95")):
        value = _get(result, "query_crowded", op, "api", "p95_ms")
        base = _get(result, "query_empty", op, "api", "p95_ms")
        ratio = value / base if value and base else None
        out.append({
            "id": f"{op}_crowded_vs_empty", "label": f"{op_label}, crowded vs alone", "unit": "ms",
            "value": value, "baseline": base, "ratio": ratio,
            "value_text": f"{value:.1f} ms" if value else None,
            "baseline_text": f"{base:.1f} ms (alone)" if base else None,
            "ratio_text": f"{ratio:.2f}×" if ratio else None,
            "target": f"within ±{tol:.0%}",
            "pass": None if ratio is None else (1 - tol) <= ratio <= (1 + tol),
            "note": None,
        })
    dash = result.get("dashboard") or {}
    value = dash.get("p95_ms")
    out.append({
        "id": "dashboard", "label": "dashboard, opening the company page p95", "unit": "ms",
        "value": value, "baseline": None, "ratio": None,
        "value_text": _ms(dash.get("p50_ms"), value) if value is not None else None,
        "baseline_text": "—", "ratio_text": "—",
        "target": f"p95 ≤ {TARGETS['dashboard_p95_ms']:.0f} ms",
        "pass": None if value is None else value <= TARGETS["dashboard_p95_ms"],
        "note": dash.get("error"),
    })
    # Every callback of the page: opening it, changing a control, choosing another goal — the
    # slowest one's p95.
    callbacks: dict[str, float] = {name: dash[f"{name}_p95_ms"] for name in ("open", "controls", "goal_change")
                 if dash.get(f"{name}_p95_ms") is not None}
    if callbacks:
        slowest = max(callbacks, key=lambda name: callbacks[name])
        value = callbacks[slowest]
        out.append({
            "id": "dashboard_callback", "label": "dashboard, slowest callback p95", "unit": "ms",
            "value": value, "baseline": None, "ratio": None,
            "value_text": _ms(dash.get(f"{slowest}_p50_ms"), value) + f" ({slowest})",
            "baseline_text": "—", "ratio_text": "—",
            "target": f"p95 ≤ {TARGETS['dashboard_p95_ms']:.0f} ms",
            "pass": value <= TARGETS["dashboard_p95_ms"],
            "note": None,
        })
    out.append(search_figure(result, TARGETS["search_p95_ms"]))
    return out


def table(report: dict) -> str:
    """The plain-text table printed at the end of ``make bench``."""
    head = ("database", "figure", "value (p50 / p95)", "baseline", "ratio", "target", "result")
    lines = []
    for db_name, result in report["databases"].items():
        for f in result.get("figures", []):
            verdict = {True: "pass", False: "FAIL", None: "n/a"}[f["pass"]]
            if f["pass"] is None and f.get("note"):
                verdict = "error"
            if f.get("agrees_with_sql") is False:
                verdict += " (≠ SQL)"
            lines.append((db_name, f["label"], f["value_text"] or "—", f["baseline_text"] or "—",
                          f["ratio_text"] or "—", f["target"], verdict))
    widths = [max(len(str(r[i])) for r in [head, *lines]) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    rule = "  ".join("-" * w for w in widths)
    text = [fmt.format(*head), rule]
    previous = None
    for row in lines:
        if previous is not None and row[0] != previous:
            text.append(rule)
        previous = row[0]
        text.append(fmt.format(*row))
    notes = []
    for db_name, result in report["databases"].items():
        for f in result.get("figures", []):
            if f.get("note"):
                notes.append(f"[{db_name}] {f['label']}: {f['note']}")
        for section in ("query_empty", "query_crowded"):
            for op in ("read", "summary"):
                diffs = _get(result, section, op, "differences")
                if diffs:
                    notes.append(f"[{db_name}] {op} ({section}) differs from the SQL: " + "; ".join(diffs[:3]))
        for err in result.get("errors", []):
            notes.append(f"[{db_name}] {err}")
    if notes:
        text.append("")
        text.extend(notes)
    return "\n".join(text)
