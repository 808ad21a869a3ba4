"""Render deploy/nginx/reachboard.conf.template into PREFIX/nginx.conf.

    python deploy/nginx/render.py --listen 0.0.0.0:80 --upstream 127.0.0.1:8000 \
        --prefix /var/lib/reachboard-nginx
    nginx -p /var/lib/reachboard-nginx -e /var/lib/reachboard-nginx/logs/error.log \
        -c /var/lib/reachboard-nginx/nginx.conf

``render(listen, upstream, prefix)`` does the same from Python (the tests use it) and returns
the path of the written nginx.conf. See docs/production.md.
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path

TEMPLATE = Path(__file__).resolve().with_name("reachboard.conf.template")
TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def render(listen: str, upstream: str, prefix: str | Path) -> Path:
    """Write PREFIX/nginx.conf (and create PREFIX/logs, PREFIX/tmp); return its path."""
    prefix = Path(prefix).resolve()
    for value, name in ((listen, "listen"), (upstream, "upstream")):
        if not re.fullmatch(r"[\w.\-\[\]:]+", value):
            raise ValueError(f"{name} must be host:port or a port, got {value!r}")
    if re.search(r"[\s;{}#'\"]", str(prefix)):
        raise ValueError(f"prefix must not contain spaces or nginx syntax: {prefix}")
    text = TEMPLATE.read_text()
    for placeholder, value in (("@LISTEN@", listen), ("@UPSTREAM@", upstream), ("@PREFIX@", str(prefix))):
        text = text.replace(placeholder, value)
    left = sorted(set(re.findall(r"@[A-Z_]+@", text)))
    if left:
        raise ValueError(f"template placeholders left unfilled: {', '.join(left)}")
    # 0755: when nginx starts as root its workers (user nobody) must reach the temp dirs.
    for folder in (prefix, prefix / "logs", prefix / "tmp"):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o755)
    path = prefix / "nginx.conf"
    path.write_text(text)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", required=True, help="address:port nginx listens on, e.g. 0.0.0.0:80")
    parser.add_argument("--upstream", required=True, help="host:port of gunicorn, e.g. 127.0.0.1:8000")
    parser.add_argument("--prefix", required=True, help="writable directory for nginx.conf, pid, temp files, logs")
    args = parser.parse_args(argv)
    path = render(args.listen, args.upstream, args.prefix)
    prefix = path.parent
    print(path)
    print(f"start: nginx -p {prefix} -e {prefix}/logs/error.log -c {path}")


if __name__ == "__main__":
    main()
