"""The outbox (development only): what the outbox mail backend would have sent for the agency.
Production has no such page (404): there mail goes to the SMTP server."""
from __future__ import annotations

from flask import abort, current_app, render_template

from ..services.outbox import OUTBOX_MESSAGE, outbox_message, outbox_messages
from .blueprint import bp, needs

PAGE_SIZE = 100


def _page_enabled() -> None:
    if not current_app.config.get("MAIL_OUTBOX_PAGE"):
        abort(404)


@bp.get("/outbox")
@needs("admin", OUTBOX_MESSAGE)
def outbox():
    """The agency's messages in the outbox, newest first."""
    _page_enabled()
    return render_template("admin/outbox.html", messages=outbox_messages(limit=PAGE_SIZE), limit=PAGE_SIZE,
                           section="outbox")


@bp.get("/outbox/<message_name>")
@needs("admin", OUTBOX_MESSAGE)
def outbox_show(message_name: str):
    """One message: headers, the HTML part in a sandboxed frame, the plain part, the attachments."""
    _page_enabled()
    return render_template("admin/outbox_message.html", message=outbox_message(message_name), section="outbox")
