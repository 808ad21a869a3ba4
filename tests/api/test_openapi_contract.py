"""The OpenAPI document says what the server sends: UTC timestamps with their offset, every error
as application/problem+json with the problem schema, additionalProperties: false on request
schemas only, no Content-Type on 204, links between operations; and the docs' assets answer
every kind of visitor."""
from __future__ import annotations

import datetime as dt
import importlib
import json
import re

import jsonschema_rs
import pytest
from conftest import make_app, on_postgres
from marshmallow import fields

PROBLEM = "application/problem+json"
RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def spec(database_url):
    return make_app(database_url).test_client().get("/api/v1/openapi.json").json


def _resolve(spec: dict, obj: dict) -> dict:
    while "$ref" in obj:
        section, name = obj["$ref"].split("/")[-2:]
        obj = spec["components"][section][name]
    return obj


def _operations(spec: dict):
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def _json_schema(node):
    """OpenAPI 3.0's ``nullable: true`` as JSON Schema (``type: [..., "null"]``)."""
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _json_schema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") and "type" in node:
        out["type"] = [node["type"], "null"]
    return out


def _validator(spec: dict, name: str):
    """A JSON Schema validator (formats checked) for one component schema of the spec."""
    return jsonschema_rs.validator_for(
        {"$ref": f"#/components/schemas/{name}", "components": _json_schema(spec["components"])},
        validate_formats=True)


