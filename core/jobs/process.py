"""Worker processes: one per job, so N sessions train on N cores and the server's interpreter
only draws. Commands and update batches go over a pipe; the weights the page draws go through
shared memory (one frame buffer per job, written by the worker when the page asks for a frame,
guarded by a cross-process lock).

Processes come from a fork server that has already imported torch (POSIX; plain spawn
elsewhere), so a job starts in well under a second instead of paying torch's import each time.
A worker ends when its job ends, when the server closes the pipe, or when the server dies (the
pipe's far end closes with it): no orphans.
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import multiprocessing as mp
import pickle
import sys
import threading
import time
from multiprocessing import forkserver
from typing import Any

import torch

from core.jobs.host import JobHost

TICK_S = 0.05
"""How often a worker forwards new events and looks for commands (20 update batches/s)."""
FRESH_WAIT_S = 0.2
"""How long a copy of the weights waits for the worker to publish the frame it asked for
(the worker answers within a tick; a busy or stopped one gets the last frame it published)."""
SMALL_BYTES = 8 * 2**20
_ALIGN = 16
_context_lock = threading.Lock()
_ctx: Any = None


def frame_bytes(like: list[torch.Tensor]) -> int:
    total = 0
    for t in like:
        total += -(-t.numel() * t.element_size() // _ALIGN) * _ALIGN
    return max(total, _ALIGN)


def tensor_views(frame: torch.Tensor, like: list[torch.Tensor]) -> list[torch.Tensor]:
    """Views into a flat uint8 buffer, one per tensor of `like` (same shape and dtype)."""
    views, offset = [], 0
    for t in like:
        n = t.numel() * t.element_size()
        views.append(frame[offset:offset + n].view(t.dtype).view(t.shape))
        offset += -(-n // _ALIGN) * _ALIGN
    return views


def worker_main(conn, lock, control: torch.Tensor, frame: torch.Tensor) -> None:
    """The worker process: build the job from the first message, then serve it until it ends.
    control = [frames requested, frames served, epoch, step] (shared int64)."""
    try:
        spec = conn.recv()
    except (EOFError, OSError):
        return
    if isinstance(spec, bytes):
        spec = pickle.loads(spec)

    def send(*message: Any) -> None:
        # by value: tensors sent through torch's shared-memory pickler would cost a file
        # descriptor each here and in the server, and die with this process
        conn.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    try:
        host = JobHost(spec)
    except Exception as exc:  # noqa: BLE001 - reported to the page as a message
        send("failed", f"{type(exc).__name__}: {exc}")
        return
    views = tensor_views(frame, host.state_tensors())
    shown: tuple | None = None

    def publish() -> None:
        nonlocal shown
        requested = int(control[0])
        status = (host.job.step_count, host.job.state)
        if status != shown:
            with lock:
                epoch, step = host.publish(views)
                control[2], control[3] = epoch, step
            shown = status
        control[1] = requested

    try:
        while True:
            if conn.poll(TICK_S):
                while conn.poll():
                    host.command(*conn.recv())
            job = host.job
            settled = job.state not in ("running", "stepping") and (
                job.step_count, job.state) != shown
            if settled or int(control[0]) != int(control[1]):
                publish()
            update = host.update()
            if update is not None:
                send("update", update)
            if host.finished():
                publish()
                send("update", host.update(force=True))
                send("handover", host.job.handover())
                return
    except (EOFError, OSError):  # the server went away: end the job, then the process
        host.job.stop(wait=True)


def _context():
    global _ctx
    with _context_lock:
        if _ctx is None:
            if "forkserver" in mp.get_all_start_methods():
                _ctx = mp.get_context("forkserver")
                _ctx.set_forkserver_preload(["core.jobs.preload"])
            else:
                _ctx = mp.get_context("spawn")
        return _ctx


@contextlib.contextmanager
def _main_not_reimported():
    """A child re-imports the parent's main script unless main names a module; under
    `streamlit run` main is Streamlit's launcher, which a worker does not need (it would cost
    a second and ~60 MB per worker). Present main as `__main__` while the child starts."""
    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__spec__", None) is not None:
        yield
        return
    main.__spec__ = importlib.machinery.ModuleSpec("__main__", None)
    try:
        yield
    finally:
        main.__spec__ = None


class ProcessChannel:
    """The server's end of one worker process."""

    def __init__(self, spec: dict[str, Any], like: list[torch.Tensor]):
        ctx = _context()
        self._conn, child = ctx.Pipe()
        self._lock = ctx.Lock()
        self._control = torch.zeros(4, dtype=torch.int64).share_memory_()
        self._frame = torch.zeros(frame_bytes(like), dtype=torch.uint8).share_memory_()
        self._views = tensor_views(self._frame, like)
        with torch.no_grad():
            torch._foreach_copy_(self._views, [t.detach() for t in like])
        self.process = ctx.Process(target=worker_main, name="playground-worker", daemon=True,
                                   args=(child, self._lock, self._control, self._frame))
        with _context_lock, _main_not_reimported():
            self.process.start()
        child.close()
        data = spec["dataset"]
        small = sum(t.numel() * t.element_size() for t in (
            data.x_train, data.y_train, data.x_test, data.y_test) if t is not None) < SMALL_BYTES
        # a small dataset travels by value; a big one (MNIST: 200 MB) through shared memory,
        # so the server and every worker read one copy
        self._conn.send(pickle.dumps(spec, protocol=pickle.HIGHEST_PROTOCOL) if small else spec)

    def send(self, *message: Any) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._conn.send(message)

    def recv(self) -> tuple:
        """The next message; EOFError once the worker is gone."""
        try:
            return pickle.loads(self._conn.recv_bytes())
        except (OSError, ValueError) as exc:
            raise EOFError(str(exc)) from exc

    def weights_into(self, targets: list[torch.Tensor]) -> tuple[int, int]:
        """Ask the worker to publish its current weights, wait a moment for them, and copy
        them into `targets`: what the page draws belongs to the epoch its counters show,
        not to the previous frame's request."""
        self._control[0] += 1
        wanted = int(self._control[0])
        deadline = time.monotonic() + FRESH_WAIT_S
        while (int(self._control[1]) < wanted and time.monotonic() < deadline
               and self.process.is_alive()):
            time.sleep(0.002)
        got = self._lock.acquire(timeout=1.0)  # a worker killed mid-copy never releases it
        try:
            with torch.no_grad():
                torch._foreach_copy_(targets, self._views)
            epoch, step = int(self._control[2]), int(self._control[3])
        finally:
            if got:
                self._lock.release()
        return epoch, step

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._conn.close()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)

    def gone_reason(self) -> str:
        code = self.process.exitcode
        if code is None or code == 0:
            return "it ended without saying why"
        if code < 0:
            return f"it was stopped by signal {-code}"
        return f"it exited with status {code}"

    @property
    def pid(self) -> int | None:
        return self.process.pid


def warm_up() -> None:
    """Start the fork server now (it imports torch: seconds), not when the first student
    presses Train."""
    ctx = _context()
    if ctx.get_start_method() == "forkserver":
        with _context_lock:
            forkserver.ensure_running()


class ProcessBackend:
    name = "process"

    def open(self, spec: dict[str, Any], like: list[torch.Tensor]) -> ProcessChannel:
        return ProcessChannel(spec, like)
