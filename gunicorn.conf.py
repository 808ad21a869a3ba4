"""gunicorn settings for `make run` (override with GUNICORN_CMD_ARGS or PORT/WEB_WORKERS/WEB_THREADS)."""
import os
import re

from gunicorn.glogging import Logger

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = 60
accesslog = "-"
# Method, path WITHOUT the query string, status, bytes, milliseconds. Never headers (API keys
# and session cookies travel there) and never query strings (someone may put a key there).
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
preload_app = False
# No shared $HOME/.gunicorn/gunicorn.ctl: several instances (tests, benchmarks) run side by side.
control_socket_disable = True

# Paths whose last part is a secret: set-password tokens and share links (/s/<token>).
_SECRET_PATHS = re.compile(r"^(/set-password/|/s/)[^/?]+")


class RedactingLogger(Logger):
    """Access-log atoms without request headers, query strings or one-time tokens in paths."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in [k for k in atoms if k.endswith("}i") or k.endswith("}e")]:
            del atoms[name]
        path = _SECRET_PATHS.sub(r"\1[redacted]", atoms.get("U") or "")
        atoms["U"] = path
        atoms["q"] = "[redacted]" if atoms.get("q") else ""
        atoms["r"] = f"{atoms.get('m')} {path} {atoms.get('H')}"
        atoms["f"] = "-"  # the referrer may carry a set-password token or a share link too
        return atoms


logger_class = RedactingLogger


def post_worker_init(worker):
    """SQLite: every worker starts the periodic WAL checkpointer; a file lock lets exactly one of
    them checkpoint at a time (backend/wal_checkpointer.py). Nothing on PostgreSQL."""
    from backend.wal_checkpointer import start_wal_checkpointer

    config = getattr(worker.wsgi, "config", None)
    if config is None:  # the app was wrapped in middleware: read the settings afresh
        from config import load_config

        config = load_config()
    start_wal_checkpointer(config)
