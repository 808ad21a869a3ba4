"""/manage/outbox (development only): the outbox's .eml files of the viewer's agency only, newest
first; one message with its HTML in a sandboxed frame and its plain part; 404 when the setting
is off (production), 403 for members and client viewers."""
from __future__ import annotations

import html


def _send(app, agency_id, subject, to="client@example.com", **extra):
    from backend.jobs import mail

    with app.app_context():
        return mail.send(to=[to], subject=subject, text="Hello there", agency_id=agency_id,
                         html='<p onclick="steal()">Hello <b>there</b></p><script>x()</script>', **extra)


def test_the_outbox_lists_and_shows_only_the_agencys_messages(app, tenants, outbox, login_as):
    from backend.services.mail import Attachment

    acme, globex = tenants
    _send(app, acme.agency_id, "Acme October", attachments=[Attachment("r.pdf", "application/pdf", b"%PDF-1.4")])
    _send(app, globex.agency_id, "Globex secret", to="ceo@globex.example.com")
    _send(app, None, "System notice")
    newest = _send(app, acme.agency_id, "Acme November")
    owner = login_as(acme, "owner")
    body = owner.get("/manage/outbox").get_data(as_text=True)
    assert body.index("Acme November") < body.index("Acme October")  # newest first
    assert "client@example.com" in body and "Outbox</a>" in body
    assert "Globex secret" not in body and "ceo@globex" not in body and "System notice" not in body
    names = sorted(p.name for p in outbox.iterdir())
    acme_newest, globex_name, system_name = names[3], names[1], names[2]
    assert acme_newest.endswith(f"-{newest.message_id}.eml")
    page = owner.get(f"/manage/outbox/{acme_newest}")
    assert page.status_code == 200
    shown = page.get_data(as_text=True)
    assert "Hello there" in shown and "reachboard@localhost" in shown
    # The HTML part only inside a frame with no permissions, escaped into its srcdoc.
    assert 'sandbox=""' in shown and "<script>x()</script>" not in shown
    assert html.escape("<script>x()</script>") in shown
    for name in (globex_name, system_name, "20260101T000000000000Z-nothing.eml", "..%2Fsecret_key"):
        assert owner.get(f"/manage/outbox/{name}").status_code == 404, name
    assert "Acme October" in login_as(acme, "admin").get("/manage/outbox").get_data(as_text=True)
    assert "Globex secret" in login_as(globex, "owner").get("/manage/outbox").get_data(as_text=True)


def test_members_and_client_viewers_are_refused_and_production_has_no_outbox(app, tenants, outbox, login_as, api):
    from config import DevelopmentConfig, ProductionConfig

    acme, _ = tenants
    _send(app, acme.agency_id, "Acme report")
    name = next(outbox.iterdir()).name
    for role in ("member", "viewer"):
        client = login_as(acme, role)
        for path in ("/manage/outbox", f"/manage/outbox/{name}"):
            resp = client.get(path)
            assert resp.status_code == 403, (role, path)
            assert "Acme report" not in resp.get_data(as_text=True)
    assert "Outbox</a>" not in login_as(acme, "member").get("/manage/companies").get_data(as_text=True)
    assert api(acme.keys["admin"]).get("/manage/outbox").status_code == 403
    assert ProductionConfig.MAIL_OUTBOX_PAGE is False and DevelopmentConfig.MAIL_OUTBOX_PAGE is True
    owner = login_as(acme, "owner")
    app.config["MAIL_OUTBOX_PAGE"] = False  # as in production
    try:
        assert owner.get("/manage/outbox").status_code == 404
        assert owner.get(f"/manage/outbox/{name}").status_code == 404
        assert "Outbox</a>" not in owner.get("/manage/companies").get_data(as_text=True)
    finally:
        app.config["MAIL_OUTBOX_PAGE"] = True
