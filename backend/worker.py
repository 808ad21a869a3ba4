"""The job consumer: ``python -m backend.worker`` (``make run`` starts it beside gunicorn;
production runs one or more: deploy/systemd/). It builds the app once with ``create_app`` — the
same settings as gunicorn — and runs Huey's consumer on the queue those settings name:
``JOBS_WORKERS`` worker threads and the scheduler that enqueues the periodic jobs, which
therefore run in consumers only, never in gunicorn.

SIGINT stops it gracefully: running jobs may finish for up to SHUTDOWN_TIMEOUT seconds; SIGTERM
stops it at once. Either way a job still running is enqueued again (jobs are idempotent) — only
SIGKILL loses it. Locks left by a consumer killed mid-job are cleared at start.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from .reporting import pdf as pdf_renderer

SHUTDOWN_TIMEOUT = 60.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.worker", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=None, help="worker threads (default: JOBS_WORKERS)")
    parser.add_argument("--no-periodic", action="store_true",
                        help="run no scheduler for periodic jobs (a consumer that only takes queued jobs)")
    parser.add_argument("--import", dest="modules", action="append", default=[], metavar="MODULE",
                        help="also import MODULE, whose jobs this consumer then runs (repeatable)")
    args = parser.parse_args(argv)

    from backend import create_app
    from backend.jobs import huey
    from backend.jobs.upkeep import LOCK

    app = create_app()
    for module in args.modules:
        importlib.import_module(module)
    if huey.immediate:
        print("JOBS_IMMEDIATE is on: jobs run where they are enqueued; there is nothing to consume",
              file=sys.stderr)
        return 2
    logging.getLogger("huey").setLevel(logging.INFO)
    # WeasyPrint's layout holds the interpreter's lock for seconds: in a child process it no longer
    # holds up the other jobs (a webhook delivery waited out every PDF's layout in issue 19's soak).
    pdf_renderer.use_layout_process()
    workers = args.workers or int(app.config["JOBS_WORKERS"])
    consumer = huey.create_consumer(workers=max(workers, 1), worker_type="thread", periodic=not args.no_periodic,
                                    flush_locks=True, extra_locks=LOCK, check_worker_health=True,
                                    shutdown_timeout=SHUTDOWN_TIMEOUT)
    logging.getLogger("reachboard.jobs").info(
        "consumer of queue %r (%s) with %d worker(s); periodic jobs %s", huey.name,
        type(huey.storage).__name__, workers, "off" if args.no_periodic else "on")
    consumer.run()
    if not pdf_renderer.shutdown():
        logging.getLogger("reachboard.jobs").warning(
            "the PDF renderer's browser did not close (it died first); leaving without waiting for it")
        logging.shutdown()
        os._exit(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
