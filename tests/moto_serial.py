"""moto's S3 server, one request at a time: ``python tests/moto_serial.py HOST PORT``.

moto answers a conditional put (``If-None-Match: *``, how delta-rs commits a version on S3)
by checking, then writing: two commits racing in its threaded server can both "win", and one
is silently overwritten — which real S3 never allows. A lock around each request makes moto's
check-and-write as atomic as S3's, so the concurrency tests test our code, not moto's race.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

_LOCK = threading.Lock()


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)

    def serial(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        with _LOCK:
            return list(app(environ, start_response))

    run_simple(host, port, serial, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
