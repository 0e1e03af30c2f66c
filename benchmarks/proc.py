"""Run a command as a subprocess; measure its wall time and peak resident memory."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

POLL_SECONDS = 0.05
PYTHON = sys.executable
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Measured:
    """Wall time (s) and peak RSS (bytes, the process and its children summed) of one command."""

    seconds: float
    peak_rss: int
    stdout: str


def _tree_rss(proc: psutil.Process) -> int:
    try:
        members = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for member in members:
        try:
            total += member.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def measure(cmd: list[str], env: dict[str, str] | None = None) -> Measured:
    """Run ``cmd`` to completion, polling its RSS every 50 ms; raise if it fails."""
    # Output goes to files, not pipes, so a chatty command never blocks on a full pipe.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        popen = subprocess.Popen(
            cmd, stdout=out, stderr=err, text=True, env=None if env is None else os.environ | env
        )
        proc = psutil.Process(popen.pid)
        peak = 0
        while popen.poll() is None:
            peak = max(peak, _tree_rss(proc))
            time.sleep(POLL_SECONDS)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if popen.returncode != 0:
            raise RuntimeError(
                f"{' '.join(cmd)} failed ({popen.returncode}):\n{err.read()[-4000:]}"
            )
        return Measured(seconds, peak, out.read())


def warm_cache(path: Path) -> None:
    """Read a file once so every contender starts with it in the page cache."""
    with path.open("rb") as handle:
        while handle.read(16 * 1024 * 1024):
            pass
