"""Backups of the store and their restore, safe to run while the dashboard reads it.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot
while other connections read and write (WAL mode). A restore checks the backup first (``PRAGMA
integrity_check``, a riskgrid schema version this release knows), copies it into a temporary
file beside the target, migrates and checks that copy, and only then puts it in place: by
``os.replace`` when the target does not exist, else by the backup API into the target, which
is one SQLite transaction (all or nothing under power loss, and connections that have the
target open, the dashboard's, see the restored data on their next read instead of a file that
was swapped under them). PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore``
(``geodata.pg_backup``). A target that holds data is only overwritten with ``force``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from . import schema
from .database import MIGRATIONS, Database, StoreError
from .private import PRIVATE_MODE, create_private, sqlite_file

if TYPE_CHECKING:
    from .store import Store

SQLITE_HEADER = b"SQLite format 3\x00"


class BackupError(StoreError):
    """A backup or restore that cannot be made; its text is for users (Chinese first)."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup holds: its file, the schema version and the row count of each table."""

    path: Path
    schema_version: str
    rows: dict[str, int]


def known_revisions() -> set[str]:
    """The schema versions (Alembic revisions) this release can migrate from."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return {rev.revision for rev in ScriptDirectory.from_config(cfg).walk_revisions()}


def table_rows(conn: sa.Connection) -> dict[str, int]:
    """The row count of every riskgrid table on ``conn`` (tables not there yet count 0)."""
    present = set(sa.inspect(conn).get_table_names())
    return {
        t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar() or 0)
        for t in schema.metadata.sorted_tables
        if t.name in present
    }


def holds_data(db: Database) -> bool:
    """True when any riskgrid table of ``db`` has a row (a freshly migrated store has none)."""
    with db.engine.connect() as conn:
        return any(table_rows(conn).values())


def existing_database(url: str) -> Store:
    """The database of ``url`` to back up, never created: a SQLite file that does not exist
    is an error (opening it would make an empty one)."""
    file = sqlite_file(url)
    if file is not None and not (file.is_file() and file.stat().st_size > 0):
        raise BackupError(f"数据库文件不存在 (no such database file): {file}")
    from .store import Store

    return Store(url)


def backup(db: Database, target: Path, *, force: bool = False) -> BackupInfo:
    """Write a backup of ``db`` to ``target`` (mode 0600: it holds personal data); an existing
    ``target`` is replaced only with ``force``. The file appears complete or not at all."""
    target = Path(target)
    if target.is_dir():
        raise BackupError(f"备份文件路径是一个目录 (the backup path is a directory): {target}")
    if not target.parent.is_dir():
        raise BackupError(f"备份文件所在目录不存在 (no such directory): {target.parent}")
    if target.exists() and not force:
        raise BackupError(
            f"备份文件已存在, 如需覆盖请加 --force (backup file exists; use --force): {target}"
        )
    if db.schema_version() is None:
        raise BackupError(f"不是 riskgrid 数据库, 无可备份 (not a riskgrid database): {db.url}")
    if db.is_postgis:
        from .pg_backup import pg_backup

        return pg_backup(db, target)
    if db.dialect != "sqlite" or db.file is None:
        raise BackupError(f"只能备份 SQLite 文件或 PostgreSQL 数据库 (cannot back up {db.url})")
    with _temp_beside(target) as tmp:
        src = sqlite3.connect(f"file:{db.file}?mode=ro", uri=True, timeout=120)
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dst.close()
            src.close()
        info = check_sqlite_backup(tmp)
        os.replace(tmp, target)
    return BackupInfo(target, info.schema_version, info.rows)


def check_sqlite_backup(path: Path) -> BackupInfo:
    """The schema version and rows of a SQLite backup, after checking that it is a whole
    SQLite file (``PRAGMA integrity_check``) of a riskgrid database this release knows."""
    path = Path(path)
    if not path.exists():
        raise BackupError(f"备份文件不存在 (no such backup file): {path}")
    if not path.is_file():
        raise BackupError(f"备份文件不是普通文件 (not a file): {path}")
    with path.open("rb") as f:
        header = f.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise BackupError(f"不是 SQLite 备份文件 (not a SQLite backup file): {path}")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            problems = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            version = None
            if "alembic_version" in tables:
                version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"备份文件已损坏 (the backup file is damaged: {exc}): {path}") from exc
    if problems != ["ok"]:
        raise BackupError(
            f"备份文件已损坏 (the backup file is damaged: {'; '.join(problems[:3])}): {path}"
        )
    if not version:
        raise BackupError(f"不是 riskgrid 数据库的备份 (not a riskgrid backup): {path}")
    return _known(path, version[0], _sqlite_rows(path))


def _known(path: Path, version: str, rows: dict[str, int]) -> BackupInfo:
    if version not in known_revisions():
        raise BackupError(
            f"备份来自更新的 riskgrid 版本 (数据库版本 {version}), 请先升级 riskgrid "
            f"(the backup has schema version {version}, unknown to this release): {path}"
        )
    return BackupInfo(path, version, rows)


def _sqlite_rows(path: Path) -> dict[str, int]:
    engine = sa.create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        with engine.connect() as conn:
            return table_rows(conn)
    finally:
        engine.dispose()


def restore(db: Database, source: Path, *, force: bool = False) -> BackupInfo:
    """Replace the data of ``db`` with the backup ``source``, checked first; refused when
    ``db`` holds data, unless ``force``. On any failure the target is left as it was."""
    source = Path(source)
    if db.is_postgis:
        from .pg_backup import pg_restore

        return pg_restore(db, source, force=force)
    if db.dialect != "sqlite" or db.file is None:
        raise BackupError(f"只能恢复到 SQLite 文件或 PostgreSQL 数据库 (cannot restore {db.url})")
    info = check_sqlite_backup(source)
    target = db.file
    if not target.parent.is_dir():
        raise BackupError(f"目标数据库所在目录不存在 (no such directory): {target.parent}")
    exists = target.exists() and target.stat().st_size > 0
    if exists and not force and _sqlite_holds_data(target):
        raise BackupError(
            f"目标数据库已有数据, 如需覆盖请加 --force (the target database holds data; "
            f"use --force to replace it): {target}"
        )
    with _temp_beside(target) as tmp:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        staged = Database(f"sqlite:///{tmp}")
        try:
            staged.migrate()  # a backup of an older release: brought to this schema first
        finally:
            staged.dispose()
        check_sqlite_backup(tmp)
        if not exists:
            for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm")):
                leftover.unlink(missing_ok=True)  # of an empty file: nothing to keep
            os.replace(tmp, target)
        else:
            _copy_into(tmp, target)
    db.dispose()
    db._cache.clear()
    return info


def _copy_into(staged: Path, target: Path) -> None:
    """Copy ``staged`` over the live ``target`` in one SQLite transaction (backup API)."""
    src = sqlite3.connect(f"file:{staged}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=120)
    try:
        src.backup(dst)
    except sqlite3.Error as exc:
        raise BackupError(
            f"无法写入目标数据库, 未做任何修改 (cannot write the target database, nothing "
            f"changed: {exc}): {target}"
        ) from exc
    finally:
        dst.close()
        src.close()


def _sqlite_holds_data(path: Path) -> bool:
    try:
        engine = sa.create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
        try:
            with engine.connect() as conn:
                return any(table_rows(conn).values())
        finally:
            engine.dispose()
    except sa.exc.DBAPIError as exc:
        raise BackupError(
            f"目标文件不是可读的数据库, 如需覆盖请加 --force (the target is not a readable "
            f"database; use --force to replace it): {path}"
        ) from exc


@contextlib.contextmanager
def _temp_beside(path: Path) -> Iterator[Path]:
    """A new private file beside ``path`` (same file system: ``os.replace`` is atomic),
    removed when the block leaves it there."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    for extra in ("", "-journal", "-wal", "-shm"):
        Path(f"{tmp}{extra}").unlink(missing_ok=True)
    create_private(tmp)
    os.chmod(tmp, PRIVATE_MODE)
    try:
        yield tmp
    finally:
        for extra in ("", "-journal", "-wal", "-shm"):
            Path(f"{tmp}{extra}").unlink(missing_ok=True)


__all__ = [
    "BackupError",
    "BackupInfo",
    "backup",
    "check_sqlite_backup",
    "existing_database",
    "holds_data",
    "restore",
    "sqlite_file",
]
