"""The embedded Redis of `muistot-dev run`: fakeredis's TCP server, in memory, until SIGTERM/SIGINT.

    python -m muistot_tooling.fakeredis_server --host 127.0.0.1 --port 5699

`muistot-dev run` binds the socket itself and passes it with `--fd`: the port is taken (or refused) before
this process starts, and stays the stack's own while a crashed server is started again.
"""

from __future__ import annotations

import argparse
import signal
import socket
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
    parser.add_argument("--fd", type=int, default=None, help="serve on this inherited, listening socket")
    args = parser.parse_args(argv)

    if args.fd is not None:
        server = TcpFakeServer((args.host, args.port), bind_and_activate=False, server_type="redis")
        server.socket.close()
        server.socket = socket.socket(fileno=args.fd)
        server.server_address = server.socket.getsockname()
    else:
        try:
            server = TcpFakeServer((args.host, args.port), server_type="redis")
        except OSError as exc:
            print(f"muistot: the embedded Redis cannot listen on {args.host}:{args.port}: {exc.strerror}",
                  file=sys.stderr, flush=True)
            return 1
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
