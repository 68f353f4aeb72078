"""Find a public dataset file locally, or download it once into a cache, verified.

Order: `PLAYGROUND_DATA_DIR` (a folder of local copies: how tests and CI use ../shared/data),
then the user cache (`PLAYGROUND_CACHE_DIR`, default ~/.cache/nn-playground), then the
canonical URL. A download goes to a `.part` file, is checked against its SHA-256, and only then
renamed into the cache, so a broken or truncated download is never half-loaded. Files found
locally are checked by their loader (shape and type), since a re-packed copy of the same data
can have a different checksum.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Progress = Callable[[int, int | None], None]
"""progress(bytes so far, total bytes or None when the server does not say)."""

CHUNK = 1 << 16


class DatasetUnavailable(Exception):
    """The data is neither here nor downloadable; the message says where to put the file."""


@dataclass(frozen=True)
class RemoteFile:
    filename: str
    url: str
    sha256: str
    size: int | None = None
    title: str = ""


def cache_dir() -> Path:
    return Path(os.environ.get("PLAYGROUND_CACHE_DIR")
                or Path.home() / ".cache" / "nn-playground")


def local_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("PLAYGROUND_DATA_DIR"):
        dirs.append(Path(os.environ["PLAYGROUND_DATA_DIR"]))
    dirs.append(cache_dir())
    return dirs


def find_local(filename: str) -> Path | None:
    for folder in local_dirs():
        path = folder / filename
        if path.is_file():
            return path
    return None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def where_to_put(remote: RemoteFile) -> str:
    return (f"put {remote.filename} into {cache_dir()} (or set PLAYGROUND_DATA_DIR to a folder "
            f"that has it); it can be downloaded from {remote.url}")


def fetch(remote: RemoteFile, progress: Progress | None = None, timeout: float = 30.0) -> Path:
    """The local path of `remote`, downloading and verifying it first if needed."""
    found = find_local(remote.filename)
    if found is not None:
        return found
    target = cache_dir() / remote.filename
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    name = remote.title or remote.filename
    try:
        with urllib.request.urlopen(remote.url, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else remote.size
            done = 0
            with open(part, "wb") as out:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
        if total is not None and done != total:
            raise DatasetUnavailable(f"the download of {name} stopped after {done:,} of "
                                     f"{total:,} bytes; try again, or {where_to_put(remote)}")
        digest = sha256_of(part)
        if digest != remote.sha256.lower():
            raise DatasetUnavailable(f"the downloaded {name} is damaged (its SHA-256 checksum "
                                     f"does not match); try again, or {where_to_put(remote)}")
        part.replace(target)
        return target
    except http.client.HTTPException as exc:  # e.g. IncompleteRead: the server hung up early
        raise DatasetUnavailable(f"the download of {name} broke off ({type(exc).__name__}); "
                                 f"try again, or {where_to_put(remote)}") from None
    except OSError as exc:  # URLError, refused connection, timeout, disk full
        reason = getattr(exc, "reason", exc)
        raise DatasetUnavailable(f"{name} is not on this machine and could not be downloaded "
                                 f"(no internet? {reason}); {where_to_put(remote)}") from None
    finally:
        if part.exists():
            part.unlink()
