"""What the benchmarks read from and do to processes: memory from ``/proc``, a free port, a health check."""

from __future__ import annotations

import ctypes
import gc
import socket
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

_LIBC: Any = None


def trim() -> None:
    """Collect garbage and hand freed heap back to the OS, so that the resident set is the live memory."""
    global _LIBC
    gc.collect()
    try:
        if _LIBC is None:
            _LIBC = ctypes.CDLL("libc.so.6")
        _LIBC.malloc_trim(0)
    except OSError:
        pass


def status_kb(key: str, pid: int | str = "self") -> int | None:
    """A field of ``/proc/<pid>/status`` in kB (``VmRSS``: resident set now, ``VmHWM``: its peak); None if gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthy(url: str) -> bool:
    """Whether a Streamlit health endpoint at ``url`` answers ``ok``."""
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200 and resp.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False
