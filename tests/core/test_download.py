"""The download path against a real HTTP server on 127.0.0.1: progress, checksum, truncation,
offline, and local copies taking precedence."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.data.download import DatasetUnavailable, RemoteFile, fetch, find_local

PAYLOAD = bytes(range(256)) * 1024  # 256 KiB: several read chunks


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path == "/good.bin":
            self._send(PAYLOAD, len(PAYLOAD))
        elif self.path == "/truncated.bin":  # promises the whole file, sends half, hangs up
            self._send(PAYLOAD[: len(PAYLOAD) // 2], len(PAYLOAD))
        else:
            self.send_error(404)

    def _send(self, body: bytes, length: int) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("PLAYGROUND_CACHE_DIR", str(cache))
    monkeypatch.delenv("PLAYGROUND_DATA_DIR", raising=False)
    return cache


def _remote(url: str, sha: str | None = None) -> RemoteFile:
    return RemoteFile("data.bin", url, sha or hashlib.sha256(PAYLOAD).hexdigest(),
                      title="Test data")


def test_download_reports_progress_verifies_and_caches(server: str, dirs: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    path = fetch(_remote(f"{server}/good.bin"), progress=lambda d, t: seen.append((d, t)))
    assert path == dirs / "data.bin"
    assert path.read_bytes() == PAYLOAD
    assert seen[-1] == (len(PAYLOAD), len(PAYLOAD))
    assert len(seen) > 1 and all(a[0] < b[0] for a, b in zip(seen, seen[1:], strict=False))
    # a second fetch finds the cached copy and does not touch the network
    assert fetch(_remote("http://127.0.0.1:9/unreachable")) == path


def test_checksum_mismatch_is_refused_and_nothing_is_kept(server: str, dirs: Path) -> None:
    with pytest.raises(DatasetUnavailable, match="checksum does not match"):
        fetch(_remote(f"{server}/good.bin", sha="0" * 64))
    assert not any(dirs.iterdir())  # neither the file nor a .part is left behind


def test_truncated_download_is_detected(server: str, dirs: Path) -> None:
    with pytest.raises(DatasetUnavailable, match="broke off|stopped after"):
        fetch(_remote(f"{server}/truncated.bin"))
    assert not any(dirs.iterdir())


def test_offline_message_says_where_to_put_the_file(dirs: Path) -> None:
    closed = "http://127.0.0.1:9/data.bin"  # port 9 (discard) refuses: an offline machine
    with pytest.raises(DatasetUnavailable) as info:
        fetch(_remote(closed))
    message = str(info.value)
    assert "could not be downloaded" in message
    assert str(dirs) in message and "PLAYGROUND_DATA_DIR" in message and closed in message


def test_local_data_dir_wins_over_cache(tmp_path: Path, dirs: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    local = tmp_path / "shared"
    local.mkdir()
    (local / "data.bin").write_bytes(b"local copy")
    dirs.mkdir()
    (dirs / "data.bin").write_bytes(b"cached copy")
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(local))
    assert find_local("data.bin") == local / "data.bin"
    assert fetch(_remote("http://127.0.0.1:9/x")).read_bytes() == b"local copy"