# --- timestamps ---------------------------------------------------------------------------------
def test_every_output_timestamp_is_a_utc_date_time_field():
    from backend.api import RESOURCE_MODULES
    from backend.api.common import OutSchema, UtcDateTime

    for name in RESOURCE_MODULES:
        importlib.import_module(name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    offenders = []
    for schema_cls in subclasses(OutSchema):
        for field_name, field in schema_cls._declared_fields.items():
            if isinstance(field, fields.DateTime) and not isinstance(field, UtcDateTime):
                offenders.append(f"{schema_cls.__name__}.{field_name}")
    assert offenders == [], "use UtcDateTime for output timestamps"


@pytest.mark.no_db
def test_utc_date_time_dumps_naive_and_aware_values_with_their_offset():
    from backend.api.common import UtcDateTime

    field = UtcDateTime()
    assert field._serialize(dt.datetime(2026, 11, 30, 8, 21, 36), "x", None) == "2026-11-30T08:21:36Z"
    assert field._serialize(dt.datetime(2026, 11, 30, 8, 21, 36, 120000), "x", None) == "2026-11-30T08:21:36.120000Z"
    stockholm = dt.timezone(dt.timedelta(hours=1))
    assert field._serialize(dt.datetime(2026, 11, 30, 9, 21, 36, tzinfo=stockholm), "x", None) == "2026-11-30T08:21:36Z"
    assert field._serialize(None, "x", None) is None


def test_timestamps_in_answers_carry_the_utc_offset(api, tenant, spec):
    admin = api(tenant.keys["admin"])
    company = admin.post("/api/v1/companies", json={"name": "Aurora Bakery"})
    assert company.status_code == 201
    key = admin.post("/api/v1/api-keys", json={"name": "pusher", "scopes": ["read"]}).json
    api(key["key"]).get("/api/v1/me")  # sets last_used_at
    revoked = admin.delete(f"/api/v1/api-keys/{key['id']}").json
    agency = admin.get("/api/v1/agency").json
    users = admin.get("/api/v1/users").json
    stamps = [company.json["created_at"], company.json["updated_at"], revoked["created_at"],
              revoked["last_used_at"], revoked["revoked_at"], agency["created_at"], users[0]["created_at"]]
    for stamp in stamps:
        assert RFC3339_UTC.match(stamp), stamp
        assert dt.datetime.fromisoformat(stamp).utcoffset() == dt.timedelta(0)
    assert spec["components"]["schemas"]["ApiKey"]["properties"]["revoked_at"]["format"] == "date-time"
    assert list(_validator(spec, "ApiKey").iter_errors(revoked)) == []
    assert list(_validator(spec, "Company").iter_errors(company.json)) == []


# --- errors -------------------------------------------------------------------------------------
def test_every_error_response_is_problem_json(spec):
    seen = set()
    for path, method, op in _operations(spec):
        responses = op["responses"]
        assert "default" in responses, (method, path)
        expected = {"401", "429"}
        if path != "/api/v1/me":
            expected.add("403")
        if "{" in path:
            expected.add("404")
        if "requestBody" in op:
            expected |= {"413", "415", "422"}
            if "application/json" in op["requestBody"]["content"]:
                expected.add("400")
        if any(p.get("in") == "query" for p in op.get("parameters", [])):
            expected.add("422")
        assert expected <= set(responses), (method, path, expected - set(responses))
        for status, response in responses.items():
            if status != "default" and int(status) < 400:
                continue
            seen.add(status)
            content = _resolve(spec, response)["content"]
            assert list(content) == [PROBLEM], (method, path, status)
            assert content[PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}, (method, path, status)
    assert {"default", "400", "401", "403", "404", "409", "413", "415", "422", "429"} <= seen
    assert "Error" not in spec["components"]["schemas"]  # flask-smorest's own error shape is gone


def test_problem_schema_describes_what_problem_sends(spec):
    schemas = spec["components"]["schemas"]
    problem = schemas["Problem"]
    assert set(problem["required"]) == {"type", "title", "status"}
    assert problem["properties"]["status"]["type"] == "integer"
    assert "additionalProperties" not in problem  # extras such as error_count are allowed
    for extra in ("error_count", "limit", "rows_not_checked", "current_revision", "current_version"):
        assert problem["properties"][extra]["type"] == "integer"
    item = _resolve(spec, problem["properties"]["errors"]["items"])
    assert set(item["required"]) == {"field", "message"}
    assert {"index", "row"} <= set(item["properties"])


def test_real_problems_match_the_problem_schema(api, tenant, spec, client):
    validator = _validator(spec, "Problem")
    admin = api(tenant.keys["admin"])
    company = tenant.company_a.id
    channel = admin.post(f"/api/v1/companies/{company}/channels", json={"key": "fb", "platform": "facebook"})
    assert channel.status_code == 201
    answers = [
        client.get("/api/v1/companies"),  # 401
        api(tenant.keys["read"]).post("/api/v1/companies", json={"name": "X"}),  # 403
        admin.get("/api/v1/companies/00000000-0000-0000-0000-000000000000"),  # 404
        admin.post("/api/v1/companies", json={"name": "X", "agency_id": "y"}),  # 422 with errors
        admin.patch(f"/api/v1/companies/{company}/channels/fb", json={"name": "Y", "version": 99}),  # 409
        admin.post("/api/v1/companies", data="name=x", content_type="text/plain"),  # 415
        admin.post("/api/v1/companies", data="{", content_type="application/json"),  # 400
        admin.post(f"/api/v1/companies/{company}/metrics", json={"points": [  # 422 with index, error_count
            {"channel": "nope", "metric": "followers", "date": "2024-01-01", "value": 1}]}),
        admin.post(f"/api/v1/companies/{company}/metrics/import", data="date,channel,metric,value\nx,fb,followers,1\n",
                   content_type="text/csv"),  # 422 with row
        admin.get(f"/api/v1/companies/{company}/metrics?metric=followers&from=2000-01-01&to=2100-12-31"),  # 422 limit
    ]
    statuses = [a.status_code for a in answers]
    assert statuses == [401, 403, 404, 422, 409, 415, 400, 422, 422, 422], statuses
    for answer in answers:
        assert answer.mimetype == PROBLEM
        body = answer.json
        assert list(validator.iter_errors(body)) == [], body
    assert answers[4].json["current_version"] == 1
    assert "index" in answers[7].json["errors"][0] and "row" in answers[8].json["errors"][0]


# --- schemas ------------------------------------------------------------------------------------
def _objects(schema: dict):
    """Every object schema inside ``schema`` (itself, nested properties, array items)."""
    if schema.get("type") == "object" or "properties" in schema:
        yield schema
    for child in (schema.get("properties") or {}).values():
        yield from _objects(child)
    if isinstance(schema.get("items"), dict):
        yield from _objects(schema["items"])


def test_request_bodies_are_inline_and_closed_response_schemas_are_open(spec):
    """Request bodies are written out in their operation (openapi-typescript would make a
    defaulted property of a shared component required: backend/api/__init__.py ReachboardSpec),
    every object in them forbids unknown fields; what the server sends does not."""
    schemas = spec["components"]["schemas"]
    response_refs, bodies = set(), 0
    for path, method, op in _operations(spec):
        body = (op.get("requestBody") or {}).get("content", {}).get("application/json")
        if body:
            bodies += 1
            assert "$ref" not in json.dumps(body), (method, path)
            for obj in _objects(body["schema"]):
                assert obj["additionalProperties"] is False, (method, path, obj)
        for response in op["responses"].values():
            for media in _resolve(spec, response).get("content", {}).values():
                schema = media["schema"]
                ref = schema.get("$ref") or schema.get("items", {}).get("$ref")
                if ref:
                    response_refs.add(ref.rsplit("/", 1)[1])
    assert bodies >= 15 and response_refs
    for name in response_refs:
        assert "additionalProperties" not in schemas[name], name
    # Nested output schemas do not forbid extras either; request schemas are not components.
    assert "additionalProperties" not in schemas["Progress"]
    assert not {"CompanyCreate", "KpiCreate", "GoalCreate", "StrategyPut"} & set(schemas)


def test_request_defaults_are_shown_and_never_required(spec):
    """Defaults the server applies are in the document, and a property with a default is never
    required (generated clients would demand it)."""
    def body(path, method):
        return spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]

    company = body("/api/v1/companies", "post")
    assert company["required"] == ["name"]
    assert {k: v.get("default") for k, v in company["properties"].items()} == {
        "name": None, "industry": "", "timezone": "UTC", "archived": False}
    assert body("/api/v1/api-keys", "post")["properties"]["scopes"]["default"] == ["metrics:write"]
    strategy = body("/api/v1/companies/{company_id}/strategy", "put")["properties"]
    assert strategy["review_cadence"]["default"] == "monthly" and strategy["status"]["default"] == "draft"
    assert body("/api/v1/companies/{company_id}/goals", "post")["properties"]["kpi"]["properties"]["channel"][
        "default"] == "all"
    for path, method, op in _operations(spec):
        content = (op.get("requestBody") or {}).get("content", {}).get("application/json")
        for obj in _objects(content["schema"]) if content else ():
            for name in obj.get("required", []):
                assert "default" not in obj["properties"][name], (method, path, name)


