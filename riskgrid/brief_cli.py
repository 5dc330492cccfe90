"""``riskgrid brief``: briefing images, PDF pages, a PowerPoint deck or offline HTML maps of
a unit (and its child units) written to a directory, as an account that may see them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .cli_common import DbOption, UserOption, _fail, _settings, cli_principal, console, open_store


def brief(
    unit: Annotated[
        str, typer.Option("--unit", help="Unit code: county, township, village or grid.")
    ],
    fmt: Annotated[
        str, typer.Option("--format", help="png, pdf, pptx (one deck) or html (offline map).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Directory for the files (made if missing).")],
    children: Annotated[
        bool,
        typer.Option("--children", help="Also each child unit (county -> townships -> villages)."),
    ] = False,
    month: Annotated[str | None, typer.Option(help="Month YYYY-MM (default: the latest).")] = None,
    size: Annotated[
        str, typer.Option(help="Image size WIDTHxHEIGHT, 16:9 (e.g. 3840x2160).")
    ] = "1920x1080",
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """生成简报 Briefing images, PDF, PowerPoint deck or offline HTML map of a unit."""
    from geodata.access import AccessDenied, ScopedStore
    from reports import briefing

    fmt = fmt.lower().lstrip(".")
    if fmt not in ("png", "pdf", "pptx", "html"):
        _fail(f"格式须为 png, pdf, pptx 或 html (format must be png, pdf, pptx or html): {fmt}")
    settings = _settings(db)
    store = open_store(settings)
    store.ensure_policy()
    principal = cli_principal(store, user)
    scoped = ScopedStore(store, principal, "cli")
    try:
        pixels = briefing.parse_size(size)
        if store.unit(unit) is not None:
            scoped.check(unit)  # before anything of the unit is read (unknown: brief_units says)
        codes = briefing.brief_units(store, unit, children)
        for code in codes:
            scoped.check(code)
        month = briefing.build_briefing(store, codes[0], month).month
        out.mkdir(parents=True, exist_ok=True)
        if fmt == "pptx":
            path = out / briefing.deck_name(codes[0], month)
            path.write_bytes(briefing.render_pptx(store, codes, month, pixels))
            scoped.log_export(f"brief pptx {month} {len(codes)} units", codes[0])
            console.print(str(path), highlight=False, soft_wrap=True, markup=False)
            return
        for code in codes:
            path = out / f"{briefing.file_stem(store, code, month)}.{fmt}"
            if fmt == "png":
                path.write_bytes(briefing.render_png(store, code, month, pixels))
            elif fmt == "pdf":
                path.write_bytes(briefing.render_pdf(store, code, month, pixels))
            else:
                path.write_text(briefing.render_html(store, code, month), encoding="utf-8")
            scoped.log_export(f"brief {fmt} {month}", code)
            console.print(str(path), highlight=False, soft_wrap=True, markup=False)
    except briefing.BriefError as exc:
        _fail(str(exc))
    except AccessDenied as exc:
        _fail(f"{exc} (user {principal.username})")
