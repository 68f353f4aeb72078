"""The worker side of a job that trains outside the server: a `JobHost` owns one ordinary
`core.train.Job` and turns it into messages (commands in, update batches and weight frames out).
A worker process (`core.jobs.process`) and a Ray actor (`core.jobs.ray_backend`) both wrap it,
so the training itself is the same code, tests and numbers as in the server's own process."""

from __future__ import annotations

from typing import Any

import torch

from core.threads import ThreadBudget
from core.train import Job


class JobHost:
    """Builds the job from a spec: {"config", "dataset", "continue_from", "warm_start",
    "owner_timeout_s", "threads"}; the dataset arrives without its `featurize` (charts only)."""

    def __init__(self, spec: dict[str, Any]):
        threads = int(spec.get("threads", 1))
        torch.set_num_threads(threads)
        self.budget = ThreadBudget(cores=threads)
        self.job = Job(spec["config"], spec["dataset"], budget=self.budget,
                       owner_timeout_s=spec.get("owner_timeout_s"),
                       continue_from=spec.get("continue_from"),
                       warm_start=spec.get("warm_start"))
        self._sent_seq = 0
        self._sent_checkpoints: set[int] = set()
        self._last: tuple | None = None

    def command(self, name: str, *args: Any) -> None:
        job = self.job
        if name == "start":
            job.start(paused=bool(args[0]))
        elif name == "pause":
            job.pause()
        elif name == "resume":
            job.resume()
        elif name == "step":
            job.step(int(args[0]))
        elif name == "stop":
            job.stop()
        elif name == "touch":
            job.touch()
        elif name == "training":
            job.update_training(args[0])
        elif name == "threads":
            self.budget.configure(cores=max(1, int(args[0])))
        else:
            raise ValueError(f"unknown command {name!r}")

    def update(self, force: bool = False) -> dict[str, Any] | None:
        """What changed since the last update (new events, counters, state), or None."""
        job = self.job
        events = job.poll(self._sent_seq)
        if events:
            self._sent_seq = events[-1]["seq"]
        status = (job.state, job.epoch, job.step_count, job.paused)
        if not events and status == self._last and not force:
            return None
        self._last = status
        checkpoints = job.checkpoints
        new = [(e, t) for e, t in checkpoints if e not in self._sent_checkpoints]
        self._sent_checkpoints = {e for e, _ in checkpoints}
        return {"events": events, "state": job.state, "epoch": job.epoch,
                "step": job.step_count, "paused": job.paused, "outcome": job.outcome,
                "progress": job.progress(), "best_epoch": job.best_epoch,
                "checkpoint_epochs": [e for e, _ in checkpoints], "new_checkpoints": new,
                "threads": job.threads, "device": str(job.device)}

    def state_tensors(self) -> list[torch.Tensor]:
        return list(self.job.model.state_dict().values())

    def publish(self, targets: list[torch.Tensor]) -> tuple[int, int]:
        """Copy the current weights into `targets` (CPU tensors, e.g. shared memory) between
        two steps; returns the (epoch, step) they belong to."""
        job = self.job
        with job._weights_lock, torch.no_grad():
            sources = job._state_tensors
            if job.device.type == "cpu":
                torch._foreach_copy_(targets, sources)
            else:
                for target, source in zip(targets, sources, strict=True):
                    target.copy_(source)
            return job.epoch, job.step_count

    def weights(self) -> tuple[dict[str, torch.Tensor], int, int]:
        snap = self.job.snapshot()
        return snap["state_dict"], snap["epoch"], snap["step"]

    def finished(self) -> bool:
        return self.job.done and self.job.join(0)
