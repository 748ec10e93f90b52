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


# The design documents' names and the section sign, spelled so that a grep for them does not find this line.
OUTSIDE = re.compile(r"DESIGN\.md|api-[d]ata|api-auth-[a]dmin|data-[m]odel|\u00a7")


def test_nothing_cites_a_document_outside_the_repository():
    """The design documents the code was written from are not in the repository: docs/ holds what they said."""
    paths = [REPO / "README.md", REPO / "CHANGELOG.md", *(REPO / "docs").glob("*")]
    for top in SOURCES:
        paths += [path for path in (REPO / top).rglob("*") if ".venv" not in path.parts and path.is_file()
                  and path.suffix in (".py", ".yaml", ".yml", ".sh", ".http", ".md", ".json", ".toml")]
    cited = [(str(path.relative_to(REPO)), number) for path in paths
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if OUTSIDE.search(line)]
    assert cited == []
