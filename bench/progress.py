"""Progress lines on stderr that read well on a terminal and in a CI log alike."""
from __future__ import annotations

import sys
import time
from contextlib import contextmanager


class Progress:
    """``with progress.step("migrations"):`` prints the step and its duration; ``counter`` prints
    a running count every ~10% (one line each, so non-TTY logs show progress too)."""

    def __init__(self, prefix: str = "", stream=None, quiet: bool = False):
        self.prefix = prefix
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.started = time.perf_counter()
        self.steps: dict[str, float] = {}

    def child(self, prefix: str) -> Progress:
        p = Progress(prefix, self.stream, self.quiet)
        p.started = self.started
        p.steps = self.steps
        return p

    def say(self, message: str) -> None:
        if self.quiet:
            return
        elapsed = time.perf_counter() - self.started
        tag = f"[{self.prefix}] " if self.prefix else ""
        print(f"{elapsed:7.1f}s {tag}{message}", file=self.stream, flush=True)

    @contextmanager
    def step(self, label: str):
        self.say(f"{label} …")
        t0 = time.perf_counter()
        yield
        took = time.perf_counter() - t0
        self.steps[f"{self.prefix}: {label}" if self.prefix else label] = round(took, 2)
        self.say(f"{label}: done in {took:.1f} s")

    def counter(self, label: str, total: int) -> Counter:
        return Counter(self, label, total)


class Counter:
    def __init__(self, progress: Progress, label: str, total: int):
        self.progress = progress
        self.label = label
        self.total = max(total, 1)
        self.done = 0
        self.next_report = self.total / 10

    def add(self, n: int = 1) -> None:
        self.done += n
        if self.done >= self.next_report or self.done >= self.total:
            pct = 100 * self.done / self.total
            self.progress.say(f"  {self.label}: {self.done:,}/{self.total:,} ({pct:.0f}%)")
            while self.next_report <= self.done:
                self.next_report += self.total / 10
