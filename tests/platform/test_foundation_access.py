"""Access control generated from the url_map, so that no route — present or future — is forgotten.

1. Route walk: without credentials every route is public, or answers 401 (API, Dash JSON) or
   redirects to /login (pages).
2. Cross-tenant: agency A's credentials (every role, every key scope) on agency B's ids answer
   404 and change nothing; list routes show none of B's ids; a client viewer (and a key
   restricted to one company) gets 404 on the sibling company of its own agency; child ids are
   looked up through their parent company.
"""
from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from conftest import make_app
from sqlalchemy import select

# ---------------------------------------------------------------------------------------------
# The url_map of a fresh app, read at collection time: routes added later by anyone are walked.
# ---------------------------------------------------------------------------------------------
_FRESH_APP = make_app("sqlite://")
SKIP_METHODS = {"OPTIONS"}
PARAM_RE = re.compile(r"<(?:([^:<>]+):)?([^<>]+)>")


def _rules():
    return sorted(_FRESH_APP.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))


def _route_cases():
    cases = []
    for rule in _rules():
        for method in sorted(rule.methods - SKIP_METHODS):
            cases.append(pytest.param(rule.rule, rule.endpoint, method, id=f"{method} {rule.rule}"))
    return cases


def _dummy(converter: str | None) -> str:
    if converter == "uuid":
        return str(uuid.uuid4())
    if converter == "int":
        return "1"
    return "x" + uuid.uuid4().hex[:6]


def fill(rule: str, values: dict | None = None) -> str:
    """Substitute URL parameters: from ``values`` by name, else dummies by converter."""

    def sub(m):
        converter, name = m.group(1), m.group(2)
        if values is not None:
            return str(values[name])
        return _dummy(converter)

    return PARAM_RE.sub(sub, rule)


def rule_params(rule: str) -> list[str]:
    return [m.group(2) for m in PARAM_RE.finditer(rule)]


def is_json_route(path: str) -> bool:
    return path.startswith("/api/") or "/_dash-" in path


# ---------------------------------------------------------------------------------------------
# 1. Route walk
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("rule", "endpoint", "method"), _route_cases())
def test_route_is_public_or_requires_login(client, rule, endpoint, method):
    from backend.auth import is_public_endpoint

    path = fill(rule)
    resp = client.open(path, method=method, json={} if method in ("POST", "PUT", "PATCH") else None)
    if is_public_endpoint(endpoint):
        assert resp.status_code != 401 and resp.status_code < 500, (path, resp.status_code)
        return
    if is_json_route(rule):
        assert resp.status_code == 401, (method, path, resp.status_code, resp.get_data(as_text=True)[:300])
        assert resp.headers.get("WWW-Authenticate", "").startswith("Bearer"), resp.headers
        if rule.startswith("/api/"):
            assert resp.mimetype == "application/problem+json"
            if method != "HEAD":
                assert resp.json["status"] == 401
    else:
        assert resp.status_code in (302, 303), (method, path, resp.status_code)
        location = resp.headers["Location"]
        assert location.startswith("/login?next="), location


def test_route_walk_covers_the_api_and_the_pages():
    """The walk above is generated from the url_map, not from a hand-written list."""
    rules = {r.rule for r in _rules()}
    assert {"/api/v1/companies", "/api/v1/companies/<uuid:company_id>", "/api/v1/users",
            "/api/v1/api-keys", "/api/v1/me", "/login", "/dashboard/"} <= rules


# ---------------------------------------------------------------------------------------------
# 2. Cross-tenant
# ---------------------------------------------------------------------------------------------
KNOWN_PARAMS = ("company_id", "user_id", "key_id", "channel_key", "goal_id", "campaign_id", "revision", "link_id",
                "schedule_id", "report_id", "alert_id", "webhook_id", "delivery_id", "rule_id", "topic_id",
                "mention_id")


