"""What every sub-command of `muistot` and `muistot-dev` shares: loading the settings, failing with one line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from pydantic import ValidationError

from muistot.settings import ConfigError, Settings, get_settings

# A module's `register(subparsers)`, adding its sub-commands to the command line.
Register = Callable[[argparse._SubParsersAction], None]


def fail(message: str) -> int:
    print(f"muistot: {message}", file=sys.stderr)
    return 2


def load_settings() -> Settings:
    try:
        settings = get_settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"invalid setting MUISTOT_{str(first['loc'][0]).upper()}: {first['msg']}") from None
    settings.check()
    return settings
