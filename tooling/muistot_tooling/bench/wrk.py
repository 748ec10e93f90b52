"""Driving `wrk` and reading what it prints.

`wrk` (Debian's package) is a C load generator: on loopback it costs the machine far less per request
than any Python client would, so the numbers are the server's, not the client's.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

THREADS = 2
TIMEOUT = "10s"


class WrkError(RuntimeError):
    """wrk is missing, failed, or printed something we cannot read."""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    non2xx: int
    timeouts: int
    socket_errors: dict[str, int] = field(default_factory=dict)
    # Only for the write script: how many responses had each status.
    statuses: dict[int, int] | None = None

    @property
    def not_created(self) -> int | None:
        """For the write script: responses other than 201 Created."""
        if self.statuses is None:
            return None
        return sum(count for status, count in self.statuses.items() if status != 201)

    @property
    def ok_rps(self) -> float:
        """Acknowledged writes per second for the write script; wrk's own rate otherwise."""
        if self.statuses is None:
            return self.rps
        return self.statuses.get(201, 0) / self.seconds if self.seconds else 0.0


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_DURATION = re.compile(r"^([0-9.]+)(us|ms|s|m|h)$")


def duration_ms(text: str) -> float:
    """`812.00us`, `1.23ms`, `2.00s`, `1.50m` → milliseconds."""
    match = _DURATION.match(text.strip())
    if not match:
        raise WrkError(f"wrk printed a duration we cannot read: {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def _seconds(text: str) -> float:
    return duration_ms(text) / 1000


def parse(output: str) -> WrkResult:
    """Read requests, rate, p50/p99, non-2xx (wrk counts 4xx and 5xx) and socket errors from wrk's text."""
    totals = re.search(r"^\s*(\d+) requests in ([0-9.]+\w+),", output, re.MULTILINE)
    rate = re.search(r"^Requests/sec:\s+([0-9.]+)", output, re.MULTILINE)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    if not (totals and rate and p50 and p99):
        tail = " | ".join(output.strip().splitlines()[-3:])
        raise WrkError(f"wrk output lacks totals or the latency distribution (was --latency given?): {tail}")
    non2xx = re.search(r"^\s*Non-2xx or 3xx responses:\s+(\d+)", output, re.MULTILINE)
    errors = re.search(r"^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output,
                       re.MULTILINE)
    socket_errors = dict(zip(("connect", "read", "write", "timeout"),
                             (int(value) for value in errors.groups()), strict=True)) if errors else {}
    # The write script always ends with its marker line (a failing script does not: wrk then goes on
    # without it), so a run that got no answer at all still reads as the script's.
    statuses = {int(status): int(count) for status, count in re.findall(r"^status (\d+): (\d+)$", output, re.MULTILINE)}
    scripted = re.search(r"^write script: done$", output, re.MULTILINE) is not None
    return WrkResult(
        requests=int(totals.group(1)), seconds=_seconds(totals.group(2)), rps=float(rate.group(1)),
        p50_ms=duration_ms(p50.group(1)), p99_ms=duration_ms(p99.group(1)),
        non2xx=int(non2xx.group(1)) if non2xx else 0, timeouts=socket_errors.get("timeout", 0),
        socket_errors=socket_errors, statuses=statuses if scripted else None)


def command(wrk: str, url: str, connections: int, seconds: float, *, headers: Sequence[str] = (),
            script: Path | None = None) -> list[str]:
    argv = [wrk, f"-t{min(THREADS, connections)}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
            "--timeout", TIMEOUT, "--latency"]
    for header in headers:
        argv += ["-H", header]
    if script is not None:
        argv += ["-s", str(script)]
    return [*argv, url]


def ensure_wrk(say: Callable[[str], None] = print) -> str:
    """The wrk binary; installs Debian's package when it is missing (printing what it does)."""
    found = shutil.which("wrk")
    if found:
        return found
    say("wrk is not installed: running `apt-get install -y wrk`")
    try:
        done = subprocess.run(["apt-get", "install", "-y", "wrk"], check=False)  # noqa: S607
    except OSError as exc:
        raise WrkError(f"wrk is missing and apt-get could not run ({exc}); install wrk and retry") from None
    found = shutil.which("wrk")
    if done.returncode != 0 or not found:
        raise WrkError(f"wrk is missing and `apt-get install -y wrk` failed (status {done.returncode}); "
                       "install wrk and retry")
    return found


# Signed-in users creating memories and comments, alternately; a write counts only when it answers 201.
# `setup` runs in wrk's main Lua state and keeps each thread, so `done` can add up their counters.
WRITE_SCRIPT = """\
-- Generated by make bench: signed-in users creating memories and comments, alternately.
local tokens = %(tokens)s
local memory_paths = %(memory_paths)s
local comment_paths = %(comment_paths)s
local memory_body = %(memory_body)s
local comment_body = %(comment_body)s
threads = {}
statuses = {}
local counter = 0

-- Each thread starts at its own place in the lists.
function setup(thread)
  thread:set("offset", #threads * 7919)
  table.insert(threads, thread)
end

function init(args)
  counter = offset or 0
end

function request()
  counter = counter + 1
  local headers = {
    ["Authorization"] = "Bearer " .. tokens[math.floor(counter / 2) %% #tokens + 1],
    ["Content-Type"] = "application/json",
  }
  if counter %% 2 == 0 then
    return wrk.format("POST", memory_paths[math.floor(counter / 2) %% #memory_paths + 1], headers, memory_body)
  end
  return wrk.format("POST", comment_paths[math.floor(counter / 2) %% #comment_paths + 1], headers, comment_body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  for status, count in pairs(total) do
    io.write(string.format("status %%d: %%d\\n", status, count))
  end
  io.write("write script: done\\n")
end
"""


def _lua_string(text: str) -> str:
    # For ASCII text a JSON string literal is also a valid Lua one (wrk's LuaJIT has no \u escapes).
    if not text.isascii():
        raise WrkError(f"the write script takes ASCII text only, not {text[:40]!r}")
    return json.dumps(text)


def _lua_list(items: Sequence[str]) -> str:
    return "{ " + ", ".join(_lua_string(item) for item in items) + " }"


def write_script(path: Path, *, tokens: Sequence[str], memory_paths: Sequence[str], comment_paths: Sequence[str],
                 memory_body: str, comment_body: str) -> Path:
    if not (tokens and memory_paths and comment_paths):
        raise WrkError("the write case needs tokens, sites to add memories to and memories to comment on")
    path.write_text(WRITE_SCRIPT % {
        "tokens": _lua_list(tokens), "memory_paths": _lua_list(memory_paths),
        "comment_paths": _lua_list(comment_paths), "memory_body": _lua_string(memory_body),
        "comment_body": _lua_string(comment_body)}, encoding="utf-8")
    path.chmod(0o600)  # it holds bearer tokens
    return path
