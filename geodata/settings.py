"""Every setting of riskgrid, declared once, as data.

A setting has a name, the environment variable it is read from, a default, a type and a help
text. ``load_settings`` parses them explicitly from a mapping (the environment by default);
``tests/test_settings.py`` fails when a setting is not documented in README.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: Any
    parse: Callable[[str], Any]
    help: str


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a yes/no value: {text!r}")


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "db",
        "RISKGRID_DB",
        "sqlite:///riskgrid.db",
        str,
        "SQLAlchemy URL of the store: sqlite:///FILE (default riskgrid.db in the working "
        "directory) or postgresql+psycopg://USER@HOST/DB (PostGIS).",
    ),
    Setting(
        "monitoring_line",
        "RISKGRID_MONITORING_LINE",
        7100.0,
        float,
        "Monitoring line (监测线), yuan per person per year.",
    ),
    Setting(
        "observation_line",
        "RISKGRID_OBSERVATION_LINE",
        8122.0,
        float,
        "Observation line (观察线), a higher local early-warning line, yuan per person per year.",
    ),
    Setting("host", "RISKGRID_HOST", "127.0.0.1", str, "Address the dashboard listens on."),
    Setting("port", "RISKGRID_PORT", 8050, int, "Port the dashboard listens on."),
    Setting(
        "threads",
        "RISKGRID_THREADS",
        8,
        int,
        "Threads of the dashboard's server, in each worker process (waitress with one process, "
        "on Linux and Windows alike; gunicorn's threads with several workers).",
    ),
    Setting(
        "workers",
        "RISKGRID_WORKERS",
        1,
        int,
        "Worker processes of the dashboard's server: 1 is waitress (Linux and Windows); more "
        "runs gunicorn with that many processes (Linux only), best with a shared cache "
        "(RISKGRID_CACHE_DIR or RISKGRID_REDIS_URL).",
    ),
    Setting(
        "tile_url",
        "RISKGRID_TILE_URL",
        "",
        str,
        "Optional intranet tile server URL template ({z}/{x}/{y}); empty draws the map on a "
        "plain background with no tiles.",
    ),
    Setting(
        "cache_dir",
        "RISKGRID_CACHE_DIR",
        "",
        str,
        "Directory for a cache shared between dashboard workers; empty keeps the cache in memory.",
    ),
    Setting(
        "login",
        "RISKGRID_LOGIN",
        True,
        _bool,
        "Require a log-in. Off is only for a single-user install: the server refuses to start "
        "with it off unless bound to a loopback address.",
    ),
    Setting(
        "secret_key",
        "RISKGRID_SECRET_KEY",
        "",
        str,
        "Key that signs session cookies; empty uses the key file (RISKGRID_SECRET_KEY_FILE). "
        "Never kept in the database.",
    ),
    Setting(
        "secret_key_file",
        "RISKGRID_SECRET_KEY_FILE",
        "",
        str,
        "File holding the session-signing key, made on first use with mode 0600 and shared by "
        "every worker of the install; empty: beside the SQLite database (FILE.db.key), or "
        "riskgrid.key in the working directory for PostgreSQL.",
    ),
    Setting(
        "redis_url",
        "RISKGRID_REDIS_URL",
        "",
        str,
        "Redis URL (redis://127.0.0.1:6379/0) for the server-side sessions and the figures "
        "cache of several workers; empty keeps sessions in the database.",
    ),
    Setting(
        "session_minutes",
        "RISKGRID_SESSION_MINUTES",
        480,
        int,
        "Minutes without a request after which a session expires and the user logs in again.",
    ),
    Setting(
        "max_failures",
        "RISKGRID_MAX_FAILURES",
        5,
        int,
        "Wrong passwords in a row, from one address for one account, before that address must "
        "wait to try the account again (other addresses are not held up).",
    ),
    Setting(
        "lock_seconds",
        "RISKGRID_LOCK_SECONDS",
        300,
        int,
        "Seconds an address waits after max_failures wrong passwords; each further failure "
        "doubles it.",
    ),
    Setting(
        "wall_refresh_seconds",
        "RISKGRID_WALL_REFRESH_SECONDS",
        300,
        int,
        "Seconds between data refreshes of the map wall.",
    ),
    Setting(
        "wall_tour_seconds",
        "RISKGRID_WALL_TOUR_SECONDS",
        20,
        int,
        "Seconds per township when the wall tours (?tour=1).",
    ),
    Setting(
        "wall_reload_hours",
        "RISKGRID_WALL_RELOAD_HOURS",
        6.0,
        float,
        "Hours after which the wall reloads itself, so that the browser's memory stays bounded.",
    ),
    Setting(
        "debug",
        "RISKGRID_DEBUG",
        False,
        _bool,
        "Run the dashboard in Dash debug mode (never on a shared machine); on the command "
        "line, an error also shows its traceback (as riskgrid --debug).",
    ),
    Setting(
        "max_file_mb",
        "RISKGRID_MAX_FILE_MB",
        500,
        int,
        "Largest input file a load reads, in MB (an Excel or zip file also unpacked to at most "
        "4 times this); a larger one is refused before it is read.",
    ),
    Setting(
        "max_rows",
        "RISKGRID_MAX_ROWS",
        2_000_000,
        int,
        "Most data rows of one input file; a file with more is refused.",
    ),
)


@dataclass(frozen=True)
class Settings:
    db: str = "sqlite:///riskgrid.db"
    monitoring_line: float = 7100.0
    observation_line: float = 8122.0
    host: str = "127.0.0.1"
    port: int = 8050
    threads: int = 8
    workers: int = 1
    tile_url: str = ""
    cache_dir: str = ""
    login: bool = True
    secret_key: str = ""
    secret_key_file: str = ""
    redis_url: str = ""
    session_minutes: int = 480
    max_failures: int = 5
    lock_seconds: int = 300
    wall_refresh_seconds: int = 300
    wall_tour_seconds: int = 20
    wall_reload_hours: float = 6.0
    debug: bool = False
    max_file_mb: int = 500
    max_rows: int = 2_000_000
    extra: dict[str, Any] = field(default_factory=dict)

    def with_(self, **changes: Any) -> Settings:
        """A copy with the given settings changed; ``None`` values are ignored."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Settings from the environment (or ``environ``), then the explicit ``overrides``."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = env.get(setting.env)
        if raw is None or raw == "":
            values[setting.name] = setting.default
            continue
        try:
            values[setting.name] = setting.parse(raw)
        except ValueError as exc:
            raise ValueError(f"{setting.env}={raw!r}: {exc}") from exc
    settings = Settings(**values)
    return settings.with_(**overrides)


assert {s.name for s in SETTINGS} == {f.name for f in fields(Settings)} - {"extra"}
