"""The end of a bench run: one table on the terminal and `var/bench/latest.json`."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from muistot_tooling.bench.cases import RSS_GROWTH_MAX, RSS_IDLE_MAX_MIB, Case
from muistot_tooling.bench.memory import Snapshot
from muistot_tooling.bench.wrk import WrkResult


@dataclass(frozen=True)
class Measured:
    case: Case
    connections: int
    runs: tuple[WrkResult, ...]

    @property
    def best(self) -> WrkResult:
        return max(self.runs, key=lambda run: run.ok_rps)

    @property
    def rps(self) -> float:
        """Requests per second; for the write case, acknowledged (201) writes per second."""
        return self.best.ok_rps

    @property
    def non2xx(self) -> int:
        best = self.best
        return best.not_created if best.not_created is not None else best.non2xx

    def entry(self) -> dict[str, Any]:
        best = self.best
        return {"id": self.case.id, "connections": self.connections, "rps": round(self.rps, 1),
                "p50_ms": round(best.p50_ms, 2), "p99_ms": round(best.p99_ms, 2), "non2xx": self.non2xx,
                "timeouts": best.timeouts}


@dataclass(frozen=True)
class Verdict:
    measured: Measured
    ratio: float | None
    passed: bool | None  # None: a reference line, nothing to meet

    @property
    def text(self) -> str:
        case = self.measured.case
        if self.measured.connections == 32:
            if self.ratio is None:
                return "reference" if case.gateway == "reference" else ""
            return f"{self.ratio:6.1%} {case.target}: {'pass' if self.passed else 'FAIL'}"
        return f"no errors: {'pass' if self.passed else 'FAIL'}"


def verdicts(rows: Sequence[Measured]) -> list[Verdict]:
    reference = {(row.case.id, row.connections): row.rps for row in rows if row.case.gateway == "reference"}
    found = []
    for row in rows:
        if row.connections != 32:
            clean = row.non2xx == 0 and row.best.timeouts == 0
            found.append(Verdict(row, None, clean))
            continue
        line = reference.get((row.case.reference or "", 32))
        if row.case.reference is None or not line:
            found.append(Verdict(row, None, None))
            continue
        ratio = row.rps / line
        found.append(Verdict(row, ratio, ratio >= (row.case.min_ratio or 0)))
    return found


@dataclass(frozen=True)
class MemoryFigures:
    idle: Snapshot
    loaded: Snapshot

    @property
    def growth(self) -> float:
        return self.loaded.rss_mib / self.idle.rss_mib - 1 if self.idle.rss_mib else 0.0

    @property
    def idle_ok(self) -> bool:
        return self.idle.rss_mib <= RSS_IDLE_MAX_MIB

    @property
    def growth_ok(self) -> bool:
        return self.growth <= RSS_GROWTH_MAX


HEADER = ("case", "conns", "rps", "p50 ms", "p99 ms", "non-2xx", "timeouts", "vs reference, target")


def _format_rows(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    right = {1, 2, 3, 4, 5, 6}
    lines = [" | ".join(cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
                        for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return lines


def table(rows: Sequence[Measured], memory: MemoryFigures) -> str:
    cells = [HEADER]
    for verdict in verdicts(rows):
        row, best = verdict.measured, verdict.measured.best
        cells.append((row.case.id, str(row.connections), f"{row.rps:,.0f}", f"{best.p50_ms:.2f}",
                      f"{best.p99_ms:.2f}", str(row.non2xx), str(best.timeouts), verdict.text))
    lines = _format_rows(cells)
    idle, loaded = memory.idle, memory.loaded
    lines += [
        "",
        f"stack RSS: idle {idle.rss_mib:.0f} MiB (≤{RSS_IDLE_MAX_MIB}: {'pass' if memory.idle_ok else 'FAIL'}), "
        f"loaded {loaded.rss_mib:.0f} MiB ({memory.growth:+.1%}, ≤+{RSS_GROWTH_MAX:.0%}: "
        f"{'pass' if memory.growth_ok else 'FAIL'}), each resident page once"
        + ("" if idle.resident_kib is not None else " (frames unreadable here: per-process RSS added up)"),
        f"  per-process RSS added up: idle {idle.rss_sum_mib:.0f} MiB, loaded {loaded.rss_sum_mib:.0f} MiB "
        f"(a page shared by forked processes counts in each); PSS idle {idle.pss_mib:.0f} MiB, "
        f"loaded {loaded.pss_mib:.0f} MiB",
    ]
    by_name = {p.name: p for p in loaded.processes}
    process_rows = [("process", "RSS idle", "RSS loaded", "PSS idle", "PSS loaded")]
    for process in idle.processes:
        under_load = by_name.get(process.name)
        process_rows.append((process.name, f"{process.rss_kib / 1024:.1f}",
                             f"{under_load.rss_kib / 1024:.1f}" if under_load else "-",
                             f"{process.pss_kib / 1024:.1f}",
                             f"{under_load.pss_kib / 1024:.1f}" if under_load else "-"))
    lines += ["", *("  " + line for line in _format_rows(process_rows))]
    return "\n".join(lines)


def document(rows: Sequence[Measured], memory: MemoryFigures, *, seconds: float,
             dataset: dict[str, int], load: dict[str, Sequence[float]] | None = None) -> dict[str, Any]:
    """`{"cases": [...], "rss_mib": {"idle", "loaded"}}` as the issue asks, and more beside it."""
    return {
        "cases": [row.entry() for row in rows],
        "rss_mib": {"idle": round(memory.idle.rss_mib, 1), "loaded": round(memory.loaded.rss_mib, 1)},
        "rss_sum_mib": {"idle": round(memory.idle.rss_sum_mib, 1), "loaded": round(memory.loaded.rss_sum_mib, 1)},
        "pss_mib": {"idle": round(memory.idle.pss_mib, 1), "loaded": round(memory.loaded.pss_mib, 1)},
        "processes": {"idle": memory.idle.by_name(), "loaded": memory.loaded.by_name()},
        "targets": [
            *({"id": v.measured.case.id, "connections": v.measured.connections,
               "target": v.measured.case.target if v.measured.connections == 32 else "no non-2xx, no timeouts",
               "ratio": None if v.ratio is None else round(v.ratio, 4), "pass": v.passed}
              for v in verdicts(rows) if v.passed is not None),
            {"id": "rss_idle", "target": f"≤{RSS_IDLE_MAX_MIB} MiB", "pass": memory.idle_ok},
            {"id": "rss_growth", "target": f"≤+{RSS_GROWTH_MAX:.0%}", "ratio": round(memory.growth, 4),
             "pass": memory.growth_ok},
        ],
        "runs": [{"id": row.case.id, "connections": row.connections, "rps": [round(r.ok_rps, 1) for r in row.runs],
                  "requests": [r.requests for r in row.runs], "socket_errors": row.best.socket_errors,
                  **({"statuses": {str(k): v for k, v in sorted(row.best.statuses.items())}}
                     if row.best.statuses is not None else {})}
                 for row in rows],
        "bench_seconds": seconds,
        "cpus": os.cpu_count(),
        # 1-, 5- and 15-minute load averages when the measured runs began and ended: other work on the machine.
        "load_average": {key: [round(value, 2) for value in values] for key, values in (load or {}).items()},
        "dataset": dataset,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
