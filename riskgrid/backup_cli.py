"""``riskgrid backup`` and ``riskgrid restore``: a whole store to one file and back (SQLite's
online backup API, ``pg_dump``/``pg_restore`` on PostgreSQL: ``geodata.backup``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .cli_common import DbOption, _fail, _settings, console

ForceOption = Annotated[
    bool, typer.Option("--force", help="Overwrite an existing backup file / a store with data.")
]


def _summary(rows: dict[str, int]) -> str:
    keys = (("units", "单位"), ("households", "农户记录"), ("figures", "指标"), ("users", "账号"))
    return ", ".join(f"{label} {rows.get(key, 0):,}" for key, label in keys)


def backup_cmd(
    file: Annotated[Path, typer.Argument(help="The backup file to write.")],
    force: ForceOption = False,
    db: DbOption = None,
) -> None:
    """备份数据库 Back up the whole store to FILE (consistent while the dashboard runs)."""
    from geodata.access import LOCAL_ADMIN, log
    from geodata.backup import BackupError, backup, existing_database

    settings = _settings(db)
    try:
        database = existing_database(settings.db)
        try:
            info = backup(database, file, force=force)
            log(database, LOCAL_ADMIN, "backup", str(info.path), f"schema {info.schema_version}")
        finally:
            database.dispose()
    except BackupError as exc:
        _fail(str(exc))
        return
    except OSError as exc:
        _fail(
            f"无法写入备份文件 (cannot write the backup) {exc.filename or file}: {exc.strerror or exc}"
        )
        return
    console.print(
        f"已备份 backed up to {info.path} (数据库版本 schema {info.schema_version}; "
        f"{_summary(info.rows)})",
        highlight=False,
        markup=False,
    )


def restore_cmd(
    file: Annotated[Path, typer.Argument(help="The backup file to restore.")],
    force: ForceOption = False,
    db: DbOption = None,
) -> None:
    """从备份恢复 Restore the store from FILE (checked first; all or nothing)."""
    from geodata import Store
    from geodata.access import LOCAL_ADMIN, log
    from geodata.backup import BackupError, restore, sqlite_file, table_rows

    settings = _settings(db)
    file_db = sqlite_file(settings.db)
    new_file = file_db is not None and not file_db.exists()
    database = Store(settings.db)
    try:
        restore(database, file, force=force)
        database.migrate()  # a backup of an older release: brought to this schema
        log(database, LOCAL_ADMIN, "restore", str(file), f"force={force}")
        with database.engine.connect() as conn:
            rows = table_rows(conn)
    except BackupError as exc:
        database.dispose()
        if new_file and file_db is not None and file_db.exists() and not file_db.stat().st_size:
            file_db.unlink()  # made by opening it: a failed restore leaves no empty database
        _fail(str(exc))
        return
    finally:
        database.dispose()
    console.print(f"已恢复 restored from {file} ({_summary(rows)})", highlight=False, markup=False)
