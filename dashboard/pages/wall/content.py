"""What the wall shows for a unit: its content at first paint and at each refresh (stored
figures only)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import dash
from dash import Patch

from geodata.access import AccessDenied
from geodata.model import Unit

from ... import figures
from ...data import Loaders, get_loaders
from ...maps import map_base
from .ids import (
    CTX,
    DATA_OUTPUTS,
    MAP,
    REFRESH,
    SELECT,
    TOUR,
    WALL_MEASURE,
    NoData,
)
from .parts import (
    as_of_text,
    causes_bars,
    codes_signature,
    ctx_size,
    home_unit,
    legend,
    map_colours,
    map_size,
    now_hm,
    select_options,
    stale_text,
    tour_badge,
    tour_next,
    tour_order,
    trend_columns,
    unit_title,
    wall_cards,
    wall_level,
    wall_map,
    wall_unit,
    wall_view,
)

log = logging.getLogger("dashboard.pages.wall")


# ---------------------------------------------------------------------- content
def problem_signature(counts: dict[str, Any]) -> list[int]:
    """What the wall shows of the problem list: a status changed on the dashboard shows at
    the next refresh, though no data was loaded."""
    return [int(counts.get("open") or 0), int(counts.get("overdue") or 0)]


def wall_content(
    loaders: Loaders, unit: Unit, ctx: dict[str, Any], size: tuple[int, int], *, full: bool
) -> dict[str, Any]:
    """Everything the wall shows for ``unit`` in the latest month, keyed by output.

    ``full``: a new map figure (another unit, or the first time); otherwise the map gets a
    ``Patch`` of its colours and hover data, and of its view when the map's size changed.
    """
    month = loaders.latest_month()
    if month is None:
        raise NoData("尚未加载农户数据")
    stats = loaders.stats(unit.code, month)
    problems = loaders.problem_counts(unit.code)
    root = home_unit(loaders) or unit
    order = tour_order(loaders, root)
    if full:
        fig, counts, signature = wall_map(loaders, unit, month, size)
        map_out: Any = fig
    else:
        z, custom = map_colours(loaders, unit, month)
        signature = ctx.get("sig")
        patch = Patch()
        patch["data"][0]["z"] = z
        patch["data"][0]["customdata"] = custom
        if list(size) != list(ctx.get("size") or []):
            view = wall_view(loaders, unit, size)
            patch["layout"]["map"]["center"] = view["center"]
            patch["layout"]["map"]["zoom"] = view["zoom"]
            patch["layout"]["meta"]["fit"] = view["fit"]
        counts = figures.class_counts(z, WALL_MEASURE)
        map_out = patch
    new_ctx = {
        **ctx,
        "code": unit.code,
        "month": month,
        "sig": signature,
        "size": list(size),
        "version": loaders.version(),
        "problems": problem_signature(problems),
        "ok_at": now_hm(),
        "ok_ms": int(datetime.now().timestamp() * 1000),
    }
    return {
        (MAP, "figure"): map_out,
        ("wall-legend", "children"): legend(counts, wall_level(loaders, unit)),
        ("wall-cards", "children"): wall_cards(stats, problems),
        ("wall-causes", "children"): causes_bars(stats["by_cause"]),
        ("wall-trend", "children"): trend_columns(loaders.trend(unit.code), month),
        ("wall-unit", "children"): unit_title(unit, month),
        ("wall-tour-badge", "children"): tour_badge(order, unit.code, bool(ctx.get("tour"))),
        ("wall-asof", "children"): as_of_text(loaders.data_as_of()),
        ("wall-demo", "hidden"): not loaders.is_demo(),
        (CTX, "data"): new_ctx,
        (SELECT, "value"): unit.code,
        (SELECT, "options"): select_options(loaders, root),
        ("wall-empty-note", "hidden"): True,
    }


def refresh_result(
    ctx: dict[str, Any] | None,
    trigger: str | None,
    chosen: str | None = None,
    size: Any = None,
) -> tuple[Any, ...]:
    """The outputs of one wall update (``DATA_OUTPUTS`` then ``STALE_OUTPUTS``).

    ``trigger``: the refresh interval (same unit, fresh figures), the tour interval (the next
    unit of the playlist), the selector (``chosen``) or the map's size (``size``). When the store
    cannot be read, every data output is ``dash.no_update`` (the last good figures stay on
    screen) and the stale-data warning shows the time of the data shown.
    """
    ctx = dict(ctx or {})
    try:
        loaders = get_loaders()
        current = ctx.get("code")
        if trigger == TOUR:
            root = home_unit(loaders)
            target = root and wall_unit(loaders, tour_next(tour_order(loaders, root), current))
        elif trigger == SELECT and chosen:
            target = wall_unit(loaders, chosen)
        else:
            target = wall_unit(loaders, current)
        if target is None:
            raise NoData("尚未加载网格")
        pixels = map_size(size) if size else ctx_size(ctx)
        full = target.code != current or not ctx.get("sig")
        if not full:
            features = map_base(loaders, target, wall_level(loaders, target))["features"]
            full = codes_signature(figures.feature_codes(features)) != ctx.get("sig")
        if (
            trigger == REFRESH
            and not full
            and list(pixels) == list(ctx.get("size") or [])
            and loaders.version() == ctx.get("version")
            and problem_signature(loaders.problem_counts(target.code)) == ctx.get("problems")
        ):  # nothing loaded since: only the time of the data shown moves on
            fresh = {**ctx, "ok_at": now_hm(), "ok_ms": int(datetime.now().timestamp() * 1000)}
            unchanged = [fresh if key == (CTX, "data") else dash.no_update for key in DATA_OUTPUTS]
            return (*unchanged, "", True)
        content = wall_content(loaders, target, ctx, pixels, full=full)
    except AccessDenied:
        raise  # a refusal (403), not an outage
    except NoData:  # the store answers, with nothing to show yet
        return (*[dash.no_update] * len(DATA_OUTPUTS), "", True)
    except Exception as exc:  # the database is away: keep the last good figures on screen
        log.warning("wall refresh failed: %s: %s", type(exc).__name__, exc)
        return (*[dash.no_update] * len(DATA_OUTPUTS), stale_text(ctx.get("ok_at")), False)
    return (*[content[key] for key in DATA_OUTPUTS], "", True)
