"""Front-end assets served by the app itself (no CDN): Bootstrap 5 from the Bootstrap-Flask
package, shared by the server-rendered pages and the Dash dashboard."""
from pathlib import Path

import flask_bootstrap
from flask import Blueprint, abort, send_from_directory

BOOTSTRAP_DIR = Path(flask_bootstrap.__file__).resolve().parent / "static" / "bootstrap5"
FILES = {
    "bootstrap.min.css": "css/bootstrap.min.css",
    "bootstrap.min.js": "js/bootstrap.min.js",
    "popper.min.js": "umd/popper.min.js",
    "bootstrap-icons.min.css": "css/font/bootstrap-icons.min.css",
}

bp = Blueprint("vendor", __name__)

BOOTSTRAP_CSS_URL = "/vendor/bootstrap.min.css"


@bp.get("/favicon.ico")
def favicon():
    """For browsers (and tools) that ask for the icon at the root; pages name it in their head."""
    return send_from_directory(Path(__file__).resolve().parent / "static", "favicon.ico", max_age=86400)


@bp.get("/vendor/<path:filename>")
def asset(filename: str):
    if filename.startswith("fonts/"):
        return send_from_directory(BOOTSTRAP_DIR / "css" / "font", filename, max_age=86400)
    if filename not in FILES:
        abort(404)
    return send_from_directory(BOOTSTRAP_DIR, FILES[filename], max_age=86400)
