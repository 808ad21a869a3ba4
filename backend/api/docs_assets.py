"""Serve the Swagger UI files from the installed swagger-ui-bundle package (no CDN)."""
from pathlib import Path

import swagger_ui_bundle
from flask import Blueprint, abort, send_from_directory

ASSETS_DIR = Path(swagger_ui_bundle.swagger_ui_path)
ALLOWED = {"swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js",
           "favicon-32x32.png", "favicon-16x16.png"}

bp = Blueprint("api_docs_assets", __name__)


@bp.get("/api/v1/docs/assets/<path:filename>")
def asset(filename: str):
    if filename not in ALLOWED:
        abort(404)
    return send_from_directory(ASSETS_DIR, filename, max_age=86400)
