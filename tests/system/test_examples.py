"""`examples/first-ten-minutes.sh` runs as written against the real stack, so the walk-through cannot rot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from muistot_tooling.runner import settings_env

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "first-ten-minutes.sh"


def test_the_first_ten_minutes_walk_through(system_stack):
    env = {key: value for key, value in os.environ.items() if not key.startswith("MUISTOT_")}
    # The script's `muistot-dev mail last` and `superuser grant` reach the stack's mailbox and database.
    env.update(settings_env(system_stack.settings), MUISTOT_API=system_stack.url,
               MUISTOT_CLI=str(Path(sys.executable).with_name("muistot-dev")), EMAIL="aino.walkthrough@example.fi")
    done = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=180)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    lines = out.splitlines()
    assert "← 204 " in out and any(line.startswith("← 200 ") for line in lines)
    assert "   fi: Olympiastadion (fi)" in lines
    assert "   en: Olympic Stadium (en)" in lines
    assert "   project: Helsinki Olympic summer 1952, starts 2026-04-30T21:00:00Z" in lines
    memory = next(line for line in lines if line.startswith("   memory: "))
    assert memory.startswith("   memory: Zátopekin maraton, modified_at 20") and memory.endswith("Z")
    assert "   image: image/png, " in out
    assert "   geojson: application/geo+json, 1 feature(s)" in lines
    assert lines[-1].startswith("done: project ")
