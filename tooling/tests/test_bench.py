"""`make bench`'s own parts: reading wrk, the write script, the JSON shape, the reference bodies, /proc memory.

Nothing here measures or asserts a timing: the bench itself is not part of the suite.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from muistot_tooling.bench import memory
from muistot_tooling.bench.cases import Case
from muistot_tooling.bench.reference import constant_body, sized_body
from muistot_tooling.bench.report import Measured, MemoryFigures, document, table, verdicts
from muistot_tooling.bench.wrk import WrkError, WrkResult, command, duration_ms, ensure_wrk, parse, write_script
from muistot_tooling.testing.ports import free_port

PLAIN = """\
Running 8s test @ http://127.0.0.1:5600/projects
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    14.60ms    6.12ms  81.95ms   80.54%
    Req/Sec     1.10k   120.33     1.41k    71.25%
  Latency Distribution
     50%  812.00us
     75%   17.01ms
     90%   21.95ms
     99%    1.20s
  17563 requests in 8.01s, 38.07MB read
  Socket errors: connect 0, read 3, write 0, timeout 12
  Non-2xx or 3xx responses: 51
Requests/sec:   2192.66
Transfer/sec:      4.75MB
"""

WRITES = """\
Running 8s test @ http://127.0.0.1:5600/projects/p
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   246.23ms   81.00ms 735.02ms   70.00%
    Req/Sec    45.10     12.00    80.00     70.00%
  Latency Distribution
     50%  246.23ms
     75%  300.00ms
     90%  400.00ms
     99%  735.02ms
  800 requests in 8.00s, 100.00KB read
  Non-2xx or 3xx responses: 7
