"""Dash callback requests as dash-renderer sends them, for callers without a browser: the
benchmark and the tests call the dashboard's callbacks over HTTP with these bodies."""
from __future__ import annotations


def callback_body(specs: list[dict], output_fragment: str, inputs: dict, state: dict | None = None,
                  changed: str | None = None) -> dict:
    """The JSON body dash-renderer POSTs to ``_dash-update-component`` for the callback whose
    output contains ``output_fragment`` (``specs``: ``_dash-dependencies``). ``inputs`` and
    ``state`` map ``"component.prop"`` to values; ``changed`` is the input that triggered it.
    Used by the benchmark (bench/dashboard_bench.py) and the callback tests."""
    spec = next(d for d in specs if output_fragment in d["output"])
    multi = spec["output"].startswith("..")
    outputs = []
    for part in spec["output"][2:-2].split("...") if multi else [spec["output"]]:
        cid, prop = part.rsplit(".", 1)
        outputs.append({"id": cid, "property": prop.split("@")[0]})

    def values(items, given):
        return [{"id": i["id"], "property": i["property"], "value": (given or {}).get(f"{i['id']}.{i['property']}")}
                for i in items]

    return {"output": spec["output"], "outputs": outputs if multi else outputs[0],
            "inputs": values(spec["inputs"], inputs), "state": values(spec["state"], state),
            "changedPropIds": [changed] if changed else []}
