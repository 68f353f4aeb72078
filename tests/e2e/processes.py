"""The server's processes as the operating system sees them (Linux /proc): its training
workers (the children of its fork server) and its resident memory."""

from __future__ import annotations

from pathlib import Path


def _parents() -> dict[int, int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        if fields[0] != "Z":  # zombies are gone, only not yet reaped
            parents[int(stat.parent.name)] = int(fields[1])
    return parents


def worker_pids(server_pid: int) -> set[int]:
    """Training worker processes of the server: the children of its fork server."""
    parents = _parents()
    forkservers = {pid for pid, parent in parents.items() if parent == server_pid
                   and b"forkserver" in _cmdline(pid)}
    return {pid for pid, parent in parents.items() if parent in forkservers}


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise ValueError(f"no VmRSS for {pid}")
