"""Login throttling holds across gunicorn workers when the counters live in Redis.

gunicorn (2 workers, production settings, REDIS_URL on 127.0.0.1:6379 db 7 with a key prefix
of its own) with LOGIN_RATE_LIMIT="6 per minute" and LOGIN_ACCOUNT_RATE_LIMIT="4 per minute":

(a) one address, ten unknown e-mails, one fresh connection each: exactly the first 6 answer 401,
    the rest 429, and the answers came from both workers (each connection's server end is
    traced to its worker through /proc), so the count is shared, not per process;
(b) one real account, a different X-Forwarded-For address on every attempt (PROXY_COUNT=1):
    four wrong passwords answer 401, then even the right password answers 429.

Skipped when Redis does not answer (REACHBOARD_TEST_REDIS_URL, default redis://127.0.0.1:6379/7),
unless REACHBOARD_REQUIRE_REDIS=1. Only keys under this
run's prefix are deleted (never FLUSHDB/FLUSHALL).
"""
from __future__ import annotations

import http.client
import os
import re
import uuid
from urllib.parse import urlencode

import pytest
from conftest import PASSWORD, build_tenant
from live_server import Gunicorn, server_pid_of

pytestmark = pytest.mark.slow

REDIS_URL = os.environ.get("REACHBOARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
ADDRESS_LIMIT = 6
ACCOUNT_LIMIT = 4


@pytest.fixture
def redis_prefix():
    """A Redis key prefix for this test alone; its keys are deleted before and after."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        message = f"Redis does not answer at {REDIS_URL} ({exc}): test skipped."
        if os.environ.get("REACHBOARD_REQUIRE_REDIS") == "1":
            pytest.fail(message + " — REACHBOARD_REQUIRE_REDIS=1 demands it.", pytrace=False)
        pytest.skip(message)
    prefix = f"rb-test-{uuid.uuid4().hex[:12]}"

    def clean() -> int:
        keys = list(client.scan_iter(match=f"*{prefix}*", count=500))
        if keys:
            client.delete(*keys)
        return len(keys)

    clean()
    yield prefix, clean
    clean()
    client.close()


class FormClient:
    """Cookies kept by hand (the production session cookie is Secure, which cookie jars do not
    send over plain http), one fresh connection per request, and which worker answered."""

    def __init__(self, server: Gunicorn):
        self.server = server
        self.cookies: dict[str, str] = {}
        self.pids = server.worker_pids()

    def request(self, method: str, path: str, fields: dict | None = None,
                headers: dict | None = None) -> tuple[int, str, int | None]:
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        try:
            hdrs = dict(headers or {})
            if self.cookies:
                hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            body = None
            if fields is not None:
                body = urlencode(fields)
                hdrs["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            text = resp.read().decode("utf-8", "replace")
            # Still open (keep-alive): find the worker that holds the other end.
            pid = server_pid_of(conn.sock, self.server.port, self.pids) if conn.sock else None
            for cookie in resp.headers.get_all("Set-Cookie") or []:
                name, _, value = cookie.split(";", 1)[0].partition("=")
                self.cookies[name.strip()] = value.strip()
            return resp.status, text, pid
        finally:
            conn.close()

    def csrf_token(self) -> str:
        status, text, _ = self.request("GET", "/login")
        assert status == 200, text[:300]
        match = re.search(r'name="csrf_token" value="([^"]+)"', text)
        assert match, "no csrf_token field on /login"
        return match.group(1)

    def login(self, email: str, password: str, token: str, address: str | None = None):
        headers = {"X-Forwarded-For": address} if address else {}
        return self.request("POST", "/login", {"csrf_token": token, "email": email, "password": password},
                            headers)


def test_login_limits_are_shared_by_the_workers_through_redis(app, tmp_path, redis_prefix):
    prefix, clean = redis_prefix
    tenant = build_tenant(app, "Throttle Agency")
    email = tenant.emails["member"]
    server = Gunicorn(str(app.config["SQLALCHEMY_DATABASE_URI"]), tmp_path / "gunicorn.log", workers=2, env={
        "REDIS_URL": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
        "RATELIMIT_ENABLED": "1",
        "LOGIN_RATE_LIMIT": f"{ADDRESS_LIMIT} per minute",
        "LOGIN_ACCOUNT_RATE_LIMIT": f"{ACCOUNT_LIMIT} per minute",
        "PROXY_COUNT": "1",
    })
    try:
        server.start()
        client = FormClient(server)
        assert len(client.pids) == 2, client.pids
        token = client.csrf_token()

        # (a) Per address: ten unknown e-mails from one address, one connection each. The kernel
        # hands each connection to either worker; a round that happened to land on one worker
        # alone proves nothing, so it is repeated (from another address) until both answered.
        for round_no in range(5):
            address = None if round_no == 0 else f"192.0.2.{round_no}"  # first round: 127.0.0.1
            answers = [client.login(f"nobody{round_no}-{i}@unknown.test", "wrong-password", token, address)
                       for i in range(10)]
            statuses = [status for status, _, _ in answers]
            pids = [pid for _, _, pid in answers]
            print(f"per address {address or '127.0.0.1'}: statuses {statuses}, workers {pids}")
            assert statuses == [401] * ADDRESS_LIMIT + [429] * (10 - ADDRESS_LIMIT), (statuses, server.log_tail())
            assert None not in pids, f"could not trace every connection to a worker: {pids}"
            if len(set(pids)) == 2:
                break
        else:
            pytest.fail("in 5 rounds of 10 connections, one worker answered every round alone")
        # The counters are in Redis, under this run's prefix.
        assert clean() > 0, "no rate-limit keys under the prefix in Redis"

        # (b) Per account: wrong passwords from a new address each time, then the right one.
        answers = [client.login(email, "not-the-password", token, address=f"203.0.113.{i + 1}")
                   for i in range(ACCOUNT_LIMIT)]
        status, text, pid = client.login(email, PASSWORD, token, address="203.0.113.99")
        answers.append((status, text, pid))
        statuses = [s for s, _, _ in answers]
        print(f"per account: statuses {statuses}, workers {[p for _, _, p in answers]}")
        assert statuses == [401] * ACCOUNT_LIMIT + [429], (statuses, server.log_tail())

        # Another account is untouched, from an address with budget left: the right password logs in.
        status, _, _ = client.login(tenant.emails["admin"], PASSWORD, token, address="198.51.100.7")
        assert status == 302
    finally:
        server.stop()
