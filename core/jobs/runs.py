"""Runs kept across a page reload: the server remembers each browser tab's jobs (and the
page setups that made them) for `ttl_s` after the tab was last seen, within a memory cap. A tab
that comes back finds its run — running, paused or finished — with its weights and curves.
What had to be let go (too old, or to make room) leaves a note the tab sees when it returns.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

NOTE_KEEP_S = 24 * 3600


@dataclass
class Entry:
    registry: Any
    """The tab's job registry (playground.jobs.SessionJobs): `.jobs()` lists (name, job)."""
    configs: dict[str, Any] = field(default_factory=dict)
    seen: float = field(default_factory=time.monotonic)

    def last_seen(self) -> float:
        """The tab's last sign of life: a script run, or a live view polling one of its jobs
        (a long run redraws through its own feed, without a script run for hours)."""
        touches = [getattr(job, "last_touch", 0.0) for _, job in self.registry.jobs()]
        return max([self.seen, *touches])


def job_bytes(job: Any) -> int:
    """Memory a job keeps in this process: what a remote job reports, else its weights about
    four times over (weights, gradients, optimizer state, best copy) plus its checkpoints."""
    retained = getattr(job, "retained_bytes", None)
    if retained is not None:
        return int(retained())
    params = sum(p.numel() * p.element_size() for p in job.model.parameters())
    checkpoints = sum(t.numel() * t.element_size() for _, t in list(job.checkpoints))
    return 4 * params + checkpoints + 600 * len(job.history)


def _describe(entry: Entry) -> str:
    runs = [f"{name} (epoch {job.epoch:,})" for name, job in entry.registry.jobs()
            if job.epoch]
    return ", ".join(runs) if runs else "an untrained setup"


class RunStore:
    def __init__(self, ttl_s: float, memory_bytes: int, sweep_every_s: float = 10.0):
        self.ttl_s, self.memory_bytes = ttl_s, memory_bytes
        self._entries: dict[str, Entry] = {}
        self._notes: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()
        self._sweeper = threading.Thread(target=self._sweep_forever, args=(sweep_every_s,),
                                         daemon=True, name="playground-run-store")
        self._sweeper.start()

    def claim(self, tab: str, registry: Any, configs: dict[str, Any]) -> Entry:
        """The tab's entry: the stored one when the tab comes back (the caller adopts its
        registry and configs), else a new one holding `registry`."""
        with self._lock:
            entry = self._entries.get(tab)
            if entry is None:
                entry = self._entries[tab] = Entry(registry, dict(configs))
            entry.seen = time.monotonic()
        self.sweep()
        return entry

    def seen(self, tab: str, configs: dict[str, Any]) -> None:
        with self._lock:
            entry = self._entries.get(tab)
            if entry is not None:
                entry.seen = time.monotonic()
                entry.configs = dict(configs)

    def note_for(self, tab: str) -> str | None:
        """A one-time message for a tab whose run was let go."""
        with self._lock:
            note = self._notes.pop(tab, None)
        return None if note is None else note[1]

    def __len__(self) -> int:
        return len(self._entries)

    def used_bytes(self) -> int:
        with self._lock:
            entries = list(self._entries.values())
        return sum(job_bytes(job) for e in entries for _, job in e.registry.jobs())

    def sweep(self) -> None:
        """Let go of entries unseen for ttl_s, then of the least recently seen ones (never a
        job still training) while the kept runs hold more than the memory cap."""
        now = time.monotonic()
        dropped: list[tuple[str, Entry, str]] = []
        with self._lock:
            last_seen = {tab: entry.last_seen() for tab, entry in self._entries.items()}
            for tab in list(self._entries):
                if now - last_seen[tab] > self.ttl_s:
                    dropped.append((tab, self._entries.pop(tab), "after "
                                    f"{self.ttl_s / 60:g} minutes away"))
            sizes = {tab: sum(job_bytes(j) for _, j in e.registry.jobs())
                     for tab, e in self._entries.items()}
            total = sum(sizes.values())
            for tab, entry in sorted(self._entries.items(), key=lambda kv: last_seen[kv[0]]):
                if total <= self.memory_bytes:
                    break
                if any(j.state in ("running", "stepping", "starting", "queued")
                       for _, j in entry.registry.jobs()):
                    continue
                total -= sizes[tab]
                dropped.append((tab, self._entries.pop(tab),
                                "to make room on the server for other students' runs"))
            for tab, entry, why in dropped:
                self._notes[tab] = (now, f"Your earlier run — {_describe(entry)} — was let "
                                         f"go {why}.")
            self._notes = {t: n for t, n in self._notes.items() if now - n[0] < NOTE_KEEP_S}
        for _, entry, _ in dropped:
            for _, job in entry.registry.jobs():
                job.stop()

    def _sweep_forever(self, every_s: float) -> None:
        while True:
            time.sleep(every_s)
            self.sweep()
