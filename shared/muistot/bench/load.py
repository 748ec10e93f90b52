"""A small keep-alive HTTP/1.1 load generator on raw asyncio streams.

A Python HTTP client library would add more latency than the thing being measured; this one
writes a fixed request and reads the status line, headers and Content-Length body, nothing more.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Result:
    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    elapsed: float = 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index] * 1000

    def row(self) -> list[str]:
        count = len(self.latencies)
        rps = count / self.elapsed if self.elapsed else 0
        mean = statistics.fmean(self.latencies) * 1000 if count else float("nan")
        codes = ",".join(f"{code}×{n}" for code, n in sorted(self.statuses.items()))
        return [self.name, str(count), f"{rps:,.0f}", f"{mean:.2f}", f"{self.percentile(50):.2f}",
                f"{self.percentile(90):.2f}", f"{self.percentile(99):.2f}", codes]


HEADER = ["case", "requests", "req/s", "mean ms", "p50 ms", "p90 ms", "p99 ms", "statuses"]


def table(results: list[Result]) -> str:
    rows = [HEADER, *(result.row() for result in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = [" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        lowered = name.strip().lower()
        if lowered == b"content-length":
            length = int(value.strip())
        elif lowered == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def run(name: str, url: str, headers: dict[str, str] | None = None, *, concurrency: int = 16,
              requests: int = 4000, warmup: int = 200) -> Result:
    """Send `requests` GETs over `concurrency` keep-alive connections; the first `warmup` are not counted."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    request = f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n{extra}\r\n".encode()
    result = Result(name)
    remaining = warmup + requests

    async def worker() -> None:
        nonlocal remaining
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
        try:
            while remaining > 0:
                remaining -= 1
                measured = remaining < requests
                started = time.perf_counter()
                writer.write(request)
                status = await _read_response(reader)
                if measured:
                    result.latencies.append(time.perf_counter() - started)
                    result.statuses[status] += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.elapsed = time.perf_counter() - started
    # The rate counts the measured requests over the whole run: warm-up makes it slightly conservative.
    return result
