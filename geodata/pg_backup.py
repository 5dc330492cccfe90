"""Backups of a PostgreSQL store: ``pg_dump --format=custom`` of the store's schema, and a
restore that replaces the target schema in one transaction.

The client tools are those of the server's major version (``/usr/lib/postgresql/N/bin``, else
the ones on ``PATH`` when they are as new as the server). A restore checks the archive first
(``pg_restore --list``: a riskgrid schema of a version this release knows), turns it into SQL
(``pg_restore`` must read the whole archive without error), and runs that SQL with ``psql
--single-transaction``, between statements that clear the target schema (or rename it aside)
and put the restored one in its place: a failure anywhere rolls everything back, the target is
never half restored. The archive's schema may differ from the target's (a backup of one schema
restored into another): it is restored under its own name, the schema of that name, if any,
set aside for the transaction, and then renamed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa

from . import schema
from .backup import BackupError, BackupInfo, _known, _temp_beside, holds_data, table_rows
from .database import Database

_TOC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (\S+) alembic_version ")
_TOC_SCHEMA = re.compile(r"^\d+; \d+ \d+ (SCHEMA|COMMENT) - ")
# the tables riskgrid owns (partitions of households go with it)
OWN_TABLES = ("alembic_version", *(t.name for t in schema.metadata.sorted_tables))


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def client_tool(db: Database, tool: str) -> str:
    """The path of ``tool`` (pg_dump, pg_restore, psql) of the server's major version."""
    with db.engine.connect() as conn:
        server = int(conn.exec_driver_sql("SHOW server_version_num").scalar()) // 10000
    exact = Path(f"/usr/lib/postgresql/{server}/bin/{tool}")
    if exact.is_file():
        return str(exact)
    found = shutil.which(tool)
    if found:
        out = subprocess.run([found, "--version"], capture_output=True, text=True).stdout
        version = re.search(r"(\d+)(?:\.\d+)?", out)
        if version and int(version.group(1)) >= server:
            return found
    raise BackupError(
        f"未找到与服务器版本 {server} 一致的 {tool}, 请安装 postgresql-client-{server} "
        f"(no {tool} of PostgreSQL {server} found: install postgresql-client-{server})"
    )


def connection(db: Database) -> tuple[str, dict[str, str]]:
    """A libpq connection string for the store (no password in it) and the environment
    carrying the password, for the client tools."""
    url = db.engine.url
    parts = {
        "host": url.host,
        "port": url.port,
        "dbname": url.database,
        "user": url.username,
        **{k: v for k, v in url.query.items() if isinstance(v, str)},
    }
    conninfo = " ".join(
        f"{k}={_conninfo_value(v)}" for k, v in parts.items() if v not in (None, "")
    )
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return conninfo, env


def _conninfo_value(value: object) -> str:
    """A value of a libpq keyword/value connection string, quoted (backslash, quote escaped)."""
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def store_schema(db: Database) -> str:
    """The schema the store's tables live in: the first of its search_path (the current
    schema when that is ``$user``)."""
    with db.engine.connect() as conn:
        path = conn.exec_driver_sql("SHOW search_path").scalar() or ""
        current = conn.exec_driver_sql("SELECT current_schema()").scalar()
    first = next((p.strip() for p in path.split(",") if p.strip()), "")
    if first and first != '"$user"':
        return first[1:-1].replace('""', '"') if first.startswith('"') else first
    if not current:
        raise BackupError("无法确定数据库模式 (cannot tell the store's schema from search_path)")
    return current


