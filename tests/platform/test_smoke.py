def test_company_crud_and_scoping(tenants, api, login_as):
    acme, globex = tenants
    admin = api(acme.keys["admin"])
    r = admin.get("/api/v1/companies")
    assert r.status_code == 200, r.json
    assert {c["name"] for c in r.json} == {c.name for c in acme.companies}
    assert "X-Pagination" in r.headers
    r = admin.post("/api/v1/companies", json={"name": "New Co", "industry": "Tea"})
    assert r.status_code == 201, r.json
    cid = r.json["id"]
    r = api(globex.keys["admin"]).get(f"/api/v1/companies/{cid}")
    assert r.status_code == 404
    assert r.mimetype == "application/problem+json"
    r = admin.post("/api/v1/companies", json={"name": "X", "agency_id": str(globex.agency_id)})
    assert r.status_code == 422, r.json
    assert r.json["errors"][0]["field"] == "agency_id"
    viewer = login_as(acme, "viewer")
    r = viewer.get("/api/v1/companies")
    assert [c["name"] for c in r.json] == [acme.company_a.name]
    r = viewer.get(f"/api/v1/companies/{acme.company_b.id}")
    assert r.status_code == 404
    r = api(acme.keys["read"]).post("/api/v1/companies", json={"name": "Nope"})
    assert r.status_code == 403
