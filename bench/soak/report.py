"""The soak's printed table and its chart (PNG, matplotlib) per database."""
from __future__ import annotations

from pathlib import Path

from .checkpoints import describe as describe_checkpoints
from .settings import KIND_LABELS, KINDS, MIB

NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _ms(v) -> str:
    return "—" if v is None else f"{v:.0f}"


def _verdict(ok) -> str:
    return {True: "pass", False: "FAIL", None: "n/a"}[ok]


def _rss_cell(p: dict) -> str:
    """A process's mean anonymous / total RSS, MiB."""
    return f"{p.get('rss_anon_mean_kb', 0) / 1024:.0f}/{p.get('rss_mean_kb', p['rss_kb']) / 1024:.0f}"


def interval_rows(result: dict) -> list[list[str]]:
    """One row per interval: each kind's req/s and p50/p99, errors, worker RSS, connections,
    database size and the WAL peak (SQLite) or dead tuples (PostgreSQL)."""
    rows = []
    resources = result["resources"][1:]  # [0] is the start
    for interval, res in zip(result["intervals"], resources, strict=False):
        cells = [f"{interval['t_end']}"]
        for kind in KINDS:
            k = interval["kinds"].get(kind)
            cells.append("—" if k is None else f"{k['rps']:.1f} · {_ms(k['p50_ms'])}/{_ms(k['p99_ms'])}")
        cells.append(str(sum(k["errors"] for k in interval["kinds"].values() if k)))
        workers = [p for p in res["processes"] if p["role"] == "worker"]
        cells.append(" ".join(_rss_cell(p) for p in workers))
        consumer = [p for p in res["processes"] if p["role"] == "consumer"]
        cells.append(" ".join(f"{_rss_cell(p)} +{p.get('renderer_rss_kb', 0) / 1024:.0f}" for p in consumer) or "—")
        cells.append(str(sum(p["fds"] for p in res["processes"])))
        cells.append(str(res.get("connections", "")))
        cells.append(f"{res['db_bytes'] / MIB:.1f}")
        if result["database"] == "sqlite":
            cells.append(f"{(res.get('wal_peak_bytes') or 0) / MIB:.1f}")
        else:
            t = res.get("tables", {}).get("metric_point", {})
            cells.append(f"{t.get('dead', 0):,}/{t.get('live', 0):,}")
        rows.append(cells)
    return rows


