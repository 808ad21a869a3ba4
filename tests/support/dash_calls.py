"""Calling the dashboard's callbacks as dash-renderer does, and reading their answers."""
from __future__ import annotations

import json

from dashboard import ids


def call(client, output_fragment: str, inputs: dict, state: dict | None = None, changed: str | None = None):
    """POST a callback like dash-renderer does; returns {component id: {prop: value}}."""
    from dashboard.callback_bodies import callback_body

    specs = client.get("/dashboard/_dash-dependencies").json
    resp = client.post("/dashboard/_dash-update-component",
                       json=callback_body(specs, output_fragment, inputs, state, changed))
    assert resp.status_code in (200, 204), resp.get_data(as_text=True)[:2000]
    if resp.status_code == 204:
        return {}
    return resp.json["response"]


def route(client, path: str, search: str = ""):
    return call(client, "rb-page.children", {"rb-url.pathname": path}, {"rb-url.search": search},
                changed="rb-url.pathname")[ids.PAGE]["children"]


def company_inputs(company_id, preset="30d", start=None, end=None, granularity="day", channel="all"):
    return {f"{ids.COMPANY_ID}.data": str(company_id), f"{ids.PRESET}.value": preset,
            f"{ids.DATE_RANGE}.start_date": start, f"{ids.DATE_RANGE}.end_date": end,
            f"{ids.GRANULARITY}.value": granularity, f"{ids.CHANNEL}.value": channel}


def texts(tree) -> str:
    return json.dumps(tree)


def find_values(tree, key="data-value") -> dict:
    """{metric: value} from the KPI cards' data-metric / data-value attributes."""
    out = {}

    def walk(node):
        if isinstance(node, dict):
            props = node.get("props", node)
            if "data-metric" in props:
                out[props["data-metric"]] = props.get(key)
            for v in props.values() if isinstance(props, dict) else []:
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(tree)
    return out

