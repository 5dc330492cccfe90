"""``riskgrid export``: a unit's grids with their figures as a GeoPackage (QGIS, ArcGIS), or
its figures and masked household list as Excel, as an account that may see them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .cli_common import (
    DbOption,
    UserOption,
    _fail,
    _settings,
    cli_principal,
    console,
    open_store,
    unit_and_month,
)


def export(
    unit: Annotated[
        str, typer.Option("--unit", help="Unit code: county, township, village or grid.")
    ],
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="gpkg (grids and the units above them with their figures) or xlsx (figures "
            "and, for accounts that see households, the masked household list).",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Directory for the file (made if missing).")],
    month: Annotated[str | None, typer.Option(help="Month YYYY-MM (default: the latest).")] = None,
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """导出数据 Export a unit's grids and figures as GeoPackage, or figures and households as Excel."""
    from geodata.access import AccessDenied, ScopedStore
    from reports.export import FORMATS, export_gpkg, export_xlsx

    fmt = fmt.lower().lstrip(".")
    if fmt not in FORMATS:
        _fail(f"格式须为 gpkg 或 xlsx (format must be gpkg or xlsx): {fmt}")
    if out.exists() and not out.is_dir():
        _fail(f"输出路径不是目录 (--out is not a directory): {out}")
    store = open_store(_settings(db))
    store.ensure_policy()
    principal = cli_principal(store, user)
    scoped = ScopedStore(store, principal, "cli")
    try:
        if store.unit(unit) is not None:
            scoped.check(unit)  # before anything of the unit is read
        target, month = unit_and_month(store, unit, month)
        out.mkdir(parents=True, exist_ok=True)
        write = export_gpkg if fmt == "gpkg" else export_xlsx
        path = write(scoped, target.code, month, out)
    except AccessDenied as exc:
        _fail(f"{exc} (user {principal.username})")
        return
    except OSError as exc:
        _fail(
            f"无法写入导出文件 (cannot write the export) {exc.filename or out}: {exc.strerror or exc}"
        )
        return
    console.print(str(path), highlight=False, soft_wrap=True, markup=False)
