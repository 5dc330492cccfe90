"""Files that hold personal data or keys: created readable and writable by their owner only.

The SQLite database holds every household's names, ID numbers and incomes; the key file signs
the dashboard's session cookies. Both are created with mode 0600 (whatever the umask), and
``exposed`` tells when an existing one can be read by the group or by others, so that the
commands can warn at start-up. SQLite creates its ``-wal``, ``-shm`` and ``-journal`` files with
the mode of the database file, so they follow.
"""

from __future__ import annotations

import os
import secrets
import stat
import time
from pathlib import Path

import sqlalchemy as sa

PRIVATE_MODE = 0o600


def sqlite_file(url: str) -> Path | None:
    """The file of a ``sqlite:///FILE`` URL; None for memory databases and other backends."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def create_private(path: Path) -> bool:
    """Create ``path`` empty with mode 0600 if it does not exist; True when this call made it.
    Safe when several processes race: one makes it, the others find it."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        return False
    os.fchmod(fd, PRIVATE_MODE)  # the umask could have taken bits away, never added: be exact
    os.close(fd)
    return True


def exposed(path: Path) -> bool:
    """True when ``path`` exists and the group or others may read or write it."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return False
    return bool(mode & (stat.S_IRWXG | stat.S_IRWXO))


def exposure_warning(path: Path) -> str | None:
    """A Chinese (and English) warning for a file others can read, else None."""
    if not exposed(path):
        return None
    mode = stat.S_IMODE(path.stat().st_mode)
    return (
        f"警告: {path} 的权限为 {mode:04o}，本机其他账号可以读取其中的农户个人信息或密钥；"
        f"请执行 chmod 600 {path} (warning: {path} is readable by other accounts "
        f"(mode {mode:04o}); run chmod 600 on it)"
    )


def read_or_make_key(path: Path) -> str:
    """The key in ``path``, made (random, 64 characters, mode 0600) on first use. Every process
    of one install reads the same key; when two make it at once, one wins and both read it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if create_private(path):
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        create_private(tmp)
        tmp.write_text(secrets.token_urlsafe(48), encoding="ascii")
        os.replace(tmp, path)  # readers never see a half-written key
    for _ in range(50):
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key
        time.sleep(0.02)  # another process made the file and is writing the key
    raise RuntimeError(f"密钥文件为空 key file is empty: {path}")
