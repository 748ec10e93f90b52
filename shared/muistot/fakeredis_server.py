"""The embedded Redis of `muistot run`: fakeredis's TCP server, in memory, until SIGTERM/SIGINT.

    python -m muistot.fakeredis_server --host 127.0.0.1 --port 5699
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from muistot.settings import EMBEDDED_REDIS_PORT

DEFAULT_PORT = EMBEDDED_REDIS_PORT


def main(argv: list[str] | None = None) -> int:
    from fakeredis import TcpFakeServer

    parser = argparse.ArgumentParser(prog="muistot-fakeredis", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)

    server = TcpFakeServer((args.host, args.port), server_type="redis")
    server.daemon_threads = True

    def stop(signum: int, _: FrameType | None) -> None:
        # shutdown() waits for serve_forever to return, so it must not run on the serving thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"muistot: embedded redis (fakeredis) on {args.host}:{args.port}", file=sys.stderr, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
