"""The soak's tenants and starting data, built with make bench's set-up (bench/dataset.py): the
measured agency and company with ten channels and a company write key, its history of daily
points loaded through the driver, other companies around it, sub-goals for the dashboard; then
what the soak adds — a read key for wrk and a member with a password, who logs in for the
dashboard."""
from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass

from ..dataset import (
    MainTenant,
    add_goals,
    build_main,
    build_others,
    last_data_day,
    load_other_points,
    main_points,
    raw_rows,
)
from .settings import SoakSettings


@dataclass
class SoakTenant:
    main: MainTenant
    read_key: str
    viewer_email: str
    viewer_password: str
    first_day: dt.date  # the oldest loaded day: new points go before it
    last_day: dt.date
    channels: list[str]

    @property
    def company_id(self) -> uuid.UUID:
        return self.main.company_id


def build(app, db, conn, settings: SoakSettings, progress) -> SoakTenant:
    from backend.services.accounts import create_user
    from backend.services.api_keys import create_key
    from backend.tenancy import Principal, acting_as

    sizes = settings.sizes
    last_day = last_data_day()
    with progress.step("agency, company, 10 channels, keys, a member (services)"):
        main = build_main(app, sizes)
        password = secrets.token_urlsafe(18)
        email = "member@soak.reachboard.test"
        with app.app_context(), acting_as(Principal.system(main.agency_id, "bench")):
            _, read_key = create_key({"name": "soak reads", "scopes": ["read"], "company_id": main.company_id})
            create_user({"email": email, "password": password, "role": "member", "name": "Soak"})
    points = main_points(sizes, last_day)
    with progress.step(f"the company's {len(points):,} points (driver bulk load)"):
        db.insert_points(conn, raw_rows(db, main.agency_id, main.company_id, main.channel_ids, points))
    del points
    with progress.step(f"{sizes.others:,} other companies and their {sizes.other_points:,} points"):
        build_others(app, sizes, main, progress)
        load_other_points(db, conn, sizes, main, last_day)
    with progress.step("sub-goals (services); statistics"):
        add_goals(app, main, sizes, last_day)
        db.analyze(conn)
    return SoakTenant(main, read_key, email, password, last_day - dt.timedelta(days=sizes.days - 1), last_day,
                      list(main.channel_ids))


def read_paths(company_id, last_day: dt.date) -> list[str]:
    """What wrk reads in turn: the company, a year of weekly series (followers, reach, engagement
    rate, all channels) and the summary of the latest 30 days."""
    year_ago = last_day - dt.timedelta(days=364)
    month_ago = last_day - dt.timedelta(days=29)
    base = f"/api/v1/companies/{company_id}"
    return [
        base,
        f"{base}/metrics?metric=followers&metric=reach&metric=engagement_rate&channel=all"
        f"&from={year_ago.isoformat()}&to={last_day.isoformat()}&granularity=week",
        f"{base}/metrics/summary?from={month_ago.isoformat()}&to={last_day.isoformat()}",
    ]
