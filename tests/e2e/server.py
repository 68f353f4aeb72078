"""Start and stop `streamlit run app.py` for browser tests and developer tools.

Used by the `app_server` pytest fixture and by `tools/screenshot.py`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = REPO_ROOT / "tests" / "artifacts"
SHARED_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
DEFAULT_LOG_PATH = ARTIFACTS_DIR / "streamlit-server.log"
STARTUP_TIMEOUT_S = 60.0


class AppServerError(RuntimeError):
    """The Streamlit server died or did not become healthy in time."""


@dataclass
class AppServer:
    """A running `streamlit run app.py` subprocess."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    _log_file: IO[bytes]

    @property
    def base_url(self) -> str:
        """The app's root URL, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, max_chars: int = 4000) -> str:
        """The last `max_chars` characters of the server's combined stdout/stderr log."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return text[-max_chars:]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The inherited environment, plus `PLAYGROUND_DATA_DIR` when `../shared/data` exists."""
    env = dict(os.environ if base is None else base)
    if "PLAYGROUND_DATA_DIR" not in env and SHARED_DATA_DIR.is_dir():
        env["PLAYGROUND_DATA_DIR"] = str(SHARED_DATA_DIR)
    return env


def streamlit_command(port: int) -> list[str]:
    """The command line that serves `app.py` headless on `127.0.0.1:port`."""
    return [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        "--global.developmentMode", "false",
    ]  # fmt: skip


def _is_healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as resp:
            return resp.status == 200 and resp.read().strip() == b"ok"
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def start_app_server(
    log_path: Path = DEFAULT_LOG_PATH, timeout: float = STARTUP_TIMEOUT_S,
    env: dict[str, str] | None = None,
) -> AppServer:
    """Start the app on a free port and block until `/_stcore/health` answers "ok".
    `env`: extra environment variables (e.g. the server's PLAYGROUND_* settings).

    Raises `AppServerError` (with the server's log) if it exits or is not healthy in time.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        streamlit_command(port),
        cwd=REPO_ROOT,
        env={**server_env(), **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    server = AppServer(process=process, port=port, log_path=log_path, _log_file=log_file)
    deadline = time.monotonic() + timeout
    while not _is_healthy(server.base_url):
        if process.poll() is not None:
            stop_app_server(server)
            raise AppServerError(
                f"streamlit exited with code {process.returncode} before becoming healthy; "
                f"log ({log_path}):\n{server.log_tail()}"
            )
        if time.monotonic() > deadline:
            stop_app_server(server)
            raise AppServerError(
                f"streamlit not healthy after {timeout:.0f} s; log ({log_path}):\n"
                f"{server.log_tail()}"
            )
        time.sleep(0.2)  # poll interval for an external process, not browser synchronisation
    return server


def stop_app_server(server: AppServer, timeout: float = 10.0) -> None:
    """Terminate the server (SIGTERM), kill it if it outlives `timeout`, close the log."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=timeout)
    server._log_file.close()


@contextmanager
def running_app_server(
    log_path: Path = DEFAULT_LOG_PATH, timeout: float = STARTUP_TIMEOUT_S,
    env: dict[str, str] | None = None,
) -> Iterator[AppServer]:
    """Context manager: a healthy app server for the duration of the block."""
    server = start_app_server(log_path=log_path, timeout=timeout, env=env)
    try:
        yield server
    finally:
        stop_app_server(server)
