"""``make run``'s one command: gunicorn and the job consumer side by side, stopped together.

``python -m backend.launcher`` starts ``gunicorn -c gunicorn.conf.py wsgi:app`` and ``python -m
backend.worker`` with this environment, each in its own process group, so the terminal's Ctrl-C
reaches this process alone and each child is asked to stop the way it stops cleanly: gunicorn with
SIGTERM (finishes its requests), the consumer with SIGINT (finishes its jobs); a second Ctrl-C
stops both at once. When either child exits by itself, the other is stopped too and the launcher
exits with the first one's status; on SIGINT or SIGTERM it exits 0 once both have stopped
(anything left after STOP_TIMEOUT is killed). On Linux a child also gets SIGTERM if the launcher
dies without cleaning up (PR_SET_PDEATHSIG).

Production runs gunicorn and the consumers as separate services instead (deploy/systemd/).
"""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MALLOC_ARENA_MAX = "2"
# Longer than the consumer's graceful stop (backend/worker.py: 60 s for running jobs).
STOP_TIMEOUT = 75.0
# What stops each child at once (a second Ctrl-C): gunicorn's quick shutdown, the consumer's
# immediate stop (a running job is enqueued again).
HURRY = {"web": signal.SIGINT, "worker": signal.SIGTERM}


def commands() -> dict[str, tuple[list[str], int]]:
    """name -> (argv, the signal that stops it cleanly)."""
    return {
        "web": ([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], signal.SIGTERM),
        "worker": ([sys.executable, "-m", "backend.worker"], signal.SIGINT),
    }


def child_environment() -> dict[str, str]:
    """This environment, with glibc's malloc held to MALLOC_ARENA_MAX pools per process (2 unless
    set): by default every thread gets its own pool, and memory freed in one stays held there. The
    soak measured gthread workers on SQLite holding ever more freed memory (issue 19, docs/operations.md)."""
    return {**os.environ, "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", DEFAULT_MALLOC_ARENA_MAX)}


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def main() -> int:
    stop_requested: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        stop_requested.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    procs: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    for name, (argv, stop_signal) in commands().items():
        preexec = _die_with_parent if sys.platform.startswith("linux") else None
        procs[name] = (subprocess.Popen(argv, cwd=ROOT, env=child_environment(), process_group=0,
                                        preexec_fn=preexec), stop_signal)
        print(f"launcher: started {name} (pid {procs[name][0].pid}): {' '.join(argv[1:])}", flush=True)

    first_exit: tuple[str, int] | None = None
    while not stop_requested and first_exit is None:
        for name, (proc, _) in procs.items():
            if proc.poll() is not None:
                first_exit = (name, proc.returncode)
                break
        else:
            time.sleep(0.2)

    reason = f"{first_exit[0]} exited with status {first_exit[1]}" if first_exit else \
        f"received {signal.Signals(stop_requested[0]).name}"
    print(f"launcher: {reason}; stopping the others", flush=True)
    for proc, stop_signal in procs.values():
        if proc.poll() is None:
            proc.send_signal(stop_signal)
    signals_seen = len(stop_requested)
    deadline = time.monotonic() + STOP_TIMEOUT
    while any(proc.poll() is None for proc, _ in procs.values()) and time.monotonic() < deadline:
        if len(stop_requested) > signals_seen:  # a second Ctrl-C: stop now, not gracefully
            signals_seen = len(stop_requested)
            print("launcher: stopping now", flush=True)
            for name, (proc, _) in procs.items():
                if proc.poll() is None:
                    proc.send_signal(HURRY[name])
        time.sleep(0.1)
    for name, (proc, _) in procs.items():
        if proc.poll() is None:
            print(f"launcher: {name} did not stop within {STOP_TIMEOUT:.0f} s; killing it", flush=True)
            proc.kill()
        proc.wait()
    if first_exit is not None:
        return first_exit[1] if first_exit[1] >= 0 else 128 - first_exit[1]
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
