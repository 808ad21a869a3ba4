"""gunicorn on loopback, as ``make run`` starts it, and a small keep-alive HTTP client."""
from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_environment(database_url: str, secret_key: str) -> dict[str, str]:
    """The production settings, with rate limits out of the way (a benchmark pushes hard)."""
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": secret_key,
        "REACHBOARD_ENV": "production",
        "RATELIMIT_ENABLED": "0",
        "PUSH_RATE_LIMIT": "1000000 per minute",
        "API_RATE_LIMIT": "1000000 per minute",
        "LOG_LEVEL": "WARNING",
    }


class Gunicorn:
    """``gunicorn -c gunicorn.conf.py wsgi:app`` with WEB_WORKERS workers on a free port."""

    def __init__(self, database_url: str, log_path: Path, workers: int = 2):
        self.port = free_port()
        self.secret_key = secrets.token_urlsafe(32)
        self.env = {**os.environ, **app_environment(database_url, self.secret_key),
                    "PORT": str(self.port), "WEB_WORKERS": str(workers)}
        self.env.pop("REDIS_URL", None)
        # As make run's launcher (backend/launcher.py) and the systemd units start gunicorn.
        self.env.setdefault("MALLOC_ARENA_MAX", "2")
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _command(self) -> list[str]:
        script = Path(sys.executable).with_name("gunicorn")
        head = [str(script)] if script.exists() else [sys.executable, "-m", "gunicorn"]
        return head + ["-c", "gunicorn.conf.py", "wsgi:app"]

    def start(self, timeout: float = 60) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self._command(), cwd=ROOT, env=self.env, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.log_path}")
            try:
                client = HttpClient(self.port)
                status, _ = client.request("GET", "/healthz")
                client.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Launcher(Gunicorn):
    """``python -m backend.launcher``, as ``make run`` serves: gunicorn and the job consumer side by
    side, stopped together. Its own job queue (``jobs_path``, SQLite as make run's), loopback
    webhooks allowed over plain http (the soak's receiver), e-mail to an outbox folder beside the log."""

    def __init__(self, database_url: str, log_path: Path, jobs_path: Path, workers: int = 2):
        super().__init__(database_url, log_path, workers)
        for stale in (jobs_path, jobs_path.with_name(jobs_path.name + "-wal"),
                      jobs_path.with_name(jobs_path.name + "-shm")):
            stale.unlink(missing_ok=True)
        self.env.update({"JOBS_BACKEND": "sqlite", "JOBS_SQLITE_PATH": str(jobs_path),
                         "WEBHOOKS_ALLOW_LOOPBACK": "1", "WEBHOOKS_REQUIRE_HTTPS": "0",
                         "MAIL_BACKEND": "outbox", "MAIL_OUTBOX_DIR": str(log_path.parent / "soak-outbox")})
        self.env.pop("JOBS_IMMEDIATE", None)

    def _command(self) -> list[str]:
        return [sys.executable, "-m", "backend.launcher"]

    def child(self, marker: str, timeout: float = 30) -> int:
        """The pid of the launcher's child whose command line holds ``marker`` (gunicorn's master:
        "gunicorn"; the consumer: "backend.worker")."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for pid in child_pids(self.proc.pid):
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        if marker.encode() in f.read():
                            return pid
                except OSError:
                    continue
            time.sleep(0.2)
        raise RuntimeError(f"the launcher has no {marker} process; see {self.log_path}")

    def stop(self) -> None:
        """SIGTERM, as systemd or a terminal's Ctrl-C would: the launcher stops both children
        cleanly (the consumer finishes its jobs), then exits."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def child_pids(pid: int) -> list[int]:
    """Direct children of ``pid``, from every process's /proc/<pid>/stat (ppid is field 4)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()  # after "(comm)", which may hold spaces
        if len(fields) > 1 and int(fields[1]) == pid:
            out.append(int(entry))
    return sorted(out)


class HttpClient:
    """One keep-alive HTTP/1.1 connection (lighter than requests, so the client's own cost stays
    out of the figures as far as possible)."""

    def __init__(self, port: int, headers: dict[str, str] | None = None):
        self.port = port
        self.headers = headers or {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        hdrs = {**self.headers, **(headers or {})}
        try:
            self.conn.request(method, path, body=body, headers=hdrs)
            resp = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            self.conn.request(method, path, body=body, headers=hdrs)
            resp = self.conn.getresponse()
        return resp.status, resp.read()

    def close(self) -> None:
        self.conn.close()