def populate(app, tenant) -> None:
    """Give every company of the tenant one object of every kind (directly, with the models)."""
    from backend.extensions import db
    from backend.models import (
        Alert,
        AlertRule,
        AuditEntry,
        Campaign,
        Channel,
        Goal,
        JobFailure,
        Mention,
        MetricDefinition,
        MetricPoint,
        Report,
        ReportSchedule,
        ShareLink,
        Strategy,
        StrategyRevision,
        Topic,
        WebhookDelivery,
        WebhookEndpoint,
    )
    from backend.tenancy import Principal, acting_as

    tenant.objects = {}
    today = dt.date(2026, 1, 31)
    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        for company in tenant.companies:
            channel = Channel(company_id=company.id, key="facebook", platform="facebook", name="Facebook")
            db.session.add(channel)
            db.session.flush()
            goal = Goal(company_id=company.id, title="Grow the audience", category="awareness",
                        kpi_metric="followers", kpi_channel="all", kpi_aggregation="last",
                        kpi_target=1000, kpi_start_date=dt.date(2026, 1, 1), kpi_deadline=dt.date(2026, 12, 31))
            campaign = Campaign(company_id=company.id, name="Spring push", start_date=dt.date(2026, 3, 1),
                                end_date=dt.date(2026, 3, 31), channels=["facebook"], budget=1000)
            db.session.add_all([goal, campaign])
            db.session.add(StrategyRevision(company_id=company.id, revision=1,
                                            snapshot={"objective": "Be known"}, changes={}))
            strategy = db.session.scalars(select(Strategy).where(Strategy.company_id == company.id)).one()
            strategy.revision = 1
            strategy.objective = "Be known"
            for i in range(3):
                db.session.add(MetricPoint(company_id=company.id, channel_id=channel.id, metric="followers",
                                           date=today - dt.timedelta(days=i), value=100 + i))
            db.session.add(AuditEntry(company_id=company.id, actor="test", action="test.populate",
                                      object_type="company", object_id=str(company.id), summary="populated"))
            link = ShareLink(company_id=company.id, kind="board", board_from=today - dt.timedelta(days=30),
                             board_to=today, token_hash=uuid.uuid4().hex * 2, expires_at=dt.datetime(2100, 1, 1))
            db.session.add(link)
            schedule = ReportSchedule(company_id=company.id, cadence="monthly", day_of_month=1, hour=8,
                                      period="previous_month", recipients=["client@example.com"],
                                      next_run_at=dt.datetime(2026, 2, 1, 8))
            db.session.add(schedule)
            # Sent: a client viewer of the company reaches it (their drafts they do not).
            report = Report(company_id=company.id, period_kind="month", period_start=dt.date(2026, 1, 1),
                            period_end=dt.date(2026, 1, 31), status="sent", commentary=f"{company.name} in January")
            db.session.add(report)
            # An alert the company's client viewers see (so a viewer's own company has one).
            rule = AlertRule(company_id=company.id, kind="goal_status", name="Goal status", visible_to_clients=True)
            db.session.add(rule)
            db.session.flush()
            topic = Topic(company_id=company.id, name="Recall", keywords=["recall"])
            db.session.add(topic)
            mention = Mention(company_id=company.id, channel_id=channel.id, source="test", external_id="m-1",
                              published_at=dt.datetime(2026, 1, 30, 9), day=dt.date(2026, 1, 30),
                              text=f"{company.name}: the recall went well", author_handle="@someone",
                              sentiment="positive")
            db.session.add(mention)
            alert = Alert(company_id=company.id, rule_id=rule.id, kind="goal_status", event_key=f"goal:{goal.id}",
                          title=f"{company.name}: a goal is off track", object_type="goal", object_id=str(goal.id),
                          link=f"/dashboard/company/{company.id}?goal={goal.id}", visible_to_clients=True, day=today)
            db.session.add(alert)
            # A webhook endpoint of the agency for this company, with one delivery in its log.
            webhook = WebhookEndpoint(company_id=company.id, url="https://hooks.example.com/in",
                                      events=["report.sent"], secret="whsec_" + "A" * 43)
            db.session.add(webhook)
            db.session.flush()
            delivery = WebhookDelivery(endpoint_id=webhook.id, event="report.sent",
                                       message_id=f"msg_{uuid.uuid4().hex}",
                                       payload={"type": "report.sent", "data": {}}, status="failed")
            db.session.add(delivery)
            db.session.flush()
            tenant.objects[company.id] = {"webhook_id": webhook.id, "delivery_id": delivery.id,
                                          "alert_id": alert.id, "channel_key": "facebook", "goal_id": goal.id,
                                          "campaign_id": campaign.id, "revision": 1,
                                          "channel_id": channel.id, "link_id": link.id,
                                          "schedule_id": schedule.id, "report_id": report.id,
                                          "rule_id": rule.id, "topic_id": topic.id,
                                          "mention_id": mention.id}
        definition = MetricDefinition(key=f"custom_{tenant.name.split()[0].lower()}", label="Leads",
                                      unit="", kind="flow", better="higher")
        db.session.add(definition)
        db.session.add(JobFailure(job="report_pdf", task_id=str(uuid.uuid4()), attempts=4,
                                  error=f"RuntimeError: {tenant.name} report failed", traceback=""))
        db.session.commit()
        tenant.definition_id = definition.id


