"""`RemoteJob`: the server-side proxy of a job that trains in a worker process or a Ray actor.

It has the interface of `core.train.Job`, so pages draw it the same way:

* control: `start(paused=…)`, `pause()`, `resume()`, `step(n)`, `stop(wait=…)`, `join()`,
  `touch()` (the page's heartbeat), `update_training(training)`;
* observe: `state`, `done`, `paused`, `outcome`, `epoch`, `step_count`, `history` (one dict
  per epoch), `poll(after)` / `last_seq`, `progress()`, `checkpoints`, `best_epoch`,
  `version` (changes whenever something drawable changed: skip a redraw while it is equal);
* the model: `config`, `dataset`, `built`, `head`, `criterion`, `device`, `model` (a CPU
  replica), `copy_weights_into(model)`, `clone_model()`, `snapshot()`, `test_metrics()`;
* extras: `queue_place()` (1 = next; None when not waiting), `handover()`.

The replica is built here from the same config and seed, then refreshed from the weight frames
the worker publishes (shared memory for processes) when a page copies the weights; the history
and events are rebuilt from the worker's update batches. Extra states: `queued` (waiting for a
worker slot) and `starting` (a worker is being set up). When a worker ends, its handover
(weights, optimizer state, counters) stays here, so a run can be continued, parked and
relaunched, or survive a page reload; a worker that crashes leaves a plain message and the
last weights it published.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
import time
from collections import deque
from typing import Any, Protocol

import torch

from core.build import build_model
from core.config import RunConfig, TrainingConfig
from core.data import Dataset, load_dataset
from core.device import resolve_device
from core.errors import ConfigError
from core.jobs.admission import Admission
from core.train import TERMINAL, class_weights, evaluate_split, load_matching

TOUCH_EVERY_S = 1.0
"""Heartbeats are forwarded to the worker at most this often (the page touches 10×/s)."""


class Channel(Protocol):
    def send(self, *message: Any) -> None: ...
    def recv(self) -> tuple: ...
    def weights_into(self, targets: list[torch.Tensor]) -> tuple[int, int]: ...
    def close(self) -> None: ...
    def gone_reason(self) -> str: ...


class Backend(Protocol):
    name: str

    def open(self, spec: dict[str, Any], like: list[torch.Tensor]) -> Channel: ...


class RemoteJob:
    def __init__(self, config: RunConfig, dataset: Dataset | None = None, *, backend: Backend,
                 admission: Admission | None = None, owner_timeout_s: float | None = None,
                 continue_from: Any = None,
                 warm_start: dict[str, torch.Tensor] | None = None,
                 max_params: int | None = None, threads: int = 1, max_events: int = 5000):
        config.validate()
        self.config = config.copy()
        self.dataset = dataset if dataset is not None else load_dataset(config.dataset)
        self.built = build_model(self.config, self.dataset)
        if max_params is not None and self.built.total_params > max_params:
            raise ConfigError(
                f"this network has {self.built.total_params:,} parameters; this server trains "
                f"at most {max_params:,} per run so that everyone in the room gets a fair share "
                "— make it smaller")
        self.head = self.built.head
        self.model = self.built.model  # the CPU replica
        self.device = resolve_device(self.config.training.device)
        self.backend, self.admission = backend, admission
        self.owner_timeout_s = owner_timeout_s
        self._threads = threads
        self.warm_started: list[str] = []
        self._warm_start = warm_start
        if warm_start is not None:
            self.warm_started = load_matching(self.model, warm_start)
        self.initial_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        self.monitor = "val" if self.dataset.x_val is not None else "test"
        self.criterion = self.head.criterion(
            class_weights(self.config.training.class_weights, self.head, self.dataset))
        self._replica = list(self.model.state_dict().values())
        self._replica_lock = threading.Lock()
        self._view_targets: dict[int, tuple[torch.nn.Module, list[torch.Tensor]]] = {}

        self.epoch = 0
        self.step_count = 0
        self.history: list[dict[str, Any]] = []
        self._checkpoints: dict[int, torch.Tensor] = {}
        self.checkpoints: list[tuple[int, torch.Tensor]] = []
        self.best_epoch: int | None = None
        self.state = "ready"
        self.outcome: dict[str, Any] | None = None
        self.threads: int | None = None
        self._progress: tuple[float, float | None] = (0.0, None)
        self._paused = True
        self._resume_from: dict[str, Any] | None = None
        self._bundle: dict[str, Any] | None = None
        self.frame: tuple[int, int] = (0, 0)
        if continue_from is not None:
            self._take_over(continue_from)
        else:
            with torch.no_grad():
                self.checkpoints = [(0, torch.cat([p.reshape(-1) for p in
                                                   self.model.parameters()]).clone())]
        self._events: deque[dict[str, Any]] = deque(maxlen=max_events)
        self._seq = 0
        self._lock = threading.RLock()
        self._channel: Channel | None = None
        self._reader: threading.Thread | None = None
        self._pending_steps = 0
        self._parking = False
        self._relaunch = False
        self._stopping = False
        self._early: list[tuple] = []
        self._last_touch = time.monotonic()
        self._touch_sent = 0.0

    # ----- taking over a run ------------------------------------------------------------------
    def _take_over(self, old: Any) -> None:
        if not isinstance(old, dict):
            old.stop(wait=True)
            old = old.handover()
        if old["architecture"] != self.config.architecture_key():
            raise ConfigError("only a run of the same network can be continued")
        self.model.load_state_dict(old["model"])
        self.initial_state = old["initial_state"]
        self.epoch, self.step_count = old["epoch"], old["step_count"]
        self.history = list(old["history"])
        self._checkpoints = dict(old["checkpoints"])
        self.checkpoints = list(old["checkpoints"])
        self.best_epoch = None if old["best"] is None else old["best"][1]
        self._resume_from = old
        self.frame = (self.epoch, self.step_count)

    def handover(self) -> dict[str, Any]:
        """What a continuing job needs. After the worker ended: the worker's own handover
        (optimizer state included); after a crash or before any worker: the replica's weights
        and the counters (the optimizer starts afresh)."""
        self.stop(wait=True)
        if self._bundle is not None:
            return self._bundle
        if self._resume_from is not None:
            return self._resume_from
        return {"architecture": self.config.architecture_key(),
                "model": {k: v.detach().clone() for k, v in self.model.state_dict().items()},
                "optimizer_name": self.config.training.optimizer, "optimizer": None,
                "initial_state": self.initial_state, "epoch": self.epoch,
                "step_count": self.step_count, "history": list(self.history),
                "checkpoints": list(self.checkpoints), "stride": 1, "generator": None,
                "perm": None, "pos": 0, "running": (0.0, 0, 0), "best": None,
                "stale_epochs": 0}

    # ----- control ----------------------------------------------------------------------------
    def start(self, paused: bool = False) -> bool:
        """Start once (a worker when a slot is free, else join the queue); False if already."""
        with self._lock:
            if self._channel is not None or self.state in ("queued", "starting") or self.done:
                return False
            self._paused = paused
            self._request_slot()
            return True

    def resume(self) -> None:
        self.touch()
        with self._lock:
            self._paused = False
            if self._parking:
                self._relaunch = True
            elif self._channel is not None or self.state == "starting":
                self._send("resume")
            elif not self.done:
                self.start(paused=False)

    def pause(self) -> None:
        with self._lock:
            self._paused = True
            self._relaunch = False
            if self._channel is not None or self.state == "starting":
                self._send("pause")
            elif self.state == "queued":
                self._leave_queue()

    def step(self, epochs: int = 1) -> None:
        self.touch()
        with self._lock:
            if (self._channel is not None or self.state == "starting") and not self._parking:
                self._send("step", epochs)
            elif not self.done:
                self._pending_steps += epochs
                if self._parking:
                    self._relaunch = True
                else:
                    self.start(paused=True)

    def stop(self, wait: bool = False, timeout: float = 10.0) -> None:
        with self._lock:
            self._stopping = True
            self._relaunch = False
            if self._channel is not None or self.state == "starting":
                self._send("stop")
            elif not self.done:
                if self.state == "queued":
                    self._leave_queue()
                self._end_here("stopped", f"stopped by the user after epoch {self.epoch}")
        if wait:
            self.join(timeout)

    def join(self, timeout: float | None = None) -> bool:
        reader = self._reader
        if reader is not None and reader is not threading.current_thread():
            reader.join(timeout)
            return not reader.is_alive()
        return True

    def touch(self) -> None:
        now = time.monotonic()
        self._last_touch = now
        channel = self._channel
        if channel is not None and now - self._touch_sent >= TOUCH_EVERY_S:
            self._touch_sent = now
            channel.send("touch")

    @property
    def last_touch(self) -> float:
        """When the page last showed it was there (`time.monotonic()`)."""
        return self._last_touch

    def update_training(self, training: TrainingConfig) -> None:
        trial = self.config.copy()
        trial.training = copy.deepcopy(training)
        trial.validate()
        if trial.architecture_key() != self.config.architecture_key():
            raise ConfigError("changing the loss, dropout, seed or device needs fresh weights: "
                              "reset the network")
        with self._lock:
            self.config.training = trial.training
            if self._resume_from is not None:  # a parked run relaunches with the new ones
                self._resume_from = dict(self._resume_from)
            self._send("training", trial.training)

    # ----- observe ----------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.state in TERMINAL

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def version(self) -> tuple[int, int]:
        return self._seq, self.step_count

    @property
    def last_seq(self) -> int:
        return self._seq

    def poll(self, after: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            if not self._events or self._events[-1]["seq"] <= after:
                return []
            return [dict(e) for e in self._events if e["seq"] > after]

    def progress(self) -> tuple[float, float | None]:
        if self.started_progress:
            return self._progress
        return min(1.0, self.epoch / max(1, self.config.training.epochs)), None

    @property
    def started_progress(self) -> bool:
        return self._progress != (0.0, None)

    @property
    def worker_pid(self) -> int | None:
        return getattr(self._channel, "pid", None)

    def queue_place(self) -> int | None:
        return None if self.admission is None else self.admission.place(self)

    @property
    def keeps_best(self) -> bool:
        return self.monitor == "val" or self.config.training.early_stopping is not None

    # ----- weights ----------------------------------------------------------------------------
    def _refresh(self) -> None:
        """Bring the replica up to the worker's last published frame."""
        channel = self._channel
        if channel is not None:
            with self._replica_lock:
                self.frame = channel.weights_into(self._replica)

    def copy_weights_into(self, model: torch.nn.Module) -> tuple[int, int]:
        self._refresh()
        if model is self.model:
            return self.frame
        target = self._view_targets.get(id(model))
        if target is None or target[0] is not model:
            target = (model, list(model.state_dict().values()))
            self._view_targets = {id(model): target}  # one live view per job
        with self._replica_lock, torch.no_grad():
            torch._foreach_copy_(target[1], self._replica)
            return self.frame

    def clone_model(self) -> torch.nn.Module:
        self._refresh()
        with self._replica_lock:
            return copy.deepcopy(self.model)

    def snapshot(self) -> dict[str, Any]:
        self._refresh()
        with self._replica_lock:
            state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        return {"state_dict": state, "epoch": self.frame[0], "step": self.frame[1]}

    def evaluate(self, splits: tuple[str, ...] = ("test",)) -> dict[str, Any]:
        """Metrics of the replica (the last published weights) on the given splits."""
        self._refresh()
        d = self.dataset
        sources = {"train": (d.x_train, d.y_train), "val": (d.x_val, d.y_val),
                   "test": (d.x_test, d.y_test)}
        result: dict[str, Any] = {}
        with self._replica_lock:
            self.model.eval()
            try:
                for name in splits:
                    x, y = sources[name]
                    result.update(evaluate_split(
                        self.model, self.head, self.criterion, name, x,
                        self.head.prepare_targets(y), y,
                        confusion=name != "train" and d.is_image))
            finally:
                self.model.train()
        return result

    def test_metrics(self) -> dict[str, Any]:
        return self.evaluate(("test",))

    def retained_bytes(self) -> int:
        """Rough memory this run holds here (replica, handover, checkpoints, history)."""
        def size(obj: Any) -> int:
            if isinstance(obj, torch.Tensor):
                return obj.numel() * obj.element_size()
            if isinstance(obj, dict):
                return sum(size(v) for v in obj.values())
            if isinstance(obj, (list, tuple)):
                return sum(size(v) for v in obj)
            return 0

        return (size(self._replica) + size(self._bundle) + size(self._resume_from)
                + size(self.checkpoints) + 600 * len(self.history))

    # ----- workers ----------------------------------------------------------------------------
    def _request_slot(self) -> None:
        if self.admission is None or self.admission.request(self):
            self._launch()
        else:
            self.state = "queued"

    def _leave_queue(self) -> None:
        if self.admission is not None:
            self.admission.release(self)
        if self.state == "queued":
            self.state = "paused" if self.epoch else "ready"

    def wants_slot(self) -> bool:
        with self._lock:
            return self.state == "queued" and not self._owner_gone()

    def admitted(self) -> None:
        with self._lock:
            if self.state == "queued":
                self._launch()
            elif self.admission is not None:
                threading.Thread(target=self.admission.release, args=(self,),
                                 daemon=True).start()

    def park_if_idle(self) -> None:
        """Give the worker back while paused (someone waits); relaunched on Train or Step."""
        with self._lock:
            if (self._channel is not None and self.state == "paused" and self._paused
                    and not self._parking and not self._stopping):
                self._parking = True
                self._channel.send("stop")

    def set_threads(self, threads: int) -> None:
        with self._lock:
            self._threads = threads
            self._send("threads", threads)

    def _owner_gone(self) -> bool:
        return (self.owner_timeout_s is not None
                and time.monotonic() - self._last_touch > self.owner_timeout_s)

    def _launch(self) -> None:
        """Open a worker in the background (state 'starting'); commands given meanwhile are
        queued and sent once it is there."""
        data = dataclasses.replace(self.dataset, featurize=None)
        spec = {"config": self.config.copy(), "dataset": data,
                "continue_from": self._resume_from,
                "warm_start": None if self._resume_from is not None else self._warm_start,
                "owner_timeout_s": self.owner_timeout_s, "threads": self._threads}
        self.state = "starting"
        self._early = [("step", self._pending_steps) if self._pending_steps
                       else ("start", self._paused)]
        self._pending_steps = 0
        self._reader = threading.Thread(target=self._open_and_read, args=(spec,), daemon=True,
                                        name="playground-job-reader")
        self._reader.start()

    def _send(self, *message: Any) -> None:
        if self._channel is not None:
            self._channel.send(*message)
        elif self.state == "starting":
            self._early.append(message)

    def _open_and_read(self, spec: dict[str, Any]) -> None:
        try:
            channel = self.backend.open(spec, self._replica)
        except Exception as exc:  # noqa: BLE001 - no worker: say so, the session stays usable
            with self._lock:
                self._end_here("error", f"could not start a training worker ({exc})")
            if self.admission is not None:
                self.admission.release(self)
            return
        with self._lock:
            self._channel = channel
            self._resume_from = None
            self._touch_sent = time.monotonic()
            for message in self._early:
                channel.send(*message)
            self._early = []
        self._read(channel)

    def _read(self, channel: Channel) -> None:
        try:
            while True:
                kind, payload = channel.recv()
                if kind == "update":
                    self._apply(payload)
                elif kind == "handover":
                    self._bundle = payload
                elif kind == "failed":
                    with self._lock:
                        self._end_here("error", f"training failed: {payload}")
        except EOFError:
            pass
        self._worker_gone(channel)

    def _apply(self, update: dict[str, Any]) -> None:
        with self._lock:
            for event in update["events"]:
                if self._parking and event["type"] in ("end", "state"):
                    continue
                self._seq += 1
                self._events.append({**event, "seq": self._seq})
                if event["type"] == "epoch":
                    self.history.append({k: v for k, v in event.items()
                                         if k not in ("seq", "type")})
            self.epoch, self.step_count = update["epoch"], update["step"]
            self.best_epoch = update["best_epoch"]
            for epoch, flat in update["new_checkpoints"]:
                self._checkpoints[epoch] = flat
            kept = update["checkpoint_epochs"]
            self._checkpoints = {e: self._checkpoints[e] for e in kept if e in self._checkpoints}
            self.checkpoints = list(self._checkpoints.items())
            self.threads = update["threads"]
            self.device = torch.device(update["device"])
            self._progress = tuple(update["progress"])
            if not self._parking and update["state"] != "ready":  # "starting" until it runs
                self.state = update["state"]
                self.outcome = update["outcome"]
                self._paused = update["paused"]
            park = (self.state == "paused" and self.admission is not None
                    and self.admission.waiting() > 0)
        if park:
            self.park_if_idle()

    def _worker_gone(self, channel: Channel) -> None:
        with self._lock:
            self._refresh_final(channel)
            channel.close()
            reason = channel.gone_reason()
            self._channel = None
            if self._parking:
                self._parking = False
                self._resume_from, self._bundle = self._bundle, None
                if self.state != "paused":
                    self.state = "paused"
            elif not self.done:
                if self.history:  # the counters may be ahead of the last epoch that reported
                    self.epoch, self.step_count = (self.history[-1]["epoch"],
                                                   self.history[-1]["step"])
                self._end_here("error", f"the training worker stopped unexpectedly ({reason}). "
                                        f"The weights from epoch {self.epoch} are kept: press "
                                        "Train to go on, or Reset to start again.")
            relaunch = self._relaunch and not self.done
            self._relaunch = False
        if self.admission is not None:
            self.admission.release(self)
        if relaunch:
            with self._lock:
                self._request_slot()

    def _refresh_final(self, channel: Channel) -> None:
        if self._bundle is not None:
            with self._replica_lock:
                self.model.load_state_dict(self._bundle["model"])
                self.frame = (self._bundle["epoch"], self._bundle["step_count"])
        else:
            with self._replica_lock:
                self.frame = channel.weights_into(self._replica)

    def _end_here(self, outcome: str, message: str) -> None:
        self.outcome = {"outcome": outcome, "message": message, "epoch": self.epoch,
                        "step": self.step_count}
        self._seq += 1
        self._events.append({"seq": self._seq, "type": "end", **self.outcome})
        self.state = outcome
