"""gunicorn settings for `make run` (override with GUNICORN_CMD_ARGS or PORT/WEB_WORKERS)."""
import os

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = 60
accesslog = "-"
# The access log never shows the Authorization header; keys live only in headers.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
preload_app = False