def param_values(tenant, company) -> dict:
    """URL values naming the tenant's objects (children of ``company``)."""
    objs = tenant.objects[company.id]
    return {
        "company_id": company.id,
        "user_id": tenant.users["member"].id,
        "key_id": tenant.key_ids["admin"],
        "channel_key": objs["channel_key"],
        "goal_id": objs["goal_id"],
        "campaign_id": objs["campaign_id"],
        "revision": objs["revision"],
        "link_id": objs["link_id"],
        "schedule_id": objs["schedule_id"],
        "report_id": objs["report_id"],
        "alert_id": objs["alert_id"],
        "webhook_id": objs["webhook_id"],
        "delivery_id": objs["delivery_id"],
        "rule_id": objs["rule_id"],
        "topic_id": objs["topic_id"],
        "mention_id": objs["mention_id"],
    }


def snapshot(app, agency_id) -> dict:
    """Every row of the agency in every table (raw reads, below the scoping layer)."""
    from backend.extensions import db

    out = {}
    with app.app_context(), db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if "agency_id" in table.c:
                stmt = table.select().where(table.c.agency_id == agency_id)
            elif table.name == "agency":
                stmt = table.select().where(table.c.id == agency_id)
            else:
                continue
            out[table.name] = sorted(repr(tuple(row)) for row in conn.execute(stmt))
    return out


def all_ids(app, tenant) -> set[str]:
    """Every id of the tenant's rows, as strings, plus its company names."""
    from backend.extensions import db

    ids = {str(tenant.agency_id)} | {c.name for c in tenant.companies}
    with app.app_context(), db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if "agency_id" in table.c and "id" in table.c and table.name != "metric_point":
                for (value,) in conn.execute(select(table.c.id).where(table.c.agency_id == tenant.agency_id)):
                    ids.add(str(value))
    return ids


def credentials(tenant, login_as, api) -> dict:
    creds = {f"session:{role}": login_as(tenant, role) for role in ("owner", "admin", "member", "viewer")}
    for scope, key in tenant.keys.items():
        creds[f"key:{scope}"] = api(key)
    return creds


def _call(client, method: str, path: str):
    kwargs = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
    return client.open(path, method=method, **kwargs) if hasattr(client, "open") else \
        getattr(client, method.lower())(path, **kwargs)


def _api_rules_with_params(app):
    out = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.rule.startswith("/api/") and rule.arguments and rule.endpoint != "api_docs_assets.asset":
            out.append(rule)
    return out


def _methods(rule):
    return sorted(rule.methods - {"OPTIONS", "HEAD"})


@pytest.fixture
def populated(app, tenants):
    a, b = tenants
    populate(app, a)
    populate(app, b)
    return a, b


