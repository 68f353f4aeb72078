"""The training job: one background thread per run, controlled by thread-safe calls, reporting
through a bounded event buffer that pages poll. Nothing here knows about Streamlit.

Batches are index slices of in-memory tensors (a DataLoader costs 1.4x here). Each step checks
its loss: a NaN or infinite loss stops the run at once and puts back the weights of the last
step whose loss was finite, so the charts and the model stay usable.
"""

from __future__ import annotations

import copy
import math
import threading
import time
from collections import deque
from typing import Any

import numpy as np
import torch

from core.build import BuiltModel, build_model, penalty_weights
from core.config import RunConfig, TrainingConfig
from core.data import Dataset, load_dataset
from core.device import resolve_device
from core.errors import ConfigError
from core.optimizers import make_optimizer, update_hyperparameters
from core.threads import BUDGET, ThreadBudget

TERMINAL = ("finished", "early_stopped", "diverged", "stopped", "abandoned", "error")
MAX_CONFUSION_CLASSES = 20
MAX_CHECKPOINTS = 100
"""Checkpoints kept per run for the loss-landscape lab; when full, every other one is dropped."""
CHECKPOINT_MAX_PARAMS = 100_000
"""Networks larger than this keep no checkpoints (100 copies would cost too much memory)."""
FULL_TRAIN_EVAL_LIMIT = 20_000
"""Up to this many training samples the train loss is measured on all of them after each epoch
(as TensorFlow Playground does); beyond it, the running average over the epoch's batches."""


