"""The processes under another one, read from /proc: what the system tests and `make resilience` look up
to kill a service of `muistot-dev run`, to stop it, and to check that nothing is left after it stops."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (by parent links in /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def command_line(pid: int) -> list[str]:
    """The words of a process's command line (`muistot-dev run` names the processes it forks with one string)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").split()
    except OSError:
        return []


def words_in_order(argv: list[str], words: tuple[str, ...]) -> bool:
    """True when every one of `words` is in `argv`, in this order."""
    position = 0
    for word in words:
        try:
            position = argv.index(word, position) + 1
        except ValueError:
            return False
    return True


def processes_with(pid: int, *words: str) -> list[int]:
    """The live processes below `pid` whose command line has all of `words` in this order."""
    return [child for child in descendants(pid) if alive(child) and words_in_order(command_line(child), words)]


def stop_group(process: subprocess.Popen[Any], first: signal.Signals, timeout: float) -> int:
    """`first` to the process's group, then SIGKILL to the group if the process outlives `timeout`;
    the process's exit status."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, first)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        return process.wait()


def kill_leftovers(pids: Iterable[int]) -> None:
    """SIGKILL each of `pids` still alive: processes in sessions of their own outlive their supervisor."""
    for pid in pids:
        if alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

