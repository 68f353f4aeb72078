"""Shared AppTest plumbing: no training thread may outlive its test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.jobs.remote import RemoteJob
from core.train import Job


@pytest.fixture
def own_cache(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Downloads and uploads go to this test's own cache folder, never a shared one."""
    monkeypatch.setenv("PLAYGROUND_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def started_jobs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Job]]:
    """Every Job whose thread a test starts; all are stopped and joined at teardown."""
    jobs: list[Job] = []
    for cls in (Job, RemoteJob):  # in the server's process, or in a worker process
        monkeypatch.setattr(cls, "start", _recording(cls.start, jobs))
    yield jobs
    for job in jobs:
        job.stop(wait=True)
    alive = [job for job in jobs if not job.join(10)]
    assert not alive, f"{len(alive)} training thread(s) or worker(s) outlived the test"


def _recording(original, jobs: list):
    def start(self, paused: bool = False) -> bool:
        if self not in jobs:
            jobs.append(self)
        return original(self, paused)

    return start