def test_every_url_parameter_has_a_resolver_and_a_test_value(app):
    from backend.path_objects import PATH_RESOLVERS

    unknown = sorted({(p, r.rule) for r in _api_rules_with_params(app) for p in rule_params(r.rule)
                      if p not in KNOWN_PARAMS or p not in PATH_RESOLVERS})
    assert not unknown, f"URL parameters without a cross-tenant test value or resolver: {unknown}"


def test_other_agencys_ids_answer_404_and_change_nothing(app, populated, login_as, api):
    a, b = populated
    creds = credentials(a, login_as, api)
    failures = []
    before = snapshot(app, b.agency_id)
    calls = 0
    for rule in _api_rules_with_params(app):
        params = rule_params(rule.rule)
        if any(p not in KNOWN_PARAMS for p in params):
            failures.append(f"{rule.rule}: unknown URL parameter in {params}")
            continue
        path = fill(rule.rule, param_values(b, b.company_a))
        for method in _methods(rule):
            for name, client in creds.items():
                resp = _call(client, method, path)
                calls += 1
                if resp.status_code != 404:
                    failures.append(f"{name} {method} {path} -> {resp.status_code}")
                elif resp.mimetype != "application/problem+json":
                    failures.append(f"{name} {method} {path} -> 404 but {resp.mimetype}")
            after = snapshot(app, b.agency_id)
            if after != before:
                changed = [t for t in after if after[t] != before[t]]
                failures.append(f"{method} {rule.rule} changed agency B's tables {changed}")
                before = after
    assert calls > 0
    assert not failures, "Cross-tenant failures:\n" + "\n".join(failures)


def test_child_ids_are_looked_up_through_their_parent_company(app, populated, login_as, api):
    """A's company in the URL with children of B's company, or of A's other company: 404."""
    a, b = populated
    creds = {"session:owner": login_as(a, "owner"), "key:admin": api(a.keys["admin"])}
    failures = []
    for rule in _api_rules_with_params(app):
        params = rule_params(rule.rule)
        children = [p for p in params if p in ("channel_key", "goal_id", "campaign_id", "revision", "link_id",
                                               "schedule_id", "report_id", "rule_id", "topic_id",
                                               "mention_id")]
        if "company_id" not in params or not children:
            continue
        for owner_of_children, company in ((b, b.company_a), (a, a.company_b)):
            values = param_values(a, a.company_a)
            foreign = param_values(owner_of_children, company)
            for child in children:
                if child in ("channel_key", "revision"):
                    continue  # same key/number exists in every company: resolved per company
                values = {**values, child: foreign[child]}
            if values == param_values(a, a.company_a):
                continue
            path = fill(rule.rule, values)
            for method in _methods(rule):
                for name, client in creds.items():
                    resp = _call(client, method, path)
                    if resp.status_code != 404:
                        failures.append(f"{name} {method} {path} -> {resp.status_code}")
    assert not failures, "Children reachable through the wrong company:\n" + "\n".join(failures)


def test_list_routes_show_none_of_the_other_agencys_ids(app, populated, login_as, api):
    a, b = populated
    foreign = all_ids(app, b)
    assert len(foreign) > 20
    creds = credentials(a, login_as, api)
    failures = []
    list_rules = [r for r in app.url_map.iter_rules()
                  if r.rule.startswith("/api/") and not r.arguments and "GET" in r.methods
                  and r.endpoint not in ("api-docs.openapi_json", "api-docs.openapi_swagger_ui")]
    assert any(r.rule == "/api/v1/companies" for r in list_rules)
    for rule in list_rules:
        for name, client in creds.items():
            resp = client.get(rule.rule)
            if resp.status_code >= 500:
                failures.append(f"{name} GET {rule.rule} -> {resp.status_code}")
                continue
            body = resp.get_data(as_text=True)
            leaked = sorted(x for x in foreign if x in body)
            if leaked:
                failures.append(f"{name} GET {rule.rule} shows B's {leaked[:3]}")
    assert not failures, "\n".join(failures)


