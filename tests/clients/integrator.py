"""An integrator's script on the generated Python client (openapi-python-client, build/clients/
python, from ``make clients``), run against a live server by tests/api/test_generated_clients.py:

    PYTHONPATH=build/clients/python REACHBOARD_URL=http://127.0.0.1:8000 REACHBOARD_KEY=rb_... \\
        .venv/bin/python tests/clients/integrator.py

It uses only what the client generated: typed models in, typed models (or Problem) out, headers
from the response. Every step prints a line; the first surprise exits non-zero, saying why.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import os
import sys
import uuid
from typing import Any, NoReturn, TypeVar

import httpx
from reachboard_client import AuthenticatedClient
from reachboard_client.api.channels import create_channel
from reachboard_client.api.companies import create_company, get_company, list_companies
from reachboard_client.api.me import get_me
from reachboard_client.api.metrics import import_metrics, push_metrics, read_metrics, summarise_metrics
from reachboard_client.models import (
    Channel,
    Company,
    CreateChannelBody,
    CreateChannelBodyPlatform,
    CreateCompanyBody,
    ImportResult,
    Me,
    PaginationMetadata,
    Problem,
    PushMetricsBody,
    PushMetricsBodyPointsItem,
    PushResult,
    ReadMetricsGranularity,
    SeriesResult,
    SummaryResult,
)
from reachboard_client.types import File, Response

DAYS = 30
FIRST = dt.date.today() - dt.timedelta(days=60)
T = TypeVar("T")


def fail(message: str) -> NoReturn:
    print(f"FAIL: {message}")
    sys.exit(1)


def step(message: str) -> None:
    print(f"ok: {message}")


def expect(response: Response[Any], status: int, kind: type[T]) -> T:
    """The parsed answer when it has this status and type; else fail, showing what came."""
    parsed = response.parsed
    if response.status_code != status or not isinstance(parsed, kind):
        fail(f"expected {status} {kind.__name__}, got {response.status_code}: {response.content[:300]!r}")
    return parsed


def problem_of(response: Response[Any], status: int) -> Problem:
    """The error handling every caller writes: the problem's status, title, detail, errors."""
    problem = expect(response, status, Problem)
    if problem.status != status:
        fail(f"the problem says {problem.status}, the response {status}")
    return problem


def points(channel: str, start: int, count: int) -> list[PushMetricsBodyPointsItem]:
    return [PushMetricsBodyPointsItem(channel=channel, metric="followers", date=FIRST + dt.timedelta(days=n),
                                      value=1000 + 10 * n) for n in range(start, start + count)]


def main() -> None:
    client = AuthenticatedClient(base_url=os.environ["REACHBOARD_URL"], token=os.environ["REACHBOARD_KEY"],
                                 raise_on_unexpected_status=True, timeout=httpx.Timeout(60))
    with client:
        run(client)
    print("all steps passed")


