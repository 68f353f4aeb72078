"""Shared AppTest plumbing: no training thread may outlive its test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.train import Job


@pytest.fixture
def started_jobs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Job]]:
    """Every Job whose thread a test starts; all are stopped and joined at teardown."""
    jobs: list[Job] = []
    original = Job.start

    def start(self: Job, paused: bool = False) -> bool:
        jobs.append(self)
        return original(self, paused)

    monkeypatch.setattr(Job, "start", start)
    yield jobs
    for job in jobs:
        job.stop(wait=True)
    alive = [job for job in jobs if job._thread is not None and job._thread.is_alive()]
    assert not alive, f"{len(alive)} training thread(s) outlived the test"