def test_method_and_dict_fields_are_typed(spec):
    schemas = spec["components"]["schemas"]
    assert schemas["User"]["properties"]["company_ids"]["type"] == "array"
    assert schemas["ApiKey"]["properties"]["created_by"]["nullable"] is True
    assert schemas["Revision"]["properties"]["changed_fields"]["items"] == {"type": "string"}
    assert schemas["Me"]["properties"]["agency"] == {"$ref": "#/components/schemas/AgencyRef"}


def test_no_content_answers_are_bare(api, tenant):
    admin = api(tenant.keys["admin"])
    company = admin.post("/api/v1/companies", json={"name": "Short-lived"}).json
    resp = admin.delete(f"/api/v1/companies/{company['id']}")
    assert resp.status_code == 204
    assert resp.data == b"" and "Content-Type" not in resp.headers


# --- links --------------------------------------------------------------------------------------
def test_links_name_existing_operations_and_their_path_parameters(spec):
    by_id = {op["operationId"]: (path, op) for path, _method, op in _operations(spec)}
    assert len(by_id) == sum(1 for _ in _operations(spec))  # operationIds are unique
    count = 0
    for path, method, op in _operations(spec):
        for response in op["responses"].values():
            for name, link in _resolve(spec, response).get("links", {}).items():
                count += 1
                target_path, _target = by_id[link["operationId"]]
                needed = set(re.findall(r"{(\w+)}", target_path))
                assert needed == set(link["parameters"]), (method, path, name)
                for expression in link["parameters"].values():
                    assert re.match(r"^\$(response\.body#/\w+|request\.path\.\w+)$", expression), expression
    links = spec["paths"]["/api/v1/companies"]["post"]["responses"]["201"]["links"]
    assert {links[n]["operationId"] for n in ("getCompany", "updateCompany", "deleteCompany")} == {
        "getCompany", "updateCompany", "deleteCompany"}
    assert links["createChannel"]["parameters"] == {"company_id": "$response.body#/id"}
    assert count >= 30


