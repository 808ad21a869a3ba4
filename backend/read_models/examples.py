"""A push command a person can paste into a shell, built from the company's own channels and
stored numbers (for agency staff: the dashboard's "No data yet" card and *Data connections*).

It works as pasted — the key comes from the environment variable ``REACHBOARD_API_KEY``, which the
shell expands inside double quotes — and it never overwrites a stored number with a made-up one:
it re-sends the follower count stored last for the company's first channel (the answer counts it
as unchanged), or, where nothing is stored yet, says in words what it records.
"""
from __future__ import annotations

import datetime as dt
import json
import shlex
from dataclasses import dataclass

from ..services.channels import all_channels
from ..services.metrics import CompanyReader
from ..services.progress import company_today

KEY_VARIABLE = "REACHBOARD_API_KEY"
METRIC = "followers"


@dataclass(frozen=True)
class PushExample:
    command: str  # one or two shell lines: export the key (when given), then curl
    explanation: str  # what the command sends and what it changes
    channel: str
    metric: str
    day: dt.date
    value: float


def push_example(company_row, base_url: str, key: str | None = None) -> PushExample | None:
    """The example for a company, or None when it has no channel yet (nothing could be pushed)."""
    channels = all_channels(company_row.id)
    if not channels:
        return None
    channel = channels[0]
    today = company_today(company_row)
    stored = CompanyReader(company_row.id).last_on_or_before(METRIC, channel.key, today)
    if stored is not None:
        day, value = stored
        explanation = (f"It re-sends the {value:,.0f} {METRIC} stored for {channel.name or channel.key} on "
                       f"{day.isoformat()}, so nothing changes (the answer counts it as unchanged). Put your own "
                       "numbers in its place: a push replaces the value stored for that channel, metric and day.")
    else:
        day, value = today, 0.0
        explanation = (f"It records 0 {METRIC} for {channel.name or channel.key} today ({day.isoformat()}): "
                       "put the real count in its place. A push replaces the value stored for that channel, "
                       "metric and day.")
    body = json.dumps({"points": [{"channel": channel.key, "metric": METRIC, "date": day.isoformat(),
                                   "value": int(value) if float(value).is_integer() else value}]})
    lines = []
    if key is not None:
        lines.append(f"export {KEY_VARIABLE}={shlex.quote(key)}")
    lines.append(f"curl -sS -X POST {base_url.rstrip('/')}/api/v1/companies/{company_row.id}/metrics \\\n"
                 f"  -H \"Authorization: Bearer ${KEY_VARIABLE}\" \\\n"
                 f"  -H 'Content-Type: application/json' \\\n"
                 f"  -d {shlex.quote(body)}")
    return PushExample("\n".join(lines), explanation, channel.key, METRIC, day, float(value))
