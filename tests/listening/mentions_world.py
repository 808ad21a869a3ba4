"""Helpers of the mentions tests (part A): channels, a valid mention to vary, pushes through the API,
raw reads below the scoping layer."""
from __future__ import annotations

import itertools
import json
from contextlib import contextmanager

from sqlalchemy import text

_serial = itertools.count(1)


@contextmanager
def as_system(app, tenant):
    from backend.tenancy import Principal, acting_as

    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        yield


def add_channels(app, tenant, keys=("fb", "ig"), company=None) -> None:
    from backend.extensions import db
    from backend.models import Channel

    company_id = (company or tenant.company_a).id
    with as_system(app, tenant):
        db.session.add_all([Channel(company_id=company_id, key=key, platform="facebook", name=key.upper())
                            for key in keys])
        db.session.commit()


def mention(**over) -> dict:
    """A valid mention (a new external_id each time), with ``over`` replacing or adding fields
    (a value None removes the field)."""
    item = {"source": "brandwatch", "external_id": f"bw-{next(_serial)}", "channel": "fb",
            "published_at": "2024-05-01T10:15:00+02:00", "sentiment": "neutral", "text": "A mention",
            "author": {"name": "Anna Berg", "handle": "@annaberg", "followers": 10}, "language": "en"}
    item.update(over)
    return {k: v for k, v in item.items() if v is not None}


def url(company, suffix: str = "") -> str:
    return f"/api/v1/companies/{company.id}/mentions{suffix}"


def auth(tenant, scope: str = "write") -> dict:
    return {"Authorization": f"Bearer {tenant.keys[scope]}"}


def push(client, tenant, mentions, *, scope: str = "write", company=None, **headers):
    return client.post(url(company or tenant.company_a), data=json.dumps({"mentions": mentions}),
                       headers={"Content-Type": "application/json", **auth(tenant, scope), **headers})


def listed(client, tenant, query: str = "", company=None, scope: str = "read") -> list[dict]:
    """Every mention the list answers for ``query`` (all pages)."""
    out: list[dict] = []
    cursor = ""
    while True:
        sep = "&" if query else ""
        resp = client.get(url(company or tenant.company_a, f"?{query}{sep}limit=200{cursor}"),
                          headers=auth(tenant, scope))
        assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
        out += resp.json
        nxt = resp.headers.get("X-Next-Cursor")
        if not nxt:
            return out
        cursor = f"&cursor={nxt}"


def raw(app, sql: str, **params) -> list[tuple]:
    """Rows of a raw SQL read (below the scoping layer)."""
    from backend.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def dialect(app) -> str:
    from backend.extensions import db

    with app.app_context():
        return db.engine.dialect.name