# --- docs assets --------------------------------------------------------------------------------
def test_docs_assets_answer_every_kind_of_visitor(app, tenant, login_as, api):
    visitors = {
        "anonymous": app.test_client(),
        "staff session": login_as(tenant, "owner"),
        "client viewer session": login_as(tenant, "viewer"),
        "admin key": api(tenant.keys["admin"]),
        "company key": api(tenant.keys["company_a:write"]),
        "metrics key": api(tenant.keys["metrics:write"]),
    }
    for who, visitor in visitors.items():
        for name in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
            resp = visitor.get(f"/api/v1/docs/assets/{name}")
            assert resp.status_code == 200, (who, name, resp.status_code)
            assert len(resp.data) > 1000
            resp.close()
        assert visitor.get("/api/v1/docs").status_code == 200, who
        assert visitor.get("/api/v1/openapi.json").status_code == 200, who
        missing = visitor.get("/api/v1/docs/assets/nothing-here.js")
        assert missing.status_code == 404, who


# --- what the fuzzing found -----------------------------------------------------------------------
def test_a_revision_number_beyond_32_bits_is_404_not_a_database_error(api, tenant, spec):
    """PostgreSQL refused the lookup ("integer out of range": 500); the route now stops at the
    column's maximum, which the spec states."""
    admin = api(tenant.keys["admin"])
    base = f"/api/v1/companies/{tenant.company_a.id}/strategy/revisions"
    for number in ("2147483647", "2147483648", "9223372036854775808", "99999999999999999999"):
        resp = admin.get(f"{base}/{number}")
        assert resp.status_code == 404 and resp.mimetype == PROBLEM, (number, resp.status_code)
    assert admin.get(f"{base}/0").status_code == 200
    params = spec["paths"]["/api/v1/companies/{company_id}/strategy/revisions/{revision}"]["parameters"]
    assert {p["name"]: p["schema"] for p in params}["revision"] == {"type": "integer", "minimum": 0,
                                                                    "maximum": 2147483647}


def test_a_company_listed_twice_for_a_new_person_is_422_not_a_database_error(api, tenant, spec):
    """Schemathesis (make fuzz, seed 1796034853): POST /users with the same company twice was a
    500 (UNIQUE client_access). The API refuses it; the spec says uniqueItems."""
    company = str(tenant.company_a.id)
    resp = api(tenant.keys["admin"]).post("/api/v1/users", json={
        "email": "twice@acme.test", "role": "viewer", "company_ids": [company, company]})
    assert resp.status_code == 422 and resp.mimetype == PROBLEM, resp.status_code
    assert resp.json["errors"] == [{"field": "company_ids", "message": "A company is listed twice."}]
    body = spec["paths"]["/api/v1/users"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["company_ids"]["uniqueItems"] is True


def test_sums_of_huge_values_stay_valid_json(api, tenant):
    import json

    admin = api(tenant.keys["admin"])
    base = f"/api/v1/companies/{tenant.company_a.id}"
    for key in ("fb", "ig"):
        assert admin.post(f"{base}/channels", json={"key": key, "platform": "facebook"}).status_code == 201
    points = [{"channel": key, "metric": "reach", "date": "2026-01-01", "value": 1.7e308} for key in ("fb", "ig")]
    push = admin.post(f"{base}/metrics", json={"points": points})
    # Refused at the door (a day's value is at most 1e15), so no sum can overflow.
    assert push.status_code == 422 and push.json["errors"][0]["field"] == "value", push.json
    points = [{"channel": key, "metric": "reach", "date": "2026-01-01", "value": 1e15} for key in ("fb", "ig")]
    assert admin.post(f"{base}/metrics", json={"points": points}).status_code == 200
    read = admin.get(f"{base}/metrics?metric=reach&channel=all&from=2026-01-01&to=2026-01-07")
    assert read.status_code == 200
    body = json.loads(read.get_data(as_text=True), parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))
    assert body["series"][0]["points"][0]["value"] == 2e15


