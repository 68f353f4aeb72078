"""Admission: at most `limit` jobs of a server hold a worker at once; the others wait in a
first-come queue and see their place. A paused job gives its worker back when someone waits
(it is parked: weights and optimizer state kept, relaunched on Train), so an idle tab never
keeps a student waiting."""

from __future__ import annotations

import threading
from collections import deque
from typing import Protocol


class Admitted(Protocol):
    def admitted(self) -> None: ...
    def wants_slot(self) -> bool: ...
    def park_if_idle(self) -> None: ...
    def set_threads(self, threads: int) -> None: ...


class Admission:
    def __init__(self, limit: int, cores: int = 1, reserve: int = 0, max_threads: int = 1):
        self.limit = max(1, limit)
        self.cores, self.reserve, self.max_threads = cores, reserve, max_threads
        self._holders: list[Admitted] = []
        self._queue: deque[Admitted] = deque()
        self._lock = threading.Lock()

    def request(self, job: Admitted) -> bool:
        """True: the job may start its worker now. False: it waits (see place())."""
        with self._lock:
            if job in self._holders:
                return True
            if len(self._holders) < self.limit and not self._queue:
                self._holders.append(job)
                granted = True
            else:
                if job not in self._queue:
                    self._queue.append(job)
                granted = False
            holders = list(self._holders)
        if granted:
            self._rebalance(holders)
        else:
            for holder in holders:
                holder.park_if_idle()
        return granted

    def release(self, job: Admitted) -> None:
        """The job's worker is gone (or it left the queue): admit whoever is next."""
        granted: list[Admitted] = []
        with self._lock:
            if job in self._holders:
                self._holders.remove(job)
            if job in self._queue:
                self._queue.remove(job)
            while self._queue and len(self._holders) < self.limit:
                nxt = self._queue.popleft()
                if nxt.wants_slot():
                    self._holders.append(nxt)
                    granted.append(nxt)
            holders = list(self._holders)
        for nxt in granted:
            nxt.admitted()
        self._rebalance(holders)

    def place(self, job: Admitted) -> int | None:
        """1 for the next in line; None when not waiting."""
        with self._lock:
            try:
                return self._queue.index(job) + 1
            except ValueError:
                return None

    def waiting(self) -> int:
        with self._lock:
            return len(self._queue)

    def holding(self) -> int:
        with self._lock:
            return len(self._holders)

    def threads_for(self, running: int) -> int:
        return max(1, min(self.max_threads, (self.cores - self.reserve) // max(1, running)))

    def _rebalance(self, holders: list[Admitted]) -> None:
        """Torch threads per worker: the cores shared by the workers that hold a slot."""
        threads = self.threads_for(len(holders))
        for holder in holders:
            holder.set_threads(threads)
