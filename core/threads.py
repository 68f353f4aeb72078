"""One process-wide CPU thread budget shared by every running job.

`torch.set_num_threads` is process-wide, and on a small machine oversubscription is brutal:
measured on 2 cores, torch's default 2 intra-op threads run 3-4x slower than 1 thread as soon as
anything else is busy (the UI, a chart, another session's job), while 1 thread on a quiet box
costs only 1.1-1.65x. So the budget is (cores - reserve) / running jobs, never below 1.

torch.set_num_threads changes only the calling thread's count (OpenMP keeps one per thread), so
a change bumps a generation number and every job re-applies the budget in its own thread before
its next batch (`sync`, a cheap integer comparison when nothing changed).
"""

from __future__ import annotations

import os
import threading

import torch


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


class ThreadBudget:
    def __init__(self, cores: int | None = None, reserve: int = 0):
        self.cores = cores or available_cores()
        self.reserve = reserve
        self._running = 0
        self._generation = 0
        self._lock = threading.Lock()
        self._local = threading.local()

    def configure(self, *, reserve: int | None = None, cores: int | None = None) -> None:
        """The app reserves a core for the UI; the headless CLI reserves none."""
        with self._lock:
            if reserve is not None:
                self.reserve = reserve
            if cores is not None:
                self.cores = cores
            self._apply()

    def threads_for(self, running: int) -> int:
        return max(1, (self.cores - self.reserve) // max(1, running))

    @property
    def running(self) -> int:
        with self._lock:  # never seen between the count changing and the threads being set
            return self._running

    def acquire(self) -> None:
        with self._lock:
            self._running += 1
            self._apply()

    def release(self) -> None:
        with self._lock:
            self._running = max(0, self._running - 1)
            self._apply()

    def _apply(self) -> None:
        self._generation += 1
        self._set(self.threads_for(self._running))

    def _set(self, threads: int) -> None:
        self._local.generation = self._generation
        self._local.threads = threads
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)

    def sync(self) -> int:
        """Apply the current budget in the calling thread; returns its thread count."""
        if getattr(self._local, "generation", None) != self._generation:
            with self._lock:
                self._set(self.threads_for(self._running))
        return self._local.threads


BUDGET = ThreadBudget()
"""The process's budget; jobs use it unless given their own."""