@pytest.mark.skipif(not on_postgres(), reason="PostgreSQL only: SQLite serialises the writers")
def test_revoking_a_key_whose_company_is_deleted_meanwhile(api, tenant, app, monkeypatch):
    """Found by schemathesis with two workers: DELETE /companies/{id} and DELETE /api-keys/{key
    of that company} at the same moment. Made deterministic: the key's row is deleted by another
    connection while the revoke is under way."""
    from backend.extensions import db
    from backend.models import ApiKey
    from backend.services import api_keys

    admin = api(tenant.keys["admin"])
    key_id = tenant.key_ids["company_a:write"]
    record = api_keys.audit.record

    def record_then_lose_the_row(*args, **kwargs):
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as other:
            other.execute(ApiKey.__table__.delete().where(ApiKey.__table__.c.id == key_id))
        return record(*args, **kwargs)

    monkeypatch.setattr(api_keys.audit, "record", record_then_lose_the_row)
    resp = admin.delete(f"/api/v1/api-keys/{key_id}")
    assert resp.status_code == 404, resp.status_code


# --- names, servers, headers ----------------------------------------------------------------------
OPERATION_IDS = {
    "getMe", "getAgency", "updateAgency", "getBranding", "updateBranding", "getLogo", "uploadLogo",
    "listCompanies", "createCompany", "getCompany", "updateCompany", "deleteCompany",
    "listUsers", "createUser", "getUser", "updateUser", "deleteUser",
    "listApiKeys", "createApiKey", "getApiKey", "revokeApiKey",
    "listChannels", "createChannel", "getChannel", "updateChannel", "deleteChannel",
    "listMetricDefinitions", "createMetricDefinition",
    "getStrategy", "saveStrategy", "listStrategyRevisions", "getStrategyRevision",
    "listGoals", "createGoal", "getGoal", "updateGoal", "deleteGoal",
    "listCampaigns", "createCampaign", "getCampaign", "updateCampaign", "deleteCampaign",
    "readMetrics", "pushMetrics", "summariseMetrics", "importMetrics", "exportMetrics",
    "listMetricPoints", "deleteMetrics",
    "listShareLinks", "createShareLink", "revokeShareLink",
    "listReportSchedules", "createReportSchedule", "getReportSchedule", "updateReportSchedule",
    "deleteReportSchedule",
    "listReports", "createReport", "getReport", "updateReport", "deleteReport", "downloadReportPdf", "sendReport",
    "listAlerts", "markAlertRead", "markAllAlertsRead",
    "listAlertRules", "createAlertRule", "getAlertRule", "updateAlertRule", "deleteAlertRule",
    "listWebhooks", "createWebhook", "getWebhook", "updateWebhook", "deleteWebhook", "rotateWebhookSecret",
    "listWebhookDeliveries", "resendWebhookDelivery",
    "listTopics", "createTopic", "getTopic", "updateTopic", "deleteTopic",
    "listMentions", "pushMentions", "listUnansweredMentions", "exportMentions", "importMentions",
    "eraseMentionAuthor", "getMention", "updateMention", "deleteMention",
}


def test_operation_ids_are_the_stable_readable_names(spec):
    """Generated clients name their functions after these: renaming one breaks integrators."""
    assert {op["operationId"] for _path, _method, op in _operations(spec)} == OPERATION_IDS


def test_servers_is_the_serving_host(spec):
    assert spec["servers"] == [{"url": "/", "description": "The server that serves this document"}]


def _headers(spec, path, method, status):
    headers = _resolve(spec, spec["paths"][path][method]["responses"][status]).get("headers", {})
    return {name: _resolve(spec, header) for name, header in headers.items()}


IDEMPOTENT_OPERATIONS = ("pushMetrics", "importMetrics", "createShareLink", "createReportSchedule", "createReport",
                         "sendReport", "createWebhook", "createAlertRule", "pushMentions", "importMentions")


