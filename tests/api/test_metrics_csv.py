"""CSV import (API and CLI, long and wide forms, row-numbered errors, all or nothing)."""
from __future__ import annotations

import datetime as dt

import pytest
from metrics_util import add_channels, count_points, metrics_url, stored


@pytest.fixture
def setup(app, tenant):
    add_channels(app, tenant)
    return tenant


def upload(client, t, text, content_type="text/csv", scope="write"):
    return client.post(f"{metrics_url(t.company_a)}/import", data=text.encode(),
                       headers={"Content-Type": content_type, "Authorization": f"Bearer {t.keys[scope]}"})


def test_long_form(app, client, setup):
    t = setup
    text = ("date,channel,metric,value\n2024-01-01,fb,followers,100\n2024-01-01,fb,reach,20.5\n"
            "2024-01-02,ig,followers,7\n")
    r = upload(client, t, text)
    assert r.status_code == 200, r.json
    assert r.json == {"rows": 3, "received": 3, "created": 3, "updated": 0, "unchanged": 0}
    r = upload(client, t, text.replace("20.5", "21"))
    assert r.json == {"rows": 3, "received": 3, "created": 0, "updated": 1, "unchanged": 2}
    assert stored(app, t)[("fb", "reach", "2024-01-01")] == 21.0


def test_wide_form_with_empty_cells_and_any_column_order(app, client, setup):
    t = setup
    text = "\ufeffchannel,date,followers,reach\r\nfb,2024-01-01,100,20\r\nig,2024-01-01,,5\r\n\r\n"
    r = upload(client, t, text)
    assert r.status_code == 200, r.json
    assert r.json["received"] == 3
    assert stored(app, t) == {("fb", "followers", "2024-01-01"): 100.0, ("fb", "reach", "2024-01-01"): 20.0,
                              ("ig", "reach", "2024-01-01"): 5.0}


def test_errors_name_the_row_and_nothing_is_written(app, client, setup):
    t = setup
    text = ("date,channel,metric,value\n"
            "2024-01-01,fb,followers,100\n"     # row 2: fine
            "2024-01-01,nope,followers,1\n"     # row 3
            "2024-01-01,fb,reach,lots\n"        # row 4
            "2024-02-30,fb,reach,1\n"           # row 5
            "2024-01-01,fb,followers,5\n"       # row 6: duplicate of row 2
            "2024-01-02,fb,reach\n")            # row 7: short
    r = upload(client, t, text)
    assert r.status_code == 422
    assert r.json["errors"] == [
        {"row": 3, "field": "channel", "message": "No channel 'nope' in this company."},
        {"row": 4, "field": "value", "message": "Must be a number."},
        {"row": 5, "field": "date", "message": "Not a real date; use YYYY-MM-DD."},
        {"row": 6, "field": "date", "message": "Duplicate of point 0: the same channel, metric and date "
                                               "appear twice in this batch."},
        {"row": 7, "field": "row", "message": "Expected 4 cells, got 3."},
    ]
    assert count_points(app, t) == 0


def test_wide_form_errors(app, client, setup):
    t = setup
    r = upload(client, t, "date,channel,followers,engagement_rate,nope\n2024-01-01,fb,1,2,3\n")
    assert r.status_code == 422
    assert [(e["row"], e["field"]) for e in r.json["errors"]] == [(1, "engagement_rate"), (1, "nope")]
    r = upload(client, t, "date,channel,followers,reach\n2024-01-01,zz,1,2\n2024-01-02,fb,-1,2\n")
    assert r.status_code == 422
    assert r.json["errors"] == [
        {"row": 2, "field": "channel", "message": "No channel 'zz' in this company."},
        {"row": 3, "field": "value", "message": "Must be 0 or more for the built-in metric 'followers'."},
    ]
    assert count_points(app, t) == 0


@pytest.mark.parametrize("text", ["", "when,where,what\n2024-01-01,fb,1\n", "date,channel,metric,value,extra\n"])
def test_unrecognised_files(client, setup, text):
    r = upload(client, setup, text)
    assert r.status_code == 422
    assert r.json["errors"][0]["row"] == 1


def test_import_content_type_and_rights(app, client, setup):
    t = setup
    text = "date,channel,metric,value\n2024-01-01,fb,followers,100\n"
    assert upload(client, t, text, content_type="application/json").status_code == 415
    assert upload(client, t, text, scope="read").status_code == 403
    r = client.post(f"{metrics_url(t.company_a)}/import", data=b"\xff\xfe\x00bad",
                    headers={"Content-Type": "text/csv", "Authorization": f"Bearer {t.keys['write']}"})
    assert r.status_code == 422
    assert count_points(app, t) == 0


# --- CLI ------------------------------------------------------------------------------------
def test_cli_import_reports_row_numbers_and_writes_nothing(app, runner, setup, tmp_path):
    t = setup
    path = tmp_path / "bad.csv"
    path.write_text("date,channel,followers,reach\n2024-01-01,fb,1,2\n2024-01-02,fb,x,2\n")
    result = runner.invoke(args=["import-metrics", "--company", str(t.company_a.id), str(path)])
    assert result.exit_code != 0
    assert "row 3 value: Must be a number." in result.output
    assert count_points(app, t) == 0
    result = runner.invoke(args=["import-metrics", "--company", "not-a-uuid", str(path)])
    assert result.exit_code != 0


@pytest.mark.slow
def test_cli_imports_200000_rows(app, runner, tenant, tmp_path):
    t = tenant
    channels = [f"ch{i}" for i in range(10)]
    add_channels(app, t, keys=channels)
    metrics = ["followers", "reach", "impressions", "engagements", "posts"]
    start = dt.date(2010, 1, 1)
    path = tmp_path / "big.csv"
    with path.open("w") as f:
        f.write("date,channel,metric,value\n")
        for day in range(4000):
            d = (start + dt.timedelta(days=day)).isoformat()
            for ch in channels:
                for m in metrics:
                    f.write(f"{d},{ch},{m},{day}\n")
    result = runner.invoke(args=["import-metrics", "--company", str(t.company_a.id), "--log-every", "50000",
                                 str(path)])
    assert result.exit_code == 0, result.output
    assert "200,000 rows read and checked" in result.output
    assert "Imported 200,000 points from 200,000 rows" in result.output
    assert "200,000 created, 0 updated, 0 unchanged" in result.output
    assert count_points(app, t) == 200_000
    values = stored(app, t)
    assert values[("ch7", "posts", (start + dt.timedelta(days=3999)).isoformat())] == 3999.0