class Job:
    """Train `config` on `dataset` in a background thread.

    Control: start(paused=…), pause(), resume(), step(), stop(), update_training().
    Observe: poll(after_seq) for events, history (one dict per epoch), snapshot(), state.
    """

    def __init__(self, config: RunConfig, dataset: Dataset | None = None, *,
                 budget: ThreadBudget | None = None, owner_timeout_s: float | None = None,
                 progress_every_s: float = 0.2, max_events: int = 5000,
                 continue_from: Job | dict[str, Any] | None = None,
                 warm_start: dict[str, torch.Tensor] | None = None):
        """`continue_from`: a finished/stopped job of the same architecture whose weights,
        optimizer state, counters and history this job picks up (e.g. more epochs after the
        run finished, or play after the page was away and the old thread ended itself).
        `warm_start`: pretrained weights to begin from (transfer learning); every tensor whose
        name and shape match is loaded, the rest (a new output layer) keeps its fresh start."""
        config.validate()
        self.config = config.copy()
        self.dataset = dataset if dataset is not None else load_dataset(config.dataset)
        self.built: BuiltModel = build_model(self.config, self.dataset)
        self.head = self.built.head
        self.device = resolve_device(self.config.training.device)
        self.model = self.built.model.to(self.device)
        self.warm_started: list[str] = []
        if warm_start is not None:
            self.warm_started = load_matching(self.model, warm_start)
        self.initial_state = _clone_state(self.model)
        self.budget = budget or BUDGET
        self.owner_timeout_s = owner_timeout_s
        self.progress_every_s = progress_every_s

        d = self.dataset
        self._splits = {name: self._prepare(x, y) for name, x, y in (
            ("train", d.x_train, d.y_train), ("val", d.x_val, d.y_val),
            ("test", d.x_test, d.y_test)) if x is not None}
        self.monitor = "val" if "val" in self._splits else "test"
        """The split watched for early stopping and the best checkpoint (the test split on
        the 2-D playground, as in TensorFlow Playground; validation on image datasets)."""
        self._x_train, self._y_train, self._labels_train = self._splits["train"]
        self._criterion = self.head.criterion(self._class_weights())
        self._training = self.config.training
        self._optimizer = make_optimizer(self.model.parameters(), self._training)
        self._penalized = penalty_weights(self.model)
        self._state_tensors = list(self.model.state_dict().values())
        """Detached views sharing the weights' storage: copying from or into them records
        nothing in autograd (a copy of the parameters themselves grew a graph every step)."""
        self._shadow = [t.detach().clone() for t in self._state_tensors]
        self._view_targets: dict[int, tuple[torch.nn.Module, list[torch.Tensor]]] = {}
        self.threads: int | None = None
        """Intra-op threads this job's thread uses (torch's count is per thread)."""
        self._generator = torch.Generator().manual_seed(self._training.seed)

        self.epoch = 0
        self.step_count = 0
        self.history: list[dict[str, Any]] = []
        self.checkpoints: list[tuple[int, torch.Tensor]] = []
        """(epoch, flat CPU copy of the parameters) at epoch 0 and at epoch ends, the stride
        doubling whenever MAX_CHECKPOINTS is reached: the path the loss-landscape lab draws."""
        self._checkpoint_stride = 1
        self._keep_checkpoint()
        self.state = "ready"
        self.outcome: dict[str, Any] | None = None
        self.started_at: float | None = None
        self._done_at_start = 0.0
        self._perm: torch.Tensor | None = None
        self._pos = 0
        self._run_loss = 0.0
        self._run_correct = 0
        self._run_seen = 0
        self._best: tuple[float, int, list[torch.Tensor]] | None = None
        self._stale_epochs = 0

        if continue_from is not None:
            self._take_over(continue_from)

        self._events: deque[dict[str, Any]] = deque(maxlen=max_events)
        self._seq = 0
        self._events_lock = threading.Lock()
        self._weights_lock = threading.Lock()
        self._control = threading.Condition()
        self._paused = True
        self._stop_requested = False
        self._steps_requested = 0
        self._pending_training: TrainingConfig | None = None
        self._interrupt = False
        self._thread: threading.Thread | None = None
        self._last_touch = time.monotonic()

    def _prepare(self, x, y) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return (x.to(self.device), self.head.prepare_targets(y).to(self.device),
                y.to(self.device))

    def _class_weights(self) -> torch.Tensor | None:
        weights = class_weights(self.config.training.class_weights, self.head, self.dataset)
        return None if weights is None else weights.to(self.device)

    def _take_over(self, old: Job | dict[str, Any]) -> None:
        if isinstance(old, Job):
            old.stop(wait=True)
            old = old.handover()
        if old["architecture"] != self.config.architecture_key():
            raise ConfigError("only a run of the same network can be continued")
        self.model.load_state_dict(old["model"])
        if old["optimizer_name"] == self._training.optimizer and old["optimizer"] is not None:
            self._optimizer.load_state_dict(old["optimizer"])
            update_hyperparameters(self._optimizer, self._training)
        self.initial_state = old["initial_state"]
        self.epoch, self.step_count = old["epoch"], old["step_count"]
        self.history = list(old["history"])
        self.checkpoints, self._checkpoint_stride = list(old["checkpoints"]), old["stride"]
        if old["generator"] is not None:
            self._generator.set_state(old["generator"])
        perm = old["perm"]
        self._perm = None if perm is None else perm.to(self.device)
        self._pos = old["pos"]
        self._run_loss, self._run_correct, self._run_seen = old["running"]
        best = old["best"]
        self._best = None if best is None else (best[0], best[1],
                                                [t.to(self.device) for t in best[2]])
        self._stale_epochs = old["stale_epochs"]

    def handover(self) -> dict[str, Any]:
        """Everything a continuing job needs (weights, optimizer state, counters, history,
        shuffling state, best checkpoint), as plain data and CPU tensors: picklable, so it can
        cross a process boundary. Call it when the job's thread has ended."""
        def cpu(t: torch.Tensor) -> torch.Tensor:
            return t.detach().to("cpu", copy=True)

        with self._weights_lock:
            opt = self._optimizer.state_dict()
            opt_state = {k: {n: cpu(v) if isinstance(v, torch.Tensor) else v
                             for n, v in st.items()} for k, st in opt["state"].items()}
            return {
                "architecture": self.config.architecture_key(),
                "model": _clone_state(self.model),
                "optimizer_name": self._training.optimizer,
                "optimizer": {"state": opt_state, "param_groups": copy.deepcopy(
                    opt["param_groups"])},
                "initial_state": self.initial_state,
                "epoch": self.epoch, "step_count": self.step_count,
                "history": list(self.history),
                "checkpoints": list(self.checkpoints), "stride": self._checkpoint_stride,
                "generator": self._generator.get_state(),
                "perm": None if self._perm is None else cpu(self._perm), "pos": self._pos,
                "running": (self._run_loss, self._run_correct, self._run_seen),
                "best": None if self._best is None else (
                    self._best[0], self._best[1], [cpu(t) for t in self._best[2]]),
                "stale_epochs": self._stale_epochs,
            }

    # ----- control (any thread) ---------------------------------------------------------------
    def start(self, paused: bool = False) -> bool:
        """Start the worker thread once; a second call (a double click) does nothing."""
        with self._control:
            if self._thread is not None:
                return False
            self._paused = paused
            self._thread = threading.Thread(target=self._run, name="playground-job", daemon=True)
            self._thread.start()
            return True

    def pause(self) -> None:
        self._signal(paused=True)

    def resume(self) -> None:
        self.touch()
        if not self.start(paused=False):
            self._signal(paused=False)

    def step(self, epochs: int = 1) -> None:
        """While paused: train `epochs` more epochs (finishing the current one first)."""
        self.touch()
        with self._control:
            self._steps_requested += epochs
        if not self.start(paused=True):
            self._signal()

    def stop(self, wait: bool = False, timeout: float = 10.0) -> None:
        self._signal(stop=True)
        if wait:
            self.join(timeout)

    def join(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def touch(self) -> None:
        """Heartbeat from the page; without one for owner_timeout_s the job stops itself."""
        self._last_touch = time.monotonic()

    @property
    def last_touch(self) -> float:
        """When the page last showed it was there (`time.monotonic()`)."""
        return self._last_touch

    def update_training(self, training: TrainingConfig) -> None:
        """New hyperparameters, applied before the next batch (on resume when paused).

        Changes that need a new network (loss head, dropout layers, seed, device) are refused:
        the page resets the job instead, and says so.
        """
        trial = self.config.copy()
        trial.training = copy.deepcopy(training)
        trial.validate()
        if trial.architecture_key() != self.config.architecture_key():
            raise ConfigError("changing the loss, dropout, seed or device needs fresh weights: "
                              "reset the network")
        self._signal(training=trial.training)

    def progress(self) -> tuple[float, float | None]:
        """(fraction of the planned epochs done, estimated seconds left or None)."""
        n = max(1, len(self._x_train))
        done = min(1.0, (self.epoch + self._pos / n) / max(1, self._training.epochs))
        gained = done - self._done_at_start
        if self.started_at is None or gained <= 0:
            return done, None
        elapsed = time.monotonic() - self.started_at
        return done, max(0.0, elapsed * (1 - done) / gained)

    @property
    def done(self) -> bool:
        return self.state in TERMINAL

    @property
    def version(self) -> tuple[int, int]:
        """Changes whenever anything a view draws changes (an event, or a step's weights):
        a live view skips its redraw while it stays the same."""
        return self._seq, self.step_count

    @property
    def paused(self) -> bool:
        return self._paused

    # ----- observation (any thread) -----------------------------------------------------------
    def poll(self, after: int = 0) -> list[dict[str, Any]]:
        """Events with seq > after (the oldest drop out of the bounded buffer first)."""
        with self._events_lock:
            if not self._events or self._events[-1]["seq"] <= after:
                return []
            return [dict(e) for e in self._events if e["seq"] > after]

    @property
    def last_seq(self) -> int:
        return self._seq

    def snapshot(self) -> dict[str, Any]:
        """A CPU copy of the current weights with the epoch and step they belong to."""
        with self._weights_lock:
            state = {k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()}
            return {"state_dict": state, "epoch": self.epoch, "step": self.step_count}

    def clone_model(self) -> torch.nn.Module:
        """A CPU copy of the model for drawing, taken between two steps."""
        with self._weights_lock:
            return copy.deepcopy(self.model).to("cpu")

    def copy_weights_into(self, model: torch.nn.Module) -> tuple[int, int]:
        """Copy the current weights into a same-shaped model (e.g. a CPU copy for charts): one
        fused copy into cached views, so the training thread waits microseconds, not a
        load_state_dict."""
        target = self._view_targets.get(id(model))
        if target is None or target[0] is not model:
            target = (model, list(model.state_dict().values()))
            self._view_targets[id(model)] = target
        with self._weights_lock, torch.no_grad():
            torch._foreach_copy_(target[1], self._state_tensors)
            return self.epoch, self.step_count

    # ----- worker thread ----------------------------------------------------------------------
    def _signal(self, *, paused: bool | None = None, stop: bool = False,
                training: TrainingConfig | None = None) -> None:
        with self._control:
            if paused is not None:
                self._paused = paused
            if stop:
                self._stop_requested = True
            if training is not None:
                self._pending_training = training
            self._interrupt = True
            self._control.notify_all()

    def _emit(self, kind: str, **data: Any) -> None:
        with self._events_lock:
            self._seq += 1
            self._events.append({"seq": self._seq, "type": kind, **data})

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self._emit("state", state=state, epoch=self.epoch, step=self.step_count)

    def _finish(self, outcome: str, message: str) -> None:
        self.outcome = {"outcome": outcome, "message": message, "epoch": self.epoch,
                        "step": self.step_count}
        self._emit("end", **self.outcome)
        self._set_state(outcome)

    def _wait_for_work(self) -> str | None:
        """Block until there is something to do: 'run', 'step', or None to stop."""
        with self._control:
            while True:
                self._interrupt = False
                if self._pending_training is not None:
                    self._apply_training(self._pending_training)
                    self._pending_training = None
                if self._stop_requested:
                    return None
                if self._owner_gone():
                    return "abandoned"
                if not self._paused:
                    return "run"
                if self._steps_requested > 0:
                    self._steps_requested -= 1
                    return "step"
                self._set_state("paused")
                self._control.wait(timeout=1.0)

    def _owner_gone(self) -> bool:
        return (self.owner_timeout_s is not None
                and time.monotonic() - self._last_touch > self.owner_timeout_s)

    def _apply_training(self, training: TrainingConfig) -> None:
        old = self._training
        self._training = training
        self.config.training = training
        if training.optimizer != old.optimizer:
            self._optimizer = make_optimizer(self.model.parameters(), training)
        else:
            update_hyperparameters(self._optimizer, training)
        self._set_epoch_lr()
        if training.early_stopping != old.early_stopping:
            self._stale_epochs = 0

    def _run(self) -> None:
        self.budget.acquire()
        self._done_at_start = self.epoch / max(1, self._training.epochs)
        self.started_at = time.monotonic()
        try:
            while True:
                work = self._wait_for_work()
                if work is None:
                    self._finish("stopped", f"stopped by the user after epoch {self.epoch}")
                    return
                if work == "abandoned":
                    self._finish("abandoned", "stopped: the page that started this run went away")
                    return
                if self.epoch >= self._training.epochs:
                    plural = "" if self.epoch == 1 else "s"
                    message = f"finished {self.epoch} epoch{plural}"
                    if self.monitor == "val" and self._best is not None:
                        best = self.restore_best()
                        if best != self.epoch:
                            message += (f"; kept the weights from epoch {best}, the best on "
                                        "validation")
                    self._finish("finished", message)
                    return
                self._set_state("running" if work == "run" else "stepping")
                ended = self._train_until_epoch_end(stoppable=work == "run")
                if ended:
                    return
        except Exception as exc:  # noqa: BLE001 - any failure becomes a message on the page
            self._finish("error", f"training failed: {type(exc).__name__}: {exc}")
        finally:
            self.budget.release()

    def _train_until_epoch_end(self, stoppable: bool) -> bool:
        """Run batches to the end of the epoch unless interrupted; True when the run ended."""
        n = len(self._x_train)
        model, opt, crit, head = self.model, self._optimizer, self._criterion, self.head
        x, y, labels = self._x_train, self._y_train, self._labels_train
        bs = min(self._training.batch_size, n)
        l1, l2 = self._training.l1, self._training.l2
        running_acc = head.task == "classification" and n > FULL_TRAIN_EVAL_LIMIT
        augment = self.dataset.augment
        if self._pos == 0:
            self._set_epoch_lr()
            self._perm = torch.randperm(n, generator=self._generator).to(self.device)
            self._run_loss, self._run_correct, self._run_seen = 0.0, 0, 0
        perm = self._perm
        next_progress = time.monotonic() + self.progress_every_s
        model.train()
        while self._pos < n:
            if stoppable and self._interrupt:
                return False
            self.threads = self.budget.sync()
            idx = perm[self._pos:self._pos + bs]
            self._pos += bs
            xb, yb = x[idx], y[idx]
            if augment is not None:
                xb = augment(xb, self._generator)
            with self._weights_lock:
                out = model(xb)
                loss = crit(head.outputs_for_loss(out), yb)
                value = loss.item()
                if not math.isfinite(value):
                    return self._diverged(value)
                torch._foreach_copy_(self._shadow, self._state_tensors)
                if l1 or l2:
                    loss = loss + _penalty(self._penalized, l1, l2)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            self.step_count += 1
            self._run_loss += value * len(idx)
            self._run_seen += len(idx)
            if running_acc:
                self._run_correct += int((head.predicted_class(out) == labels[idx]).sum())
            now = time.monotonic()
            if now >= next_progress:
                next_progress = now + self.progress_every_s
                self._emit("progress", epoch=self.epoch, step=self.step_count,
                           fraction=self._pos / n, running_loss=self._run_loss / self._run_seen)
                if self._owner_gone():
                    self._finish("abandoned", "stopped: the page that started this run went away")
                    return True
        self._pos = 0
        self.epoch += 1
        return self._end_epoch(running_acc)

    def epoch_lr(self, epoch: int | None = None) -> float:
        """The learning rate of epoch `epoch` (0-based; default the next one to run)."""
        t = self._training
        epoch = self.epoch if epoch is None else epoch
        if t.lr_schedule == "cosine":
            return t.lr * 0.5 * (1 + math.cos(math.pi * min(epoch, t.epochs) / max(1, t.epochs)))
        return t.lr

    def _set_epoch_lr(self) -> None:
        lr = self.epoch_lr()
        for group in self._optimizer.param_groups:
            group["lr"] = lr

    def _diverged(self, value: float) -> bool:
        with torch.no_grad():
            torch._foreach_copy_(self._state_tensors, self._shadow)
        kind = "NaN" if math.isnan(value) else "infinite"
        step = self.step_count + 1
        self._finish("diverged", f"loss became {kind} at step {step} — the learning rate "
                     f"{self._training.lr:g} is too high for this network; try a smaller one. "
                     f"The weights from step {step - 1} are kept.")
        return True

    def _end_epoch(self, running_acc: bool) -> bool:
        metrics = self.evaluate()
        if self._x_train.shape[0] > FULL_TRAIN_EVAL_LIMIT:
            metrics["train_loss"] = self._run_loss / max(1, self._run_seen)
            if running_acc:
                metrics["train_accuracy"] = self._run_correct / max(1, self._run_seen)
        record = {"epoch": self.epoch, "step": self.step_count, **metrics,
                  "lr": self.epoch_lr(self.epoch - 1),
                  "elapsed_s": time.monotonic() - self.started_at}
        self.history.append(record)
        self._emit("epoch", **record)
        if not math.isfinite(metrics["train_loss"]):
            return self._diverged(metrics["train_loss"])
        self._keep_checkpoint()
        return self._early_stop(metrics[f"{self.monitor}_loss"])

    def _keep_checkpoint(self) -> None:
        params = list(self.model.parameters())
        if sum(p.numel() for p in params) > CHECKPOINT_MAX_PARAMS:
            return
        if self.epoch % self._checkpoint_stride:
            return
        with torch.no_grad():
            kept = [*self.checkpoints, (self.epoch, torch.cat([p.reshape(-1) for p in params])
                                        .to("cpu", copy=True))]
        if len(kept) > MAX_CHECKPOINTS:
            self._checkpoint_stride *= 2
            kept = [c for c in kept if c[0] % self._checkpoint_stride == 0]
        self.checkpoints = kept  # one assignment: a reader in another thread sees old or new

    @property
    def criterion(self) -> torch.nn.Module:
        """The loss the job trains with (class weights included), without the L1/L2 terms."""
        return self._criterion

    @property
    def keeps_best(self) -> bool:
        """With a validation split the best checkpoint is always kept (and restored at the end);
        on the 2-D playground only early stopping does that, as in TensorFlow Playground."""
        return self.monitor == "val" or self._training.early_stopping is not None

    def _early_stop(self, monitored_loss: float) -> bool:
        patience = self._training.early_stopping
        if not self.keeps_best or len(self._splits[self.monitor][0]) == 0:
            return False
        if self._best is None or monitored_loss < self._best[0]:
            self._best = (monitored_loss, self.epoch,
                          [t.detach().clone() for t in self._state_tensors])
            self._stale_epochs = 0
            return False
        self._stale_epochs += 1
        if patience is None or self._stale_epochs < patience:
            return False
        best_epoch = self.restore_best()
        self._finish("early_stopped", f"early stopping: the {self._monitor_label} loss has not "
                     f"improved for {patience} epochs; stopped after epoch {self.epoch} and "
                     f"restored the weights from epoch {best_epoch}")
        return True

    def restore_best(self) -> int | None:
        """Put back the weights of the best monitored epoch; returns that epoch."""
        if self._best is None:
            return None
        _, best_epoch, best_state = self._best
        with self._weights_lock, torch.no_grad():
            torch._foreach_copy_(self._state_tensors, best_state)
        return best_epoch

    @property
    def best_epoch(self) -> int | None:
        return None if self._best is None else self._best[1]

    # ----- evaluation -------------------------------------------------------------------------
    @property
    def _monitor_label(self) -> str:
        return "validation" if self.monitor == "val" else "test"

    def evaluate(self, splits: tuple[str, ...] | None = None) -> dict[str, Any]:
        """Loss and accuracy in eval mode (no dropout): by default the training set (when
        small) and the monitored split, with its confusion matrix for classification."""
        if splits is None:
            splits = (self.monitor,)
            if self._x_train.shape[0] <= FULL_TRAIN_EVAL_LIMIT:
                splits = ("train", *splits)
        result: dict[str, Any] = {}
        with self._weights_lock:
            self.model.eval()
            try:
                for name in splits:
                    x, y, labels = self._splits[name]
                    result.update(self._evaluate_set(
                        name, x, y, labels, confusion=name != "train" and self.dataset.is_image))
            finally:
                self.model.train()
        return result

    def _evaluate_set(self, name: str, x, y, labels, confusion: bool) -> dict[str, Any]:
        return evaluate_split(self.model, self.head, self._criterion, name, x, y, labels,
                              confusion)

    def test_metrics(self) -> dict[str, Any]:
        """Loss, accuracy, balanced accuracy and confusion matrix on the held-out test set."""
        return self.evaluate(("test",))


def class_weights(rule: str, head, dataset: Dataset) -> torch.Tensor | None:
    """'balanced': weight each class by n / (k * count), so rare classes count as much;
    'sqrt': by the square root of that, normalised to the same mean weight per sample."""
    if rule == "none" or head.task != "classification":
        return None
    counts = torch.bincount(dataset.y_train.long(), minlength=head.n_classes)
    counts = counts.clamp_min(1).float()
    weights = len(dataset.y_train) / (head.n_classes * counts)
    if rule == "sqrt":
        weights = weights.sqrt()
        weights = weights * counts.sum() / (weights * counts).sum()
    return weights


@torch.no_grad()
def evaluate_split(model: torch.nn.Module, head, criterion: torch.nn.Module, name: str, x, y,
                   labels, confusion: bool, chunk: int = 2048) -> dict[str, Any]:
    """Loss (and accuracy, balanced accuracy, confusion matrix) of `model` on one split, in
    chunks; the caller puts the model in eval mode."""
    if len(x) == 0:
        return {f"{name}_loss": float("nan")}
    total = 0.0
    classify = head.task == "classification"
    predicted = []
    for i in range(0, len(x), chunk):
        out = model(x[i:i + chunk])
        loss = criterion(head.outputs_for_loss(out), y[i:i + chunk])
        total += float(loss) * len(out)
        if classify:
            predicted.append(head.predicted_class(out))
    result: dict[str, Any] = {f"{name}_loss": total / len(x)}
    if classify:
        pred = torch.cat(predicted)
        result[f"{name}_accuracy"] = float((pred == labels).float().mean())
        if confusion:
            k = head.n_classes
            matrix = torch.bincount(labels.long() * k + pred, minlength=k * k).view(k, k)
            per_class = class_recall(matrix)
            result[f"{name}_balanced_accuracy"] = float(np.nanmean(per_class))
            if k <= MAX_CONFUSION_CLASSES:
                result[f"{name}_confusion"] = matrix.cpu().tolist()
    return result


def class_recall(matrix: torch.Tensor) -> np.ndarray:
    """Per-class recall from a confusion matrix (rows: true class); NaN for absent classes."""
    m = matrix.double().cpu().numpy()
    totals = m.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(m) / totals, np.nan)


def _penalty(weights: list[torch.Tensor], l1: float, l2: float) -> torch.Tensor:
    total = weights[0].new_zeros(())
    for w in weights:
        if l1:
            total = total + l1 * w.abs().sum()
        if l2:
            total = total + l2 * (w * w).sum()
    return total


def load_matching(model: torch.nn.Module, state: dict[str, torch.Tensor]) -> list[str]:
    """Copy the tensors of `state` whose name and shape match into `model`; their names."""
    own = model.state_dict()
    taken = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    model.load_state_dict(taken, strict=False)
    return sorted(taken)


def _clone_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


def run_to_end(config: RunConfig, dataset: Dataset | None = None, **kwargs: Any) -> Job:
    """Train synchronously in the calling thread's wake (used by the CLI and tests)."""
    job = Job(config, dataset, **kwargs)
    job.start()
    job.join()
    return job
