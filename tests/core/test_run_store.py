"""The run store keeps a tab's runs across a reload: for ttl_s after the tab was last seen —
a script run or a live view polling one of its jobs — and within a memory cap."""

from __future__ import annotations

import time

from core.jobs.runs import RunStore


class _Job:
    """The part of a job the store reads: state, epoch, size, heartbeat, stop."""

    def __init__(self, state: str = "running", epoch: int = 3, size: int = 1000) -> None:
        self.state, self.epoch, self.size = state, epoch, size
        self.last_touch = time.monotonic()
        self.stopped = False

    def retained_bytes(self) -> int:
        return self.size

    def stop(self) -> None:
        self.stopped = True
        self.state = "stopped"


class _Registry:
    def __init__(self, **jobs: _Job) -> None:
        self._jobs = jobs

    def jobs(self) -> list[tuple[str, _Job]]:
        return list(self._jobs.items())


def _store(ttl_s: float = 0.2, memory_bytes: int = 10**9) -> RunStore:
    return RunStore(ttl_s, memory_bytes, sweep_every_s=3600)


def test_a_returning_tab_gets_its_own_registry_and_configs_back() -> None:
    store = _store(ttl_s=60)
    first = _Registry(playground=_Job())
    store.claim("tab-a", first, {"playground": {"lr": 0.1}})
    entry = store.claim("tab-a", _Registry(), {})
    assert entry.registry is first and entry.configs == {"playground": {"lr": 0.1}}
    assert store.claim("tab-b", _Registry(), {}).registry is not first


def test_a_run_its_live_view_keeps_polling_outlives_the_ttl() -> None:
    store = _store()
    job = _Job()
    store.claim("tab", _Registry(playground=job), {})
    for _ in range(4):  # no script run for 2 ttl, but the feed touches the job
        time.sleep(0.1)
        job.last_touch = time.monotonic()
        store.sweep()
    assert len(store) == 1 and not job.stopped


def test_a_tab_gone_for_the_ttl_is_let_go_with_a_note() -> None:
    store = _store()
    job = _Job(state="paused", epoch=457)
    store.claim("tab", _Registry(playground=job), {})
    time.sleep(0.3)
    store.sweep()
    assert len(store) == 0 and job.stopped
    note = store.note_for("tab")
    assert note is not None and "playground (epoch 457)" in note
    assert store.note_for("tab") is None  # said once


def test_over_the_memory_cap_the_least_recent_idle_tab_goes_first_never_a_training_one() -> None:
    store = _store(ttl_s=60, memory_bytes=2500)
    oldest_training = _Job(state="running", size=1000)
    older_idle, newer_idle = _Job(state="paused", size=1000), _Job(state="finished", size=1000)
    for tab, job in [("a", oldest_training), ("b", older_idle), ("c", newer_idle)]:
        store.claim(tab, _Registry(playground=job), {})
        time.sleep(0.01)
        job.last_touch = time.monotonic()
    store.sweep()
    assert (oldest_training.stopped, older_idle.stopped, newer_idle.stopped) == (
        False, True, False)
    assert "make room" in (store.note_for("b") or "")
