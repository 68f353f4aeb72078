"""Read a file named by a user (CLI argument, model path) without trusting what the name is:
only a regular file, only up to a size, never blocking. A symlink to /dev/zero would otherwise
be read until memory runs out, and a named pipe (FIFO) would hang the reader forever."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path


def size_text(n: float) -> str:
    """Bytes in words for messages: "17.6 GB", "133.0 MB"."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n:,.0f} bytes"

MAX_PICTURE_BYTES = 100 * 1000**2
"""The largest picture, FITS file or zip the playground reads (CLI and uploads alike): a
40-megapixel 16-bit TIFF is 80 MB, far beyond any galaxy cut-out or drawing. The upload limit
`server.maxUploadSize` in .streamlit/config.toml is the same number in megabytes."""


class UnreadableFile(ValueError):
    """A path that is not an ordinary, readable file of an acceptable size (plain sentence)."""


def read_regular_file(path: str | Path, max_bytes: int) -> bytes:
    """The file's bytes; UnreadableFile when it is missing, not a regular file (a device, a
    pipe, a socket, a folder — links are judged by what they point to) or over `max_bytes`."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise UnreadableFile("there is no such file") from None
    except IsADirectoryError:
        raise UnreadableFile("this is a folder, not a file") from None
    except OSError as exc:
        raise UnreadableFile(f"the file cannot be opened ({exc.strerror or exc})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        if stat.S_ISDIR(info.st_mode):
            raise UnreadableFile("this is a folder, not a file")
        raise UnreadableFile("this is not an ordinary file (a device, a pipe or a socket); "
                             "only regular files are read")
    with os.fdopen(fd, "rb") as f:
        if info.st_size > max_bytes:
            raise UnreadableFile(f"the file is {size_text(info.st_size)}, more than the "
                                 f"{size_text(max_bytes)} this reads")
        try:
            data = f.read(max_bytes + 1)  # a file that grows while it is read stops here
        except OSError as exc:
            raise UnreadableFile(f"the file cannot be read ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise UnreadableFile(f"the file is more than the {size_text(max_bytes)} this reads")
    return data


def check_regular_file(path: str | Path, max_bytes: int) -> None:
    """The same checks without reading (for files a library opens itself, e.g. safetensors)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise UnreadableFile("there is no such file") from None
    except OSError as exc:
        raise UnreadableFile(f"the file cannot be opened ({exc.strerror or exc})") from None
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableFile("this is not an ordinary file (a folder, a device, a pipe or a "
                             "socket); only regular files are read")
    if info.st_size > max_bytes:
        raise UnreadableFile(f"the file is {size_text(info.st_size)}, more than the "
                             f"{size_text(max_bytes)} this reads")


def keep_by_content(data: bytes, folder: Path, name: str, suffix: str, fallback: str) -> Path:
    """Keep an upload under `folder`/<hash of its bytes>/<tidied name><suffix> and return the
    path: a config (and a job in another process) names the file by it, the same bytes land in
    the same place, and a half-written file is never seen under the final name."""
    digest = hashlib.sha256(data).hexdigest()[:16]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).stem)[:60] or fallback
    target = folder / digest / f"{stem}{suffix}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(target)
    return target