def test_list_totals_count_only_what_is_in_reach(populated, api, login_as):
    """The X-Pagination total is computed through the scoping layer too."""
    import json

    a, _b = populated
    resp = api(a.keys["admin"]).get("/api/v1/companies?page_size=1")
    assert json.loads(resp.headers["X-Pagination"])["total"] == 2
    resp = api(a.keys["company_a:write"]).get("/api/v1/companies")
    assert json.loads(resp.headers["X-Pagination"])["total"] == 1
    resp = login_as(a, "viewer").get("/api/v1/companies")
    assert json.loads(resp.headers["X-Pagination"])["total"] == 1
    assert [c["id"] for c in resp.json] == [str(a.company_a.id)]
    resp = api(a.keys["admin"]).get("/api/v1/users")
    assert json.loads(resp.headers["X-Pagination"])["total"] == 4
    resp = api(a.keys["admin"]).get("/api/v1/api-keys")
    assert json.loads(resp.headers["X-Pagination"])["total"] == len(a.keys)


def test_company_viewer_gets_404_on_the_sibling_company(app, populated, login_as, api):
    a, _b = populated
    creds = {"session:viewer": login_as(a, "viewer"), "key:company_a:write": api(a.keys["company_a:write"])}
    before = snapshot(app, a.agency_id)
    failures = []
    rules = [r for r in _api_rules_with_params(app) if "company_id" in rule_params(r.rule)]
    assert rules
    for rule in rules:
        path = fill(rule.rule, param_values(a, a.company_b))
        for method in _methods(rule):
            for name, client in creds.items():
                resp = _call(client, method, path)
                if resp.status_code != 404:
                    failures.append(f"{name} {method} {path} -> {resp.status_code}")
        # Sanity: the same route on the company in reach is not a 404 for a read.
    after = snapshot(app, a.agency_id)
    for table in ("company", "channel", "goal", "campaign", "strategy", "strategy_revision", "metric_point"):
        if after[table] != before[table]:
            failures.append(f"table {table} of agency A changed")
    assert not failures, "\n".join(failures)
    resp = creds["session:viewer"].get(f"/api/v1/companies/{a.company_a.id}")
    assert resp.status_code == 200


def test_pages_with_ids_of_another_agency_reveal_nothing(app, populated, login_as):
    """Server-rendered pages with ids in the URL: B's ids give 403/404 and change nothing."""
    from backend.auth import is_public_endpoint

    a, b = populated
    creds = {f"session:{r}": login_as(a, r) for r in ("owner", "member", "viewer")}
    names = {c.name for c in b.companies}
    before = snapshot(app, b.agency_id)
    failures = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or not rule.arguments or is_public_endpoint(rule.endpoint):
            continue
        params = rule_params(rule.rule)
        if any(p not in KNOWN_PARAMS for p in params):
            continue  # asset routes and the like
        path = fill(rule.rule, param_values(b, b.company_a))
        for method in _methods(rule):
            for name, client in creds.items():
                resp = client.open(path, method=method, data={})
                body = resp.get_data(as_text=True)
                if resp.status_code not in (403, 404):
                    failures.append(f"{name} {method} {path} -> {resp.status_code}")
                elif any(n in body for n in names):
                    failures.append(f"{name} {method} {path} shows B's company name")
    assert snapshot(app, b.agency_id) == before, "a page changed agency B's rows"
    assert not failures, "\n".join(failures)