def run(client: AuthenticatedClient) -> None:
    me = expect(get_me.sync_detailed(client=client), 200, Me)
    step(f"/me: {me.kind.value} of {me.agency.name}")

    suffix = uuid.uuid4().hex[:8]
    company = expect(create_company.sync_detailed(client=client, body=CreateCompanyBody(name=f"Python {suffix}")),
                     201, Company)
    if company.timezone != "UTC" or company.archived:
        fail(f"the server's defaults were not applied: {company}")
    step(f"company {company.name} ({company.id}), timezone {company.timezone} by default")
    channel = expect(create_channel.sync_detailed(company.id, client=client, body=CreateChannelBody(
        key="instagram", platform=CreateChannelBodyPlatform.INSTAGRAM)), 201, Channel)
    step(f"channel {channel.key} named {channel.name!r}")

    # 30 days of points, then the same request again with the same Idempotency-Key.
    body = PushMetricsBody(points=points("instagram", 0, DAYS))
    key = f"py-{suffix}"
    first = push_metrics.sync_detailed(company.id, client=client, body=body, idempotency_key=key)
    pushed = expect(first, 200, PushResult)
    if pushed.created != DAYS or "Idempotent-Replayed" in first.headers:
        fail(f"first push: {pushed}, headers {dict(first.headers)}")
    again = push_metrics.sync_detailed(company.id, client=client, body=body, idempotency_key=key)
    replayed = expect(again, 200, PushResult)
    if again.headers.get("Idempotent-Replayed") != "true" or replayed.to_dict() != pushed.to_dict():
        fail(f"the replay: {replayed}, headers {dict(again.headers)}")
    step(f"pushed {pushed.created} points; the replay answered the same with Idempotent-Replayed: true")

    last = FIRST + dt.timedelta(days=DAYS - 1)
    series = expect(read_metrics.sync_detailed(company.id, client=client, metric=["followers"], channel="all",
                                               from_=FIRST, to=last, granularity=ReadMetricsGranularity.WEEK),
                    200, SeriesResult)
    weekly = series.series[0].points
    if series.series[0].channel != "all" or not 4 <= len(weekly) <= 6:
        fail(f"weekly series: {series}")
    step(f"weekly channel=all series: {len(weekly)} weeks, last {weekly[-1].date} = {weekly[-1].value}")

    summary = expect(summarise_metrics.sync_detailed(company.id, client=client, from_=FIRST, to=last),
                     200, SummaryResult)
    followers = [m for m in summary.metrics if m.metric == "followers"]
    if not followers or followers[0].value != 1000 + 10 * (DAYS - 1):
        fail(f"summary: {summary}")
    step(f"summary: followers {followers[0].value} ({followers[0].change} since the previous period)")

    for n in range(2):
        expect(create_company.sync_detailed(client=client, body=CreateCompanyBody(name=f"Python {suffix} {n}")),
               201, Company)
    listing = list_companies.sync_detailed(client=client, page=1, page_size=2, q=f"Python {suffix}")
    companies = expect(listing, 200, list)
    meta = PaginationMetadata.from_dict(json.loads(listing.headers["X-Pagination"]))
    if (len(companies), meta.total, meta.total_pages, meta.page, meta.next_page) != (2, 3, 2, 1, 2) \
            or meta.previous_page:
        fail(f"pagination: {len(companies)} companies, {meta}")
    page2 = list_companies.sync_detailed(client=client, page=meta.next_page, page_size=2, q=f"Python {suffix}")
    meta2 = PaginationMetadata.from_dict(json.loads(page2.headers["X-Pagination"]))
    if len(expect(page2, 200, list)) != 1 or meta2.previous_page != 1 or meta2.next_page:
        fail(f"page 2: {meta2}")
    step(f"paginated list: {meta.total} companies in {meta.total_pages} pages of {meta.page_size}, "
         f"read from X-Pagination")

    # Errors: each a Problem with the fields a caller reads.
    rejected = problem_of(push_metrics.sync_detailed(company.id, client=client, body=PushMetricsBody(
        points=[*points("instagram", 0, 1), *points("tiktok", 0, 1)])), 422)
    if not rejected.errors or rejected.errors[0].field != "channel" or rejected.errors[0].index != 1:
        fail(f"rejected push: {rejected}")
    step(f"rejected push: 422, errors[0].field={rejected.errors[0].field!r} (point {rejected.errors[0].index}), "
         f"detail={rejected.detail!r}")

    missing = problem_of(get_company.sync_detailed(uuid.uuid4(), client=client), 404)
    step(f"404: {missing.title}: {missing.detail}")
    taken = problem_of(create_channel.sync_detailed(company.id, client=client, body=CreateChannelBody(
        key="instagram", platform=CreateChannelBodyPlatform.INSTAGRAM)), 409)
    step(f"409: {taken.detail}")
    too_many = PushMetricsBody(points=[PushMetricsBodyPointsItem(
        channel="instagram", metric="reach", date=FIRST - dt.timedelta(days=n % 365), value=n) for n in range(10_001)])
    large = problem_of(push_metrics.sync_detailed(company.id, client=client, body=too_many), 413)
    step(f"413: {large.detail} (limit {large.limit})")

    csv = "date,channel,metric,value\n" + "".join(
        f"{FIRST + dt.timedelta(days=n)},instagram,reach,{500 + n}\n" for n in range(DAYS))
    imported = expect(import_metrics.sync_detailed(company.id, client=client, body=File(
        payload=io.BytesIO(csv.encode()), file_name="reach.csv", mime_type="text/csv"),
        idempotency_key=f"py-csv-{suffix}"), 200, ImportResult)
    if imported.rows != DAYS or imported.created != DAYS:
        fail(f"CSV import: {imported}")
    step(f"CSV import: {imported.rows} rows, {imported.created} created")

    # The server under test has a small push budget (PUSH_RATE_LIMIT): spend it.
    for attempt in range(1, 101):
        answer = push_metrics.sync_detailed(company.id, client=client, body=PushMetricsBody(
            points=points("instagram", attempt % DAYS, 1)))
        if answer.status_code == 429:
            limited = problem_of(answer, 429)
            retry = int(answer.headers["Retry-After"])
            step(f"429 after {attempt} more pushes: retry after {retry} s "
                 f"(RateLimit-Remaining {answer.headers['RateLimit-Remaining']}); {limited.detail}")
            break
        expect(answer, 200, PushResult)
    else:
        fail("no 429 after 100 pushes: is the server's PUSH_RATE_LIMIT small?")


if __name__ == "__main__":
    main()
