"""Memory of a process tree, read from /proc: its resident set, and RSS (`VmRSS`) and PSS (`smaps_rollup`)
per process.

The resident set of the tree is every physical page mapped by any of its processes, each counted once
(`/proc/PID/pagemap`). For one process it is that process's RSS; for processes forked from one parent
(`muistot-dev run`) it is less than their RSS added up, which counts a page shared by seven processes seven
times. PSS splits each shared page between all the processes mapping it, inside the tree or not, so the
PSS of a tree is a lower bound of its resident set.
"""

from __future__ import annotations

import array
import os
import threading
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
_PRESENT = 1 << 63
_FRAME = (1 << 55) - 1


@dataclass(frozen=True)
class ProcessMemory:
    pid: int
    name: str
    rss_kib: int
    pss_kib: int


@dataclass(frozen=True)
class Snapshot:
    processes: tuple[ProcessMemory, ...]
    resident_kib: int | None = None  # the tree's resident set, each page once; None where pagemap is unreadable

    @property
    def rss_mib(self) -> float:
        """The tree's resident set; where frames cannot be read, the per-process RSS added up (never less)."""
        return self.resident_kib / 1024 if self.resident_kib is not None else self.rss_sum_mib

    @property
    def rss_sum_mib(self) -> float:
        return sum(p.rss_kib for p in self.processes) / 1024

    @property
    def pss_mib(self) -> float:
        return sum(p.pss_kib for p in self.processes) / 1024

    def by_name(self) -> dict[str, dict[str, float]]:
        return {p.name: {"pid": p.pid, "rss_mib": round(p.rss_kib / 1024, 1), "pss_mib": round(p.pss_kib / 1024, 1)}
                for p in self.processes}


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after the last ')'.
    return raw[raw.rindex(")") + 2:].split()


def start_time(pid: int) -> int | None:
    """Clock ticks since boot when `pid` started: with the pid, it names one process even if pids are reused."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def descendants(root: int) -> list[int]:
    """`root` and every process below it (by parent pid), `root` first; gone processes are left out."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    pending = [root] if (PROC / str(root)).exists() else []
    while pending:
        pid = pending.pop(0)
        found.append(pid)
        pending.extend(sorted(children.get(pid, [])))
    return found


def _kib(path: Path, field: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def name_for(argv: list[str]) -> str:
    """What a stack process is, from its command line: `muistot-dev run`, a service name, `worker`, `traefik`, …"""
    cli = next((module for module in ("muistot.cli", "muistot_tooling.cli") if module in argv), None)
    if cli is not None:
        rest = argv[argv.index(cli) + 1:]
    elif argv and os.path.basename(argv[0]) in ("muistot", "muistot-dev"):
        rest = argv[1:]
    elif "muistot_tooling.fakeredis_server" in argv:
        return "redis (embedded)"
    else:
        return os.path.basename(argv[0]) if argv else "?"
    if rest[:1] == ["serve"] and len(rest) > 1:
        return rest[1]
    if rest[:1] == ["run"]:
        return "muistot-dev run"
    return rest[0] if rest else "muistot"


def process_name(pid: int) -> str:
    try:
        # Split on spaces too: `muistot-dev run` names the processes it forks with one string.
        argv = (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").split()
    except OSError:
        return f"pid {pid}"
    return name_for(argv)


def resident_frames(pid: int) -> set[int] | None:
    """The physical frames of the pages `pid` has resident, or None if they cannot be read (the process is
    gone, or this process may not see frame numbers: that takes CAP_SYS_ADMIN, and without it they read 0)."""
    frames: set[int] = set()
    try:
        with (PROC / str(pid) / "maps").open() as maps, (PROC / str(pid) / "pagemap").open("rb") as pagemap:
            for line in maps:
                start, end = (int(bound, 16) for bound in line.split(None, 1)[0].split("-"))
                if start >= 1 << 47:
                    continue  # [vsyscall]: above user space, no pagemap entries
                pagemap.seek(start // PAGE_BYTES * 8)
                entries = array.array("Q")
                entries.frombytes(pagemap.read((end - start) // PAGE_BYTES * 8))
                frames.update(entry & _FRAME for entry in entries if entry & _PRESENT)
    except OSError:
        return None
    return None if 0 in frames else frames


def resident_kib(pids: list[int]) -> int | None:
    """The resident set of these processes together, each physical page once."""
    union: set[int] = set()
    for pid in pids:
        frames = resident_frames(pid)
        if frames is None:
            if (PROC / str(pid)).exists():
                return None
            continue  # gone since it was listed
        union |= frames
    return len(union) * PAGE_BYTES // 1024


def snapshot(pids: list[int]) -> Snapshot:
    processes = []
    seen: dict[str, int] = {}
    for pid in pids:
        rss = _kib(PROC / str(pid) / "status", "VmRSS:")
        if not rss:
            continue  # gone, or a kernel thread
        name = process_name(pid)
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name} #{seen[name]}"
        processes.append(ProcessMemory(pid, name, rss, _kib(PROC / str(pid) / "smaps_rollup", "Pss:")))
    return Snapshot(tuple(processes), resident_kib([p.pid for p in processes]))


class PeakSampler:
    """Samples a process tree in a thread while load runs and keeps the snapshot of the largest resident set.

    A sample reads every page table entry of the tree (about 0.1 s of one core for the stack), so it is taken
    every two seconds; memory the stack took under load is not given back that fast.
    """

    def __init__(self, root: int, interval: float = 2.0) -> None:
        self.root = root
        self.interval = interval
        self.peak: Snapshot | None = None
        self.seen: dict[int, int | None] = {}  # pid → start time, for the final clean-up
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sample(self, *, peak: bool = True) -> Snapshot:
        """The tree now; with `peak`, it also counts towards the loaded figure."""
        pids = descendants(self.root)
        for pid in pids:
            self.seen.setdefault(pid, start_time(pid))
        taken = snapshot(pids)
        if peak and (self.peak is None or taken.rss_mib > self.peak.rss_mib):
            self.peak = taken
        return taken

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self.sample()  # the load has just ended: what it left resident counts too