def test_response_headers_are_documented(spec):
    components = spec["components"]["headers"]
    assert components["X-Pagination"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PaginationMetadata"}
    pagination = spec["components"]["schemas"]["PaginationMetadata"]
    assert set(pagination["required"]) == {"total", "total_pages", "page", "page_size"}
    assert set(pagination["properties"]) == {"total", "total_pages", "page", "page_size", "previous_page",
                                             "next_page"}
    lists = 0
    for path, method, op in _operations(spec):
        names = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
        success = next(s for s in op["responses"] if s.startswith("2"))
        headers = _headers(spec, path, method, success)
        assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(headers), (method, path)
        if "page" in names:
            lists += 1
            assert headers["X-Pagination"]["required"] is True, (method, path)
        else:
            assert "X-Pagination" not in headers, (method, path)
        assert ("Idempotent-Replayed" in headers) == (op["operationId"] in IDEMPOTENT_OPERATIONS)
        unauthorized = _headers(spec, path, method, "401")
        assert unauthorized["WWW-Authenticate"]["required"] is True
        limited = _headers(spec, path, method, "429")
        assert {name for name, h in limited.items() if h["required"]} == {
            "Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"}
        assert not any(h.get("required") for h in headers.values() if h.get("schema", {}).get("type") == "integer")
    assert lists == 16  # + listTopics
    strategy = "/api/v1/companies/{company_id}/strategy"
    for method in ("get", "put"):
        assert _headers(spec, strategy, method, "200")["ETag"]["required"] is True
    assert "If-Match" in {p["name"] for p in spec["paths"][strategy]["put"]["parameters"] if p["in"] == "header"}
    export = "/api/v1/companies/{company_id}/metrics/export"
    assert _headers(spec, export, "get", "200")["Content-Disposition"]["required"] is True


def test_the_csv_import_documents_its_body(spec):
    body = spec["paths"]["/api/v1/companies/{company_id}/metrics/import"]["post"]["requestBody"]
    assert body["required"] is True and list(body["content"]) == ["text/csv"]
    assert body["content"]["text/csv"]["schema"]["format"] == "binary"


# --- the response hook (tests/support/openapi_check.py) ------------------------------------------
def test_the_response_hook_catches_what_the_document_does_not_say(spec):
    from flask import Response
    from openapi_check import ResponseChecker

    checker = ResponseChecker(spec)
    path = "/api/v1/companies/00000000-0000-0000-0000-000000000000"
    company = {"id": "00000000-0000-0000-0000-000000000000", "name": "A", "industry": "", "timezone": "UTC",
               "archived": False, "version": 1, "created_at": "2026-11-30T08:21:36Z",
               "updated_at": "2026-11-30T08:21:36Z"}
    ok = Response(json.dumps(company), mimetype="application/json")
    assert checker.problems("GET", path, ok) == []
    assert checker.problems("GET", path, Response(json.dumps({**company, "created_at": "yesterday"}),
                                                  mimetype="application/json"))
    assert checker.problems("GET", path, Response(json.dumps(company), status=409, mimetype=PROBLEM))
    assert checker.problems("GET", path, Response(json.dumps(company), mimetype="text/html"))
    assert checker.problems("GET", path, Response(json.dumps(company), mimetype="application/json",
                                                  headers={"X-Secret": "1"}))
    assert checker.problems("GET", path, Response(json.dumps(company), mimetype="application/json",
                                                  headers={"RateLimit-Limit": "many"}))
    listing = Response("[]", mimetype="application/json")
    assert checker.problems("GET", "/api/v1/companies", listing) == ["required header 'X-Pagination' is missing"]
    listing.headers["X-Pagination"] = json.dumps({"total": 0, "total_pages": 0, "page": 1})
    assert checker.problems("GET", "/api/v1/companies", listing)  # page_size is missing
    bare = Response(status=204)
    del bare.headers["Content-Type"]
    assert checker.problems("DELETE", path, bare) == []
    assert checker.problems("DELETE", path, Response("{}", status=204, mimetype="application/json"))
    # Not an operation: only its errors are held to the problem schema.
    assert checker.problems("GET", "/api/v1/nothing", Response("<p>", status=404, mimetype="text/html"))
    assert checker.problems("GET", "/dashboard/", Response("<p>", mimetype="text/html")) == []


def test_every_property_and_parameter_is_typed(spec):
    """A generator turns an untyped property into ``Any``/``unknown``: every one has a type (or
    is a reference, or a choice of typed ones)."""
    untyped = []

    def walk(node, where):
        if isinstance(node, dict):
            for name, prop in (node.get("properties") or {}).items():
                if not {"type", "$ref", "anyOf", "oneOf", "allOf"} & set(prop):
                    untyped.append(f"{where}.{name}")
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}[{i}]")

    walk(spec, "#")
    for path, method, op in _operations(spec):
        for parameter in op.get("parameters", []):
            if not {"type", "$ref"} & set(parameter.get("schema", {})):
                untyped.append(f"{method} {path} {parameter['name']}")
    assert untyped == []