def _grid(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([fmt.format(*header), fmt.format(*["-" * w for w in widths])] + [fmt.format(*r) for r in rows])


def table(report: dict) -> str:
    out = []
    for kind, result in report["databases"].items():
        name = NAMES.get(kind, kind)
        if result["status"] != "ok":
            out.append(f"{name}: FAILED — {result.get('error')} (no figures)")
            continue
        out.append(f"{name} {result.get('server_version', '')}: {len(result['intervals'])} × 30 s, "
                   f"loops {result['loops']}, {result['errors']['retries']} retries")
        last = "WAL peak MiB" if kind == "sqlite" else "dead/live tuples"
        header = ["t s"] + [f"{KIND_LABELS[k].split(' (')[0]} /s · p50/p99 ms" for k in KINDS] + [
            "errors", "worker RSS MiB anon/all", "consumer RSS anon/all +renderer", "fds", "db conns", "db MiB", last]
        out.append(_grid(header, interval_rows(result)))
        check = result["check"]
        out.append(f"points: {check['acknowledged_keys']:,} keys acknowledged ({check['acknowledged_writes']:,} "
                   f"writes), {check['lost']} lost, {check['duplicated']} duplicated, {check['uncertain']} uncertain")
        if "webhooks" in result:
            w = result["webhooks"]
            out.append(f"webhooks: {w['made']:,} deliveries made, {w['delivered']:,} delivered, "
                       f"{w['distinct_received']:,} received ({w['received']:,} with repeats); by event {w['events']}")
        if "periodic_checkpoints" in result:
            out.append(describe_checkpoints(result["periodic_checkpoints"]))
        if "checkpoint" in result:
            out.append(f"final checkpoint: {result['checkpoint']['described']}")
        settings = result.get("server_settings") or {}
        if kind == "postgresql":
            out.append(f"autovacuum: {settings.get('autovacuum')}; metric_point: "
                       f"{', '.join(settings.get('metric_point_reloptions') or ['server defaults'])}")
        for message in result["errors"]["messages"]:
            out.append(f"  error: {message}")
        for message in result["errors"].get("retry_reasons", []):
            out.append(f"  retried: {message}")
        out.append(_grid(["target", "value", "limit", "result"],
                         [[t["label"], "—" if t["value"] is None else str(t["value"]), t["target"],
                           t["note"] if t["pass"] is None and t["note"] else
                           _verdict(t["pass"]) + (f" — {t['note']}" if t["note"] else "")]
                          for t in result["targets"]]))
        out.append("")
    return "\n".join(out).rstrip()


def write_charts(report: dict, output: Path) -> dict[str, str]:
    """One PNG per database beside the JSON report: throughput, p99, RSS, sizes, dead tuples."""
    out = {}
    for kind, result in report["databases"].items():
        if result["status"] != "ok":
            continue
        path = output.with_name(f"{output.stem}-{kind}.png")
        chart(result, report["generated_at"], path)
        out[kind] = str(path)
    return out


def chart(result: dict, generated_at: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(5, 1, figsize=(10, 15), sharex=True)
    x = [r["t_end"] / 60 for r in result["intervals"]]
    for kind in KINDS:
        rows = [r["kinds"].get(kind) for r in result["intervals"]]
        axes[0].plot(x, [r["rps"] if r else None for r in rows], marker="o", label=KIND_LABELS[kind])
        axes[1].plot(x, [r["p99_ms"] if r else None for r in rows], marker="o", label=KIND_LABELS[kind])
    axes[0].set_ylabel("requests/s")
    axes[0].set_title("throughput per kind (per 30 s)")
    axes[1].set_ylabel("ms")
    axes[1].set_yscale("log")
    axes[1].set_title("p99 per kind")
    res = result["resources"]
    rx = [r["t"] / 60 for r in res]
    pids = sorted({(p["role"], p["pid"]) for r in res for p in r["processes"]})
    for role, pid in pids:
        series = [next((p.get("rss_mean_kb", p["rss_kb"]) / 1024 for p in r["processes"] if p["pid"] == pid), None)
                  for r in res]
        line, = axes[2].plot(rx, series, marker=".", label=f"{role} {pid}: RSS")
        anon = [next((p.get("rss_anon_mean_kb", 0) / 1024 for p in r["processes"] if p["pid"] == pid), None)
                for r in res]
        axes[2].plot(rx, anon, linestyle="--", color=line.get_color(), label=f"{role} {pid}: anonymous")
    axes[2].set_ylabel("MiB")
    axes[2].set_title("RSS per process (gunicorn, job consumer), and its anonymous part (mean of each 30 s)")
    axes[3].plot(rx, [r["db_bytes"] / MIB for r in res], marker=".", label="database")
    if result["database"] == "sqlite":
        axes[3].plot(rx, [(r.get("wal_peak_bytes") or 0) / MIB for r in res], marker=".", label="WAL (peak)")
        axes[3].axhline(64, color="red", linestyle="--", linewidth=1, label="WAL bound (64 MiB)")
        axes[3].set_title("database and WAL size")
        axes[4].text(0.5, 0.5, "no dead tuples on SQLite (the WAL is above)", ha="center", va="center",
                     transform=axes[4].transAxes)
    else:
        axes[3].plot(rx, [(r.get("table_bytes") or 0) / MIB for r in res], marker=".", label="metric_point + indexes")
        axes[3].set_title("database and table size")
        for table_name in ("metric_point", "idempotency_record"):
            axes[4].plot(rx, [r.get("tables", {}).get(table_name, {}).get("dead") for r in res], marker=".",
                         label=f"{table_name} dead tuples")
        axes[4].set_title(f"dead tuples (autovacuum {result.get('server_settings', {}).get('autovacuum')})")
    axes[3].set_ylabel("MiB")
    axes[4].set_xlabel("minutes of load")
    for ax in axes:
        ax.grid(True, alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8, loc="upper left")
    failed = [t["label"] for t in result["targets"] if t["pass"] is False]
    fig.suptitle(f"make soak — {NAMES.get(result['database'])} — {generated_at}\n"
                 + ("targets met" if not failed else "missed: " + "; ".join(failed)), fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