def test_pages_without_ids_show_none_of_the_other_agencys_rows(app, populated, login_as):
    """Server-rendered pages with no id in the URL (lists such as /manage/people, /manage/jobs,
    /manage/activity): A's people see none of B's ids, company names or failed jobs."""
    from backend.auth import is_public_endpoint

    a, b = populated
    foreign = all_ids(app, b) | {f"{b.name} report failed"}
    creds = {f"session:{r}": login_as(a, r) for r in ("owner", "admin", "member", "viewer")}
    rules = [r for r in app.url_map.iter_rules() if not r.arguments and "GET" in r.methods
             and not r.rule.startswith(("/api/", "/dashboard/_", "/static", "/vendor")) and r.rule != "/logout"
             and not is_public_endpoint(r.endpoint)]
    assert any(r.rule == "/manage/jobs" for r in rules)
    failures = []
    for rule in rules:
        for name, client in creds.items():
            resp = client.get(rule.rule)
            body = resp.get_data(as_text=True)
            if resp.status_code >= 500:
                failures.append(f"{name} GET {rule.rule} -> {resp.status_code}")
            leaked = sorted(x for x in foreign if x in body)
            if leaked:
                failures.append(f"{name} GET {rule.rule} shows B's {leaked[:3]}")
    page = creds["session:owner"].get("/manage/jobs").get_data(as_text=True)
    assert f"{a.name} report failed" in page  # A's own failure is there
    assert not failures, "\n".join(failures)


def test_a_company_is_remembered_per_request_and_principal_only(app, tenants, statements):
    """get_company answers a repeated id from the request's memo — never for another principal,
    never after the company is deleted, and not outside a request."""
    from backend.services.companies import delete_company, get_company
    from backend.services.errors import NotFound
    from backend.tenancy import Principal, acting_as

    mine, other = tenants
    owner = Principal.system(mine.agency_id, "test")
    viewer = Principal(kind="user", agency_id=mine.agency_id, label="viewer", grants=frozenset({"read"}),
                       company_ids=frozenset({mine.company_b.id}))
    foreign = Principal.system(other.agency_id, "test")
    with statements("FROM company") as queries:
        with app.test_request_context():
            with acting_as(owner):
                first = get_company(mine.company_a.id)
                assert get_company(str(mine.company_a.id)) is first and len(queries) == 1
            with acting_as(viewer), pytest.raises(NotFound):
                get_company(mine.company_a.id)
            with acting_as(foreign), pytest.raises(NotFound):
                get_company(mine.company_a.id)
            with acting_as(owner):
                delete_company(mine.company_a.id)
                with pytest.raises(NotFound):
                    get_company(mine.company_a.id)
        queries.clear()
        with app.app_context(), acting_as(owner):
            get_company(mine.company_b.id)
            get_company(mine.company_b.id)
            assert len(queries) == 2  # no memo outside a request


def test_a_client_viewer_reaches_only_their_companys_alerts(app, populated, login_as):
    """Every route naming an alert, API and pages (from the url_map): the sibling company's alert
    is a 404 for the client viewer of company A and changes nothing; their own company's is not."""
    a, _b = populated
    viewer = login_as(a, "viewer")
    rules = [r for r in app.url_map.iter_rules() if "alert_id" in rule_params(r.rule)]
    assert {r.rule for r in rules} >= {"/api/v1/alerts/<uuid:alert_id>/read", "/alerts/<uuid:alert_id>/read"}
    before = snapshot(app, a.agency_id)
    failures = []
    for rule in rules:
        for method in _methods(rule):
            resp = _call(viewer, method, fill(rule.rule, param_values(a, a.company_b)))
            if resp.status_code != 404:
                failures.append(f"{method} {rule.rule} (sibling's alert) -> {resp.status_code}")
    assert snapshot(app, a.agency_id) == before
    for rule in rules:
        for method in _methods(rule):
            resp = _call(viewer, method, fill(rule.rule, param_values(a, a.company_a)))
            if resp.status_code not in (200, 303):
                failures.append(f"{method} {rule.rule} (own alert) -> {resp.status_code}")
    assert not failures, "\n".join(failures)
    listed = viewer.get("/alerts").get_data(as_text=True)
    assert f"{a.company_a.name}: a goal is off track" in listed and a.company_b.name not in listed
    assert viewer.get("/api/v1/alerts").json[0]["company_id"] == str(a.company_a.id)
