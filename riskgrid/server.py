"""The production server of ``riskgrid serve``: waitress, one process with ``threads`` threads;
with ``workers`` above 1, gunicorn's pre-forked processes (Linux only) of ``threads`` threads each.

waitress is pure Python and runs the same on the Linux and Windows PCs of county offices (no
fork, no C extension). gunicorn restarts a worker that dies; each worker builds its own app
(``app_factory``) after the fork, so no database connection crosses a fork. The sessions (database or ``RISKGRID_REDIS_URL``), the signing key file
and the cache (``RISKGRID_CACHE_DIR``) are those of the app ``create_app`` built; the server only
carries requests to it. Each request is logged on stderr, in English, as one access-log line.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["AccessLog", "bind", "can_fork", "listen_host", "multi_worker_server", "setup_logging"]

ACCESS_LOGGER = "riskgrid.access"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def listen_host(host: str) -> str:
    """The address for the socket: ``[::1]`` -> ``::1``; an empty host listens everywhere."""
    host = host.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host or "0.0.0.0"


def setup_logging() -> None:
    """waitress's own messages and the access log, on stderr at INFO (once); the dashboard's
    warnings and errors (the database away, an unforeseen error with its request id) too."""
    for name, level in (
        ("waitress", logging.INFO),
        (ACCESS_LOGGER, logging.INFO),
        ("dashboard", logging.WARNING),
    ):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        if not any(getattr(h, "_riskgrid", False) for h in logger.handlers):
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter(LOG_FORMAT))
            handler._riskgrid = True  # type: ignore[attr-defined]
            logger.addHandler(handler)
            logger.propagate = False


class AccessLog:
    """WSGI middleware: one line a request, ``[PID] ADDR "METHOD PATH PROTO" STATUS BYTES MS``
    (PID: the worker process that answered). The query string is left out (it may carry a
    household's id or a ``next`` address)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.log = logging.getLogger(ACCESS_LOGGER)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        started = time.perf_counter()
        seen: dict[str, Any] = {}

        def logging_start_response(status: str, headers: list[tuple[str, str]], *exc: Any):
            seen["status"] = status.split(" ", 1)[0]
            seen["length"] = next((v for k, v in headers if k.lower() == "content-length"), "-")
            return start_response(status, headers, *exc)

        try:
            return self.app(environ, logging_start_response)
        finally:
            self.log.info(
                '[%d] %s "%s %s %s" %s %s %.0fms',
                os.getpid(),
                environ.get("REMOTE_ADDR", "-"),
                environ.get("REQUEST_METHOD", "-"),
                environ.get("PATH_INFO", "") or "/",
                environ.get("SERVER_PROTOCOL", "-"),
                seen.get("status", "500"),
                seen.get("length", "-"),
                (time.perf_counter() - started) * 1000,
            )


def bind(wsgi_app: Any, host: str, port: int, threads: int) -> Any:
    """A waitress server bound to ``host:port`` (not yet serving: call ``.run()``); raises
    ``OSError`` when the port is taken or the address is not this machine's."""
    from waitress.server import create_server

    setup_logging()
    return create_server(
        AccessLog(wsgi_app),
        host=listen_host(host),
        port=port,
        threads=threads,
        ident="riskgrid",
        clear_untrusted_proxy_headers=True,
    )


def check_port(address: str, port: int) -> None:
    """Raise ``OSError`` when ``address:port`` cannot be listened on (taken, not this
    machine's), before gunicorn would retry it in English for five seconds."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((address, port))


def can_fork() -> bool:
    """Several worker processes are possible here (gunicorn: not on Windows)."""
    if sys.platform == "win32":
        return False
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return False
    return True


def multi_worker_server(
    app_factory: Callable[[], Any], host: str, port: int, workers: int, threads: int
) -> Any:
    """A gunicorn arbiter (call ``.run()``) of ``workers`` processes with ``threads`` threads
    each, every worker serving ``AccessLog(app_factory())`` built after its fork."""
    from gunicorn.app.base import BaseApplication

    setup_logging()
    address = listen_host(host)
    check_port(address, port)
    bind_to = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
    options = {
        "bind": bind_to,
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 120,  # a briefing of a whole county may take a while on a slow PC
        "graceful_timeout": 10,
        # idle keep-alive connections stay open as long as waitress keeps them: a client that
        # reuses one a few seconds later must not find it closed under its request
        "keepalive": 120,
        "accesslog": None,  # our AccessLog writes one line a request
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "riskgrid",
        "control_socket_disable": True,  # no socket file in the user's home
    }

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return AccessLog(app_factory())

    return Server()
