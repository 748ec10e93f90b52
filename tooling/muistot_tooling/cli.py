"""`muistot-dev`: every `muistot` command, and the developer's: run, seed, openapi, mail, gateway render.

`muistot-dev run` takes its own options (`muistot-dev run --help`); `make bench` and `make resilience` are
`python -m muistot_tooling.bench` and `python -m muistot_tooling.resilience`.
"""

from __future__ import annotations

import argparse
import sys

from muistot import cli
from muistot_tooling import deploy_render, mailbox, openapi_document, runner, seed


def _register_run(subparsers: argparse._SubParsersAction) -> None:
    # Parsed by the runner itself (main() hands it the rest of the line).
    subparsers.add_parser("run", help="run the whole stack (or --service NAME alone)", add_help=False)


def build_parser() -> argparse.ArgumentParser:
    return cli.build_parser(prog="muistot-dev", description=__doc__, extensions=(
        _register_run, seed.register, openapi_document.register, mailbox.register, deploy_render.register))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "run":
        return runner.main(argv[1:])
    return cli.main(argv, build_parser())


if __name__ == "__main__":
    sys.exit(main())
