"""Comments cite documents of the repository by file and section heading: every such citation resolves."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("shared", "services", "tooling", "tests", "gateway", "deploy", "examples")
# `docs/contract.md, "Visibility"`, `(docs/api.md "Languages")`, `docs/contract.md ("Moderation orders")`
CITATION = re.compile(r'((?:docs/)?[\w-]+(?:/[\w-]+)*\.md)[,\s(]+"([^"\n]+)"')


def headings(document: Path) -> set[str]:
    return {line.lstrip("#").strip() for line in document.read_text(encoding="utf-8").splitlines()
            if line.startswith("#")}


def citations() -> list[tuple[Path, str, str]]:
    found = []
    for top in SOURCES:
        for path in (REPO / top).rglob("*"):
            if path.suffix not in (".py", ".yaml", ".yml", ".sh", ".http") or ".venv" in path.parts:
                continue
            for match in CITATION.finditer(path.read_text(encoding="utf-8")):
                found.append((path, match.group(1), match.group(2)))
    return found


def test_every_cited_section_exists():
    checked = citations()
    assert len(checked) > 40
    broken = []
    for path, document, heading in checked:
        target = REPO / document
        if not target.exists() or heading not in headings(target):
            broken.append((str(path.relative_to(REPO)), document, heading))
    assert broken == []
