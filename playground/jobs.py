"""The session's training jobs: at most one runs at a time, and each dies with its session.

Streamlit keeps one `session_state` per browser tab. Jobs live there, keyed by the page that
owns them (and in the server's run store under the tab's id, so a reload finds them again: see
playground.tab_session). Where a job trains is the server's setting (core.jobs.settings): a
worker process by default, a thread in the server, or a Ray actor. A job stops itself when no
page has touched it for OWNER_TIMEOUT_S (the tab was closed); pressing play again then
continues from the same weights.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

import streamlit as st

from core.jobs.service import make_job
from core.jobs.settings import settings
from core.threads import BUDGET, available_cores

if TYPE_CHECKING:
    from core.config import RunConfig
    from core.train import Job

OWNER_TIMEOUT_S = settings().owner_timeout_s
BUSY = ("running", "stepping", "starting", "queued")
"""States in which a job uses (or waits for) a worker."""
_KEY = "_session_jobs"


class SessionJobs:
    """Per-session registry; the lock makes a double click on play start one thread, not two."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self.lock = threading.RLock()

    def get(self, name: str) -> Job | None:
        return self._jobs.get(name)

    def replace(self, name: str, job: Job | None) -> None:
        with self.lock:
            old = self._jobs.get(name)
            if old is not None and old is not job:
                old.stop()
            if job is None:
                self._jobs.pop(name, None)
            else:
                self._jobs[name] = job

    def jobs(self) -> list[tuple[str, Job]]:
        return list(self._jobs.items())

    def running(self) -> list[tuple[str, Job]]:
        return [(n, j) for n, j in self._jobs.items() if j.state in BUSY]

    def stop_all(self) -> None:
        for _, job in self.jobs():
            job.stop()

    def play(self, name: str, config: RunConfig | None = None) -> Job | None:
        """Resume `name`'s job (continuing a finished thread if needed), pausing any other."""
        with self.lock:
            for other, job in self.running():
                if other != name:
                    job.pause()
            job = self._jobs.get(name)
            if job is None:
                return None
            if job.done and job.state != "diverged":
                job = continue_job(job, config or job.config)
                self._jobs[name] = job
            job.resume()
            _settle(job)
            return job

    def step(self, name: str, config: RunConfig | None = None) -> Job | None:
        with self.lock:
            job = self._jobs.get(name)
            if job is not None and job.done and job.state != "diverged":
                job = continue_job(job, config or job.config)
                self._jobs[name] = job
            if job is not None and not job.done:
                job.step()
                _settle(job)
            return job


def _settle(job: Job, timeout_s: float = 15.0) -> None:
    """A worker takes a moment to start (a fork: ~0.1 s; the first of a server seconds, while
    its fork server imports torch); wait for it, so the page that
    redraws next sees the job training rather than 'starting'."""
    deadline = time.monotonic() + timeout_s
    while job.state == "starting" and time.monotonic() < deadline:
        time.sleep(0.01)


def session_jobs() -> SessionJobs:
    if _KEY not in st.session_state:
        st.session_state[_KEY] = SessionJobs()
    return st.session_state[_KEY]


def new_job(config: RunConfig, dataset=None, warm_start=None) -> Job:
    """A fresh job (not started yet) on the server's backend; raises ConfigError for an
    impossible network or one larger than the server allows.
    `warm_start`: pretrained weights to begin from (see core.train.Job)."""
    return make_job(config, dataset, owner_timeout_s=OWNER_TIMEOUT_S, warm_start=warm_start)


def continue_job(old: Job, config: RunConfig) -> Job:
    config = config.copy()
    if config.training.epochs <= old.epoch:
        config.training.epochs = old.epoch + max(100, old.config.training.epochs)
    return make_job(config, old.dataset, owner_timeout_s=OWNER_TIMEOUT_S, continue_from=old)


def configure_threads() -> None:
    """Keep one core for the UI on small machines (see core.threads), once per process."""
    if not getattr(configure_threads, "done", False):
        BUDGET.configure(reserve=1 if available_cores() <= 4 else 0)
        configure_threads.done = True  # type: ignore[attr-defined]


def queue_note(job) -> str | None:
    """Where a waiting job stands, in words; None when it is not waiting."""
    place = getattr(job, "queue_place", lambda: None)()
    if job is None or job.state != "queued" or place is None:
        return None
    ahead = "you are next" if place == 1 else f"{place - 1} ahead of you"
    return (f"Waiting for a free training slot: place {place} in the queue ({ahead}). This "
            "server trains a limited number of runs at once so that every run keeps moving; "
            "yours starts by itself.")


def adopt(registry: SessionJobs) -> None:
    """Make `registry` this session's (a reloaded tab taking its stored runs back)."""
    st.session_state[_KEY] = registry
