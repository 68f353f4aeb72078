"""Server settings for serving a room: read from environment variables when asked, so a test or
a workshop host can change them without code.

| Variable | Meaning (default) |
| --- | --- |
| PLAYGROUND_JOBS | `process` (a worker process per job), `thread` (in the server), `ray` |
| PLAYGROUND_RAY_ADDRESS | a Ray cluster (`ray://head:10001`, `auto`); setting it picks `ray` |
| PLAYGROUND_MAX_JOBS | jobs training at once per server; the rest queue (2 per core) |
| PLAYGROUND_MAX_JOB_PARAMS | largest network one job may train (5,000,000 parameters) |
| PLAYGROUND_WORKER_THREADS | most torch threads per worker; the free cores are shared (4) |
| PLAYGROUND_OWNER_TIMEOUT_S | a job whose page has not been seen this long ends itself (30 s) |
| PLAYGROUND_RUN_TTL_S | how long a closed or reloaded tab's run is kept (1800 s) |
| PLAYGROUND_RUN_MEMORY_MB | memory all kept runs of a server may hold (1024 MB) |
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from core.threads import available_cores

BACKENDS = ("process", "thread", "ray")


@dataclass(frozen=True)
class Settings:
    backend: str
    ray_address: str | None
    max_jobs: int
    max_job_params: int
    worker_threads: int
    owner_timeout_s: float
    run_ttl_s: float
    run_memory_bytes: int


def _int(name: str, default: int, low: int = 1) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(float(raw))
    except ValueError as exc:
        raise ValueError(f"{name}={raw!r} is not a number") from exc
    return max(low, value)


def settings() -> Settings:
    """The current settings (cheap: a few environment look-ups)."""
    ray_address = os.environ.get("PLAYGROUND_RAY_ADDRESS", "").strip() or None
    backend = os.environ.get("PLAYGROUND_JOBS", "").strip().lower()
    if not backend:
        backend = "ray" if ray_address else "process"
    if backend not in BACKENDS:
        raise ValueError(f"PLAYGROUND_JOBS={backend!r}: choose one of {', '.join(BACKENDS)}")
    return Settings(
        backend=backend, ray_address=ray_address,
        max_jobs=_int("PLAYGROUND_MAX_JOBS", 2 * available_cores()),
        max_job_params=_int("PLAYGROUND_MAX_JOB_PARAMS", 5_000_000),
        worker_threads=_int("PLAYGROUND_WORKER_THREADS", 4),
        owner_timeout_s=float(_int("PLAYGROUND_OWNER_TIMEOUT_S", 30)),
        run_ttl_s=float(_int("PLAYGROUND_RUN_TTL_S", 1800)),
        run_memory_bytes=_int("PLAYGROUND_RUN_MEMORY_MB", 1024) * 2**20,
    )
