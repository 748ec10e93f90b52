"""The one table at the end, its last line, and `var/resilience/latest.json`."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from muistot_tooling.resilience.context import Case


@dataclass
class Outcome:
    faults: list[Case] = field(default_factory=list)
    abuse: list[Case] = field(default_factory=list)
    requests: int = 0
    errors: int = 0
    server_errors: int = 0
    unexpected_5xx: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # anything else that failed (load, set-up, writes)
    fuzz_cases: int = 0
    fuzz_failures: list[str] = field(default_factory=list)
    writes_acknowledged: int = 0
    writes_found: int = 0
    seconds: float = 0.0
    fuzz_ran: bool = False

    @property
    def ok(self) -> bool:
        return (all(case.passed for case in self.faults) and all(case.passed for case in self.abuse)
                and not self.unexpected_5xx and not self.problems and not self.fuzz_failures and self.fuzz_ran
                and self.writes_found == self.writes_acknowledged > 0 and bool(self.faults) and bool(self.abuse))

    def summary(self) -> str:
        survived = sum(case.passed for case in self.faults)
        passed = sum(case.passed for case in self.abuse)
        return (f"resilience: {survived}/{len(self.faults)} faults survived, {len(self.unexpected_5xx)} unexpected "
                f"5xx, {passed}/{len(self.abuse)} abuse cases passed, {self.writes_found}/{self.writes_acknowledged} "
                f"writes found, lost {self.writes_acknowledged - self.writes_found}")

    def table(self) -> str:
        rows = [
            ("faults injected / survived", f"{len(self.faults)} / {sum(c.passed for c in self.faults)}"),
            ("requests / errors / 5xx (unexpected)",
             f"{self.requests} / {self.errors} / {self.server_errors} ({len(self.unexpected_5xx)})"),
            ("fuzz cases / failures", f"{self.fuzz_cases} / {len(self.fuzz_failures)}"),
            ("abuse cases / passed", f"{len(self.abuse)} / {sum(c.passed for c in self.abuse)}"),
            ("writes acknowledged / found afterwards", f"{self.writes_acknowledged} / {self.writes_found}"),
            ("wall time", f"{self.seconds:.0f} s"),
        ]
        width = max(len(name) for name, _ in rows)
        lines = [f"{'':-<{width + 24}}"]
        lines += [f"{name:<{width}}  {value}" for name, value in rows]
        lines.append(lines[0])
        return "\n".join(lines)

    def failures(self) -> list[str]:
        found = [f"fault: {c.name}: {c.detail}" for c in self.faults if not c.passed]
        found += [f"abuse: {c.name}: {c.detail}" for c in self.abuse if not c.passed]
        found += [f"unexpected 5xx: {line}" for line in self.unexpected_5xx[:20]]
        found += [f"fuzz: {line}" for line in self.fuzz_failures[:20]]
        found += [f"problem: {line}" for line in self.problems[:20]]
        if not self.fuzz_ran:
            found.append("fuzz: did not run")
        return found

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {**asdict(self), "ok": self.ok, "summary": self.summary(),
                "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
