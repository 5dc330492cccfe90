"""Headless Chromium for the browser tests: one launcher, one local server.

Debian's /usr/bin/chromium, driven by Playwright (never ``playwright install``), with the flags
that keep it off the network. Where Chromium or Playwright is missing, a browser test skips on a
developer's machine but fails under CI (``CI`` set) or with ``RISKGRID_REQUIRE_BROWSER=1``:
a skipped browser test is not a passing one.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REQUIRE_BROWSER = bool(os.environ.get("CI")) or os.environ.get("RISKGRID_REQUIRE_BROWSER") == "1"


def _missing(reason: str) -> None:
    if REQUIRE_BROWSER:
        pytest.fail(reason)
    pytest.skip(reason)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium browser (Playwright's ``Browser``)."""
    try:
        from playwright import sync_api
    except ImportError as exc:
        _missing(f"playwright is not installed: {exc}")
    if not Path(CHROMIUM).exists():
        _missing(f"{CHROMIUM} is not installed (apt-get install -y chromium fonts-noto-cjk)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """The Dash app served by werkzeug in a thread on a free 127.0.0.1 port; its base URL."""
    from werkzeug.serving import make_server

    srv = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}"
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(5)