Requests/sec:    100.00
Transfer/sec:     12.50KB
status 201: 793
status 503: 7
write script: done
"""


def test_parse_reads_rate_percentiles_errors_and_units():
    result = parse(PLAIN)
    assert result.requests == 17563 and result.seconds == pytest.approx(8.01)
    assert result.rps == pytest.approx(2192.66)
    assert result.p50_ms == pytest.approx(0.812) and result.p99_ms == pytest.approx(1200.0)
    assert result.non2xx == 51 and result.timeouts == 12
    assert result.socket_errors == {"connect": 0, "read": 3, "write": 0, "timeout": 12}
    assert result.statuses is None and result.not_created is None and result.ok_rps == result.rps


def test_parse_counts_only_201_as_an_acknowledged_write():
    result = parse(WRITES)
    assert result.statuses == {201: 793, 503: 7} and result.not_created == 7
    assert result.ok_rps == pytest.approx(793 / 8.0)
    assert result.timeouts == 0 and result.socket_errors == {}


def test_parse_tells_a_write_run_without_answers_from_a_failed_script():
    unanswered = WRITES.split("  Non-2xx")[0] + "Requests/sec:      0.00\nwrite script: done\n"
    assert parse(unanswered).statuses == {} and parse(unanswered).ok_rps == 0
    failed = "/tmp/w.lua: /tmp/w.lua:45: unfinished string near '\"status'\n" + WRITES.split("status 201")[0]
    assert parse(failed).statuses is None


def test_parse_refuses_output_without_the_latency_distribution():
    with pytest.raises(WrkError, match="latency distribution"):
        parse("unable to connect to 127.0.0.1:1 Connection refused\n")
    with pytest.raises(WrkError):
        duration_ms("12 parsecs")
    assert duration_ms("2.00m") == 120_000


def test_command_uses_two_threads_the_timeout_and_the_latency_table(tmp_path):
    argv = command("/usr/bin/wrk", "http://x/me", 128, 8, headers=["Authorization: Bearer t"],
                   script=tmp_path / "w.lua")
    assert argv[:6] == ["/usr/bin/wrk", "-t2", "-c128", "-d8s", "--timeout", "10s"]
    assert "--latency" in argv and argv[-1] == "http://x/me"
    assert argv[argv.index("-H") + 1] == "Authorization: Bearer t" and argv[argv.index("-s") + 1].endswith("w.lua")


def test_write_script_posts_both_kinds_with_the_tokens(tmp_path):
    """The generated Lua runs in the real wrk (installed as the bench would) against a tiny recording server."""
    wrk = ensure_wrk()
    server = tmp_path / "server.py"
    server.write_text(
        "import http.server, sys\n"
        "class H(http.server.BaseHTTPRequestHandler):\n"
        "    def do_POST(self):\n"
        "        body = self.rfile.read(int(self.headers['Content-Length']))\n"
        "        with open(sys.argv[2], 'a') as f:\n"
        "            f.write(f\"{self.path} {self.headers['Authorization']} {body.decode()}\\n\")\n"
        "        self.send_response(201 if self.path.startswith('/m') else 503)\n"
        "        self.send_header('Content-Length', '0')\n"
        "        self.end_headers()\n"
        "    def log_message(self, *a): pass\n"
        "http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()\n")
    port, seen = free_port(), tmp_path / "seen.txt"
    process = subprocess.Popen([sys.executable, str(server), str(port), str(seen)])
    try:
        for _ in range(100):
            try:
                httpx.post(f"http://127.0.0.1:{port}/probe", content=b"{}")
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        seen.write_text("")
        script = write_script(tmp_path / "w.lua", tokens=["tok-a", "tok-b"], memory_paths=["/m/1"],
                              comment_paths=["/c/1"], memory_body='{"title": "t"}', comment_body='{"comment": "c"}')
        assert oct(script.stat().st_mode & 0o777) == "0o600"
        done = subprocess.run(command(wrk, f"http://127.0.0.1:{port}/", 2, 1, script=script),
                              capture_output=True, text=True, timeout=30)
    finally:
        process.kill()
        process.wait()
    result = parse(done.stdout)
    lines = seen.read_text().splitlines()
    assert {line.split()[0] for line in lines} == {"/m/1", "/c/1"}
    assert {line.split()[2] for line in lines} == {"tok-a", "tok-b"}
    assert any(line.endswith('{"title": "t"}') for line in lines)
    assert result.statuses is not None and set(result.statuses) == {201, 503}
    assert sum(result.statuses.values()) == result.requests and result.not_created == result.statuses[503]


def test_write_script_takes_ascii_only(tmp_path):
    with pytest.raises(WrkError, match="ASCII"):
        write_script(tmp_path / "w.lua", tokens=["t"], memory_paths=["/m"], comment_paths=["/c"],
                     memory_body='{"title": "Kesä"}', comment_body="{}")


def _result(rps: float, *, non2xx: int = 0, timeouts: int = 0) -> WrkResult:
    return WrkResult(requests=int(rps * 8), seconds=8.0, rps=rps, p50_ms=1.0, p99_ms=5.0, non2xx=non2xx,
                     timeouts=timeouts)


def _figures() -> MemoryFigures:
    idle = memory.Snapshot((memory.ProcessMemory(1, "data", 100 * 1024, 80 * 1024),
                            memory.ProcessMemory(2, "traefik", 100 * 1024, 60 * 1024)))
    loaded = memory.Snapshot((memory.ProcessMemory(1, "data", 150 * 1024, 110 * 1024),
                              memory.ProcessMemory(2, "traefik", 110 * 1024, 70 * 1024)))
    return MemoryFigures(idle=idle, loaded=loaded)


def test_json_has_the_issue_shape_and_verdicts_follow_the_targets():
    ceiling = Case("ceiling", "reference", "/ceiling")
    fast = Case("anon_projects", "stack", "/projects", reference="ceiling", min_ratio=0.30)
    slow = Case("anon_project", "stack", "/projects/p", reference="ceiling", min_ratio=0.30)
    rows = [Measured(ceiling, 32, (_result(9000), _result(10000))),
            Measured(fast, 32, (_result(3500), _result(3000))),
            Measured(slow, 32, (_result(2000), _result(2900))),
            Measured(fast, 128, (_result(3000, timeouts=2), _result(2000))),
            Measured(slow, 128, (_result(2000),))]
    doc = json.loads(json.dumps(document(rows, _figures(), seconds=8, dataset={"sites": 650})))
    assert doc["cases"][0] == {"id": "ceiling", "connections": 32, "rps": 10000.0, "p50_ms": 1.0, "p99_ms": 5.0,
                               "non2xx": 0, "timeouts": 0}
    assert all(set(case) == {"id", "connections", "rps", "p50_ms", "p99_ms", "non2xx", "timeouts"}
               for case in doc["cases"])
    assert doc["rss_mib"] == {"idle": 200.0, "loaded": 260.0}
    assert doc["rss_sum_mib"] == doc["rss_mib"]  # no frames in this snapshot: the sum stands in
    assert doc["processes"]["loaded"]["data"]["pss_mib"] == 110.0
    passed = {(t["id"], t.get("connections")): t["pass"] for t in doc["targets"]}
    # The better run counts: 3500 and 2900 of 10000.
    assert passed[("anon_projects", 32)] is True and passed[("anon_project", 32)] is False
    assert passed[("anon_projects", 128)] is False and passed[("anon_project", 128)] is True
    assert passed[("rss_idle", None)] is True and passed[("rss_growth", None)] is False  # +30%
    ratios = [v.ratio for v in verdicts(rows) if v.ratio is not None]
    assert ratios == [pytest.approx(0.35), pytest.approx(0.29)]
    text = table(rows, _figures())
    assert "35.0% ≥30% of ceiling: pass" in text and "29.0% ≥30% of ceiling: FAIL" in text
    assert "idle 200 MiB (≤400: pass)" in text and "loaded 260 MiB (+30.0%, ≤+20%: FAIL)" in text


def test_reference_bodies_are_json_of_the_asked_size():
    body = constant_body()
    assert 2048 <= len(body) < 2300 and json.loads(body)["items"]
    big = sized_body(867_018)
    assert len(big) == 867_018 and json.loads(big)["items"] == []


def test_memory_reads_a_process_tree_from_proc(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        pids = memory.descendants(os.getpid())
        assert pids[0] == os.getpid() and child.pid in pids
        taken = memory.snapshot([os.getpid(), child.pid])
        assert len(taken.processes) == 2
        assert all(p.rss_kib > 0 and 0 < p.pss_kib <= p.rss_kib for p in taken.processes)
        assert memory.start_time(child.pid) is not None
    finally:
        child.kill()
        child.wait()
    assert memory.start_time(child.pid) is None


def test_the_resident_set_of_a_tree_counts_pages_shared_by_forked_processes_once():
    ballast = bytearray(os.urandom(32 * 1024 * 1024))  # 32 MiB resident here, and in the child until written
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        os.write(write, b"x")
        time.sleep(30)
        os._exit(0)
    os.close(write)
    try:
        assert os.read(read, 1) == b"x"
        taken = memory.snapshot([os.getpid(), pid])
        largest = max(p.rss_kib for p in taken.processes) / 1024
        if os.geteuid() != 0:  # frame numbers are root's to read: the figure falls back to the sum
            assert taken.resident_kib is None and taken.rss_mib == taken.rss_sum_mib
            return
        assert taken.resident_kib is not None
        # The child maps the parent's 32 MiB without a copy: the sum counts it twice, the resident set once.
        assert taken.rss_sum_mib - taken.rss_mib >= 30
        assert largest <= taken.rss_mib < taken.rss_sum_mib
        assert memory.resident_kib([os.getpid()]) == pytest.approx(taken.processes[0].rss_kib, rel=0.05)
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(read)
        del ballast


def test_process_names_say_what_a_stack_process_is():
    python = "/repo/.venv/bin/python"
    assert memory.name_for([python, "-m", "muistot.cli", "serve", "data", "--host", "127.0.0.1"]) == "data"
    assert memory.name_for([python, "-m", "muistot_tooling.cli", "run"]) == "muistot-dev run"
    assert memory.name_for([python, "-m", "muistot.cli", "worker"]) == "worker"
    assert memory.name_for(["/repo/.venv/bin/muistot", "serve", "login"]) == "login"
    assert memory.name_for([python, "-m", "muistot_tooling.fakeredis_server", "--port", "5699"]) == "redis (embedded)"
    assert memory.name_for(["/repo/.venv/bin/traefik", "--configFile=/tmp/traefik.yml"]) == "traefik"