def _run(args: list[str], env: dict[str, str], what: str) -> str:
    done = subprocess.run(args, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{what} ({detail[-1] if detail else f'exit {done.returncode}'})")
    return done.stdout


def pg_backup(db: Database, target: Path) -> BackupInfo:
    """``pg_dump --format=custom`` of the store's schema to ``target``, checked, mode 0600."""
    conninfo, env = connection(db)
    name = store_schema(db)
    with db.engine.connect() as conn:
        rows = table_rows(conn)
    with _temp_beside(target) as tmp:
        _run(
            [
                client_tool(db, "pg_dump"),
                "--format=custom",
                f"--schema={name}",
                "--no-owner",
                "--no-acl",
                f"--file={tmp}",
                f"--dbname={conninfo}",
            ],
            env,
            "备份失败 (pg_dump failed)",
        )
        info = check_archive(db, tmp)
        os.replace(tmp, target)
    return BackupInfo(target, info.schema_version, rows)


def _listing(db: Database, path: Path) -> tuple[str, list[str]]:
    """The archive's schema and its table of contents, after checking it is an archive of a
    riskgrid schema."""
    if not path.exists():
        raise BackupError(f"备份文件不存在 (no such backup file): {path}")
    if not path.is_file():
        raise BackupError(f"备份文件不是普通文件 (not a file): {path}")
    with path.open("rb") as f:
        if f.read(5) != b"PGDMP":
            raise BackupError(f"不是 PostgreSQL 备份文件 (not a pg_dump custom archive): {path}")
    _, env = connection(db)
    toc = _run(
        [client_tool(db, "pg_restore"), "--list", str(path)],
        env,
        f"备份文件已损坏 (the backup file is damaged): {path}",
    ).splitlines()
    schemas = {m.group(1) for line in toc if (m := _TOC_TABLE.match(line))}
    if len(schemas) != 1:
        raise BackupError(f"不是 riskgrid 数据库的备份 (not a riskgrid backup): {path}")
    return schemas.pop(), toc


def check_archive(db: Database, path: Path) -> BackupInfo:
    """The schema version of a pg_dump archive, after checking it (``_listing``) and reading
    its ``alembic_version`` rows; a version this release does not know is refused."""
    path = Path(path)
    name, _ = _listing(db, path)
    _, env = connection(db)
    data = _run(
        [
            client_tool(db, "pg_restore"),
            "--data-only",
            f"--schema={name}",
            "--table=alembic_version",
            "--file=-",
            str(path),
        ],
        env,
        f"备份文件已损坏 (the backup file is damaged): {path}",
    )
    match = re.search(r"^COPY [^\n]*alembic_version[^\n]*\n([^\n\\]+)\n\\\.", data, re.M)
    if not match:
        raise BackupError(f"不是 riskgrid 数据库的备份 (not a riskgrid backup): {path}")
    return _known(path, match.group(1).strip(), {})


def pg_restore(db: Database, source: Path, *, force: bool = False) -> BackupInfo:
    """Replace the store's schema with the archive ``source`` in one transaction."""
    source = Path(source)
    info = check_archive(db, source)
    archived, toc = _listing(db, source)
    target = store_schema(db)
    if archived == "public" and target != "public":
        raise BackupError(
            f"该备份来自 public 模式, 只能恢复到 public 模式 (a backup of schema public can "
            f"only be restored into public, not {target})"
        )
    if not force and _exists(db, target) and holds_data(db):
        raise BackupError(
            f"目标数据库已有数据, 如需覆盖请加 --force (the target database holds data; "
            f"use --force to replace it): {target}"
        )
    conninfo, env = connection(db)
    with tempfile.TemporaryDirectory(prefix="riskgrid-restore-") as work:
        listing = Path(work) / "toc.list"
        listing.write_text(
            "\n".join(line for line in toc if not _TOC_SCHEMA.match(line)) + "\n",
            encoding="utf-8",
        )
        script = Path(work) / "restore.sql"
        _run(
            [
                client_tool(db, "pg_restore"),
                "--no-owner",
                "--no-acl",
                f"--use-list={listing}",
                f"--file={script}",
                str(source),
            ],
            env,
            f"备份文件已损坏, 未做任何修改 (the backup file is damaged, nothing changed): {source}",
        )
        os.chmod(script, 0o600)
        before, after = _swap_sql(db, archived, target)
        (Path(work) / "before.sql").write_text(before, encoding="utf-8")
        (Path(work) / "after.sql").write_text(after, encoding="utf-8")
        db.dispose()  # no pooled connection of ours holds the schema
        _run(
            [
                client_tool(db, "psql"),
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                f"--file={Path(work) / 'before.sql'}",
                f"--file={script}",
                f"--file={Path(work) / 'after.sql'}",
                f"--dbname={conninfo}",
            ],
            env,
            "恢复失败, 未做任何修改 (restore failed, nothing changed)",
        )
    db._cache.clear()
    with db.engine.connect() as conn:
        rows = table_rows(conn)
    return BackupInfo(source, info.schema_version, rows)


def _exists(db: Database, name: str) -> bool:
    with db.engine.connect() as conn:
        return bool(
            conn.execute(
                sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :n"), {"n": name}
            ).scalar()
        )


def _clear(name: str) -> str:
    """SQL removing riskgrid's tables from schema ``name`` (public: other objects stay)."""
    tables = ", ".join(f"{_ident(name)}.{_ident(t)}" for t in OWN_TABLES)
    return f"DROP TABLE IF EXISTS {tables} CASCADE;\n"


def _swap_sql(db: Database, archived: str, target: str) -> tuple[str, str]:
    """The SQL before and after the archive's: the schema ``archived`` made free and new, and
    afterwards put in ``target``'s place."""
    before = "SET lock_timeout = '60s';\n"
    after = ""
    if archived == target:
        if target == "public":
            return before + _clear(target), after
        before += f"DROP SCHEMA IF EXISTS {_ident(target)} CASCADE;\n"
        return before + f"CREATE SCHEMA {_ident(target)};\n", after
    hold = f"rg_hold_{uuid.uuid4().hex[:12]}"
    if _exists(db, archived):  # e.g. the schema the backup was made of, in the same database
        before += f"ALTER SCHEMA {_ident(archived)} RENAME TO {_ident(hold)};\n"
    before += f"CREATE SCHEMA {_ident(archived)};\n"
    if target == "public":
        after += _clear(target)
        after += (
            "DO $$DECLARE r record; BEGIN\n"
            "  FOR r IN SELECT c.relname FROM pg_class c\n"
            f"    WHERE c.relnamespace = {_literal(archived)}::regnamespace AND c.relkind IN ('r', 'p')\n"
            "  LOOP\n"
            f"    EXECUTE format('ALTER TABLE %I.%I SET SCHEMA public', {_literal(archived)}, r.relname);\n"
            "  END LOOP;\nEND$$;\n"
            f"DROP SCHEMA {_ident(archived)};\n"
        )
    else:
        after += f"DROP SCHEMA IF EXISTS {_ident(target)} CASCADE;\n"
        after += f"ALTER SCHEMA {_ident(archived)} RENAME TO {_ident(target)};\n"
    if _exists(db, archived):
        after += f"ALTER SCHEMA {_ident(hold)} RENAME TO {_ident(archived)};\n"
    return before, after


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
