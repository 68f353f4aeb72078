"""Jobs as Ray actors, for a school: the UI servers stay light and the training runs on a Ray
cluster (a GPU node can take the CNN lessons). Chosen by PLAYGROUND_JOBS=ray or
PLAYGROUND_RAY_ADDRESS (see core.jobs.settings); `ray` is optional (requirements-ray.txt).

Each job is one actor holding a `JobHost`; the server's `RayChannel` polls it for update batches
(10 per second) and fetches a weight frame when a page draws. The `core` package travels to the
cluster with the job (runtime_env py_modules), so the cluster only needs the requirements.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

import torch

import core
from core.jobs.host import JobHost

POLL_S = 0.1
_init_lock = threading.Lock()


class JobActor:
    """Runs inside the Ray worker: a JobHost plus a mailbox of messages for the server."""

    def __init__(self, spec: dict[str, Any]):
        self.host = JobHost(spec)
        self.ended = False

    def command(self, name: str, *args: Any) -> None:
        self.host.command(name, *args)

    def poll(self) -> list[tuple[str, Any]]:
        if self.ended:
            return []
        if self.host.finished():
            self.ended = True
            return [("update", self.host.update(force=True)),
                    ("handover", self.host.job.handover())]
        update = self.host.update()
        return [] if update is None else [("update", update)]

    def weights(self) -> tuple[list[torch.Tensor], int, int]:
        state, epoch, step = self.host.weights()
        return list(state.values()), epoch, step


def ensure_ray(address: str | None = None, **init_kwargs: Any) -> None:
    """Connect once per process: to `address` (a cluster), or start a local Ray."""
    import ray  # optional (requirements-ray.txt): only the Ray backend needs it

    with _init_lock:
        if ray.is_initialized():
            return

        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 runtime_env={"py_modules": [str(Path(core.__file__).parent)]},
                 **init_kwargs)


class RayChannel:
    def __init__(self, spec: dict[str, Any], like: list[torch.Tensor]):
        import ray  # optional (requirements-ray.txt): only the Ray backend needs it

        self._ray = ray
        gpus = 1 if spec["config"].training.device == "cuda" else 0
        actor_class = ray.remote(num_cpus=spec.get("threads", 1), num_gpus=gpus)(JobActor)
        self.actor = actor_class.remote(spec)
        self._inbox: deque[tuple] = deque()
        self._ended = False
        self._reason = "it ended without saying why"

    def send(self, *message: Any) -> None:
        if not self._ended:
            self.actor.command.remote(*message)

    def recv(self) -> tuple:
        while not self._inbox:
            if self._ended:
                raise EOFError("the actor's job ended")
            try:
                messages = self._ray.get(self.actor.poll.remote())
            except Exception as exc:  # noqa: BLE001 - a dead actor or a lost node
                self._ended = True
                self._reason = f"the Ray actor was lost: {type(exc).__name__}"
                raise EOFError(str(exc)) from exc
            self._inbox.extend(messages)
            if any(kind == "handover" for kind, _ in messages):
                self._ended = True
                self._reason = "it ended with its job"
            if not self._inbox:
                time.sleep(POLL_S)
        return self._inbox.popleft()

    def weights_into(self, targets: list[torch.Tensor]) -> tuple[int, int]:
        tensors, epoch, step = self._ray.get(self.actor.weights.remote())
        with torch.no_grad():
            torch._foreach_copy_(targets, tensors)
        return epoch, step

    def close(self) -> None:
        self._ended = True
        with contextlib.suppress(Exception):  # already gone
            self._ray.kill(self.actor)

    def gone_reason(self) -> str:
        return self._reason


class RayBackend:
    name = "ray"

    def __init__(self, address: str | None = None):
        self.address = address

    def open(self, spec: dict[str, Any], like: list[torch.Tensor]) -> RayChannel:
        ensure_ray(self.address)
        return RayChannel(spec, like)
