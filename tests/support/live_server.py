"""Real servers for the slow tests: gunicorn started exactly as ``make run`` does
(``gunicorn -c gunicorn.conf.py wsgi:app``, production settings) and nginx from
deploy/nginx/reachboard.conf.template, each on a free loopback port, plus small raw-socket HTTP
helpers (no client library between the test and the wire).

Used by tests/platform/test_slow_clients.py, tests/platform/test_login_limits_cluster.py,
tests/api/test_idempotency_crash.py and (``serve_in_thread``: the app in this process)
tests/api/test_generated_clients.py.
"""
from __future__ import annotations

import http.client
import importlib.util
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_tool(name: str, require_env: str, hint: str) -> str:
    """Path of ``name`` (PATH, then /usr/sbin for non-root PATHs); skip without it, unless the
    environment variable ``require_env`` is "1" (CI), which turns the skip into a failure."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path:
        return path
    message = f"'{name}' is not installed (not on PATH): test skipped. {hint}"
    if os.environ.get(require_env) == "1":
        pytest.fail(f"{message} — {require_env}=1 demands it.", pytrace=False)
    pytest.skip(message)


def _stop_group(proc: subprocess.Popen | None, sig: int, timeout: float) -> None:
    """Signal the process, wait, then SIGKILL its whole process group (it was started with
    start_new_session, so the group holds exactly it and its children)."""
    if proc is None:
        return
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # leftover workers, if any
    except (ProcessLookupError, PermissionError):
        pass
    if proc.poll() is None:
        proc.wait(timeout=10)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class Gunicorn:
    """``gunicorn -c gunicorn.conf.py wsgi:app`` under REACHBOARD_ENV=production on a free port."""

    def __init__(self, database_url: str, log_path: Path, env: dict[str, str] | None = None,
                 workers: int = 2, threads: int = 4):
        self.port = free_port()
        self.log_path = log_path
        self.env = {**os.environ}
        for name in ("REDIS_URL", "RATELIMIT_KEY_PREFIX", "GUNICORN_CMD_ARGS", "PROXY_COUNT"):
            self.env.pop(name, None)
        self.env.update({
            "REACHBOARD_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "DATABASE_URL": database_url,
            "PORT": str(self.port),
            "WEB_WORKERS": str(workers),
            "WEB_THREADS": str(threads),
            "LOG_LEVEL": "WARNING",
        })
        self.env.update(env or {})
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        script = Path(sys.executable).with_name("gunicorn")
        head = [str(script)] if script.exists() else [sys.executable, "-m", "gunicorn"]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(head + ["-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                                         env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        wait_until_healthy(self.port, timeout, self.proc, self.log_path, "gunicorn")

    def worker_pids(self) -> set[int]:
        return child_pids(self.proc.pid) if self.proc else set()

    def stop(self) -> None:
        _stop_group(self.proc, signal.SIGTERM, timeout=15)

    def log_tail(self) -> str:
        return _tail(self.log_path)


class Nginx:
    """nginx from the rendered template (deploy/nginx/render.py), in the foreground, on a free
    port, with its pid file, temp files and logs under a fresh prefix directory."""

    def __init__(self, binary: str, upstream_port: int):
        self.binary = binary
        self.port = free_port()
        self.upstream_port = upstream_port
        # Not under pytest's 0700 tmp dirs: started as root, nginx's workers run as nobody and
        # must reach the prefix (render() makes it 0755).
        self.prefix = Path(tempfile.mkdtemp(prefix="rb-nginx-"))
        self.proc: subprocess.Popen | None = None

    @property
    def error_log(self) -> Path:
        return self.prefix / "logs" / "error.log"

    def start(self, timeout: float = 20) -> None:
        conf = load_render()(f"127.0.0.1:{self.port}", f"127.0.0.1:{self.upstream_port}", self.prefix)
        with open(self.prefix / "logs" / "stderr.log", "wb") as out:
            self.proc = subprocess.Popen(
                [self.binary, "-p", str(self.prefix), "-e", str(self.error_log), "-c", str(conf)],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until_healthy(self.port, timeout, self.proc, self.error_log, "nginx")

    def stop(self) -> None:
        _stop_group(self.proc, signal.SIGTERM, timeout=10)  # TERM = fast shutdown
        shutil.rmtree(self.prefix, ignore_errors=True)

    def log_tail(self) -> str:
        return _tail(self.error_log) + "\n" + _tail(self.prefix / "logs" / "stderr.log")


def load_render():
    """``render(listen, upstream, prefix)`` from deploy/nginx/render.py (a script, not a package)."""
    spec = importlib.util.spec_from_file_location("rb_nginx_render", ROOT / "deploy" / "nginx" / "render.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.render


def wait_until_healthy(port: int, timeout: float, proc: subprocess.Popen, log: Path, name: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n{_tail(log)}")
        status, _, _ = timed_get(port, "/healthz", timeout=2)
        if status == 200:
            return
        time.sleep(0.2)
    raise RuntimeError(f"{name} did not answer /healthz within {timeout:.0f} s:\n{_tail(log)}")


def timed_get(port: int, path: str, headers: dict[str, str] | None = None,
              timeout: float = 5) -> tuple[int | None, float, bytes]:
    """GET over a fresh connection: (status or None on timeout/error, seconds, body)."""
    start = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, time.monotonic() - start, body
    except OSError:  # refused, reset, or socket.timeout (a subclass)
        return None, time.monotonic() - start, b""
    finally:
        conn.close()


def child_pids(parent: int) -> set[int]:
    """Processes whose parent is ``parent`` (gunicorn's workers), from /proc."""
    from bench.soak.probes import children

    return set(children(parent))


def server_pid_of(client: socket.socket, server_port: int, pids: set[int]) -> int | None:
    """Which of ``pids`` holds the server end of this open loopback connection (the gunicorn
    worker that accepted it), found through /proc/net/tcp and /proc/<pid>/fd; None if unknown."""
    client_port = client.getsockname()[1]
    inode = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    local_port = int(cols[1].rsplit(":", 1)[1], 16)
                    remote_port = int(cols[2].rsplit(":", 1)[1], 16)
                    if local_port == server_port and remote_port == client_port:
                        inode = cols[9]
                        break
        except OSError:
            continue
        if inode:
            break
    if not inode or inode == "0":
        return None
    target = f"socket:[{inode}]"
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                    return pid
            except OSError:
                continue
    return None


def serve_in_thread(app):
    """``with serve_in_thread(app) as base_url:`` the app on a free loopback port (werkzeug,
    threaded) in this process, so it shares the session's database; stopped on exit."""
    import contextlib
    import threading

    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            pass

    @contextlib.contextmanager
    def serving():
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
        thread = threading.Thread(target=server.serve_forever, name="live-app", daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            thread.join(timeout=10)
            from backend.extensions import db

            with app.app_context():
                db.session.remove()
                db.engine.dispose()

    return serving()
