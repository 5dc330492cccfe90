"""Household snapshots: read, validate every row in one pass, and load all or nothing.

The rows are checked in ``etl.household_checks``; the rejected ones go to the file that
``etl.rejects`` writes.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from geodata import Store

from .checker import Checker
from .checksums import single_file_sha256 as _sha256  # also imported by etl.sites, etl.signals
from .errors import Issue, LoadError, LoadReport
from .headers import HOUSEHOLD_HEADERS
from .household_checks import validate_households
from .limits import check_file
from .members import is_member_table, missing_relation, repeats_members, validate_members
from .problem_sync import sync_in_load
from .readers import Table, read_table
from .rejects import reject_path, write_rejects

__all__ = ["Checker", "load_households", "reject_path", "validate_households", "write_rejects"]

# the place: 网格编码, else 村编码 or 县/乡/村 names, else the stored grid assignment (etl.places)
REQUIRED = ["household_id", "head_name", "persons"]
# the national export, one row per member: the household's head and persons follow from its rows
MEMBER_LAYOUTS = (["household_id", "relation"], ["household_id", "person_id"])

Progress = Callable[[str, int, int], None]


def _read(path: Path, sheet: str | None) -> Table:
    """The household table, one row per household or per member (the national export: with a
    与户主关系 or 人编号 column); a file missing required columns is told all of them, the place
    (网格编码, or 村编码 / 行政村) among them when it has none."""
    try:
        return read_table(
            path, HOUSEHOLD_HEADERS, REQUIRED, sheet=sheet, alternatives=MEMBER_LAYOUTS
        )
    except LoadError as exc:
        missing = {i.field for i in exc.issues if i.field in REQUIRED and i.row is None}
        if not missing:
            raise
        try:
            partial = read_table(path, HOUSEHOLD_HEADERS, ["household_id"], sheet=sheet)
        except LoadError:
            partial = None
        if partial is not None and repeats_members(partial):
            raise missing_relation(partial) from None
        fields = set(partial.fields.values()) if partial is not None else set()
        if fields & {"grid_code", "village_code", "village_name"}:
            raise
        place = Issue(
            str(path),
            None,
            "网格编码",
            "grid_code",
            None,
            "缺少必填列 网格编码, 或 村编码 / 行政村 (grid_code: required column missing; or "
            "village_code, or place names)",
            exc.issues[0].sheet,
        )
        raise LoadError(str(path), [*exc.issues, place]) from None


def load_households(
    store: Store,
    path: str | Path,
    *,
    month: str | None = None,
    sheet: str | None = None,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    chunk_rows: int = 50_000,
) -> LoadReport:
    """Load one household file as monthly snapshot rows, upserted by (month, household_id).

    All or nothing: with any error nothing is written and LoadError lists every problem. With
    ``skip_invalid`` the valid rows load and the rejected rows go to ``<name>.rejects.csv``.
    """
    path = Path(path)
    check_file(path)  # before the hash reads it: a 2 GB file is refused unread
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="riskgrid-sha256") as pool:
        sha_future = pool.submit(_sha256, path)  # hashing releases the GIL: done while reading
        table = _read(path, sheet)
        context = {
            "month": month,
            "grid_index": store.grid_index(),
            "site_codes": store.site_codes(),
            "store": store,
        }
        members = None
        if is_member_table(table):
            found = validate_members(table, **context)
            rows, ck, bad = found.households, found.checker, found.household_bad
            members = found.members[~ck.bad] if ck.bad.any() else found.members
        else:
            rows, ck = validate_households(table, **context)
            bad = ck.bad
        sha = sha_future.result()
    report = LoadReport(file=str(path), kind="households", month=month, rows_read=len(ck.bad))
    report.warnings = ck.warnings
    report.errors = ck.errors
    if ck.errors and not skip_invalid:
        raise LoadError(str(path), ck.errors)
    good = rows[~bad] if bad.any() else rows
    report.households = len(good)
    report.members = None if members is None else len(members)
    if ck.bad.any():
        report.reject_file = str(write_rejects(table, ck, path))
    months = sorted(set(good["month"].unique()))
    if report.month is None and len(months) == 1:
        report.month = months[0]
    report.unchanged = store.already_loaded("households", sha, report.month)
    with store.write(load=True) as conn:
        # synced before this load: a sync of the counties it touches keeps the list synced
        listed = store.problems_in_sync(conn)
        # 时效 stored per county and month: what the load may change, before it writes
        version, loaded = store.data_version(conn), store.months(conn)
        fresh = {
            m: good if len(months) == 1 else good[good["month"] == m]
            for m in months
            if not store.month_has_rows(conn, m)
        }
        # a month that has rows: only the counties of these rows (and those they were in
        # before, should a household have moved) are recomputed, with their city and province
        counties = {}
        for m in months:
            if m not in fresh:
                part = good if len(months) == 1 else good[good["month"] == m]
                loading = set(part["county_code"].dropna())
                before = store.stored_counties(conn, m, list(part["household_id"]), loading)
                counties[m] = loading | before
        timely: set[str] = set()
        for m in months:
            part = good if len(months) == 1 else good[good["month"] == m]
            timely |= store.timeliness_scope(conn, m, part, counties.get(m, ()))

        def write_rows(sending: Callable[[], None]) -> None:
            # rows of months not loaded before are plain inserts (keys are distinct: checked)
            store.upsert_households(
                conn,
                good,
                new=len(fresh) == len(months),
                chunk_rows=chunk_rows,
                progress=(lambda done: progress("写入 writing", done, len(good)))
                if progress
                else None,
                sending=sending,
            )
            if progress:
                progress("计算指标 figures", 0, len(months))

        # the figures of the new months are computed while the rows are written
        written = {
            m: good if len(months) == 1 else good[good["month"] == m]
            for m in months
            if m not in fresh
        }
        if members is not None:
            store.replace_members(conn, members, new_months=list(fresh))
        store.refresh_figures(
            conn,
            months,
            snapshots=fresh,
            alongside=write_rows,
            written=written,
            counties=counties or None,
        )
        ck.record_load(
            store, conn, report, kind="households", path=path, sha256=sha, month=report.month
        )
        if months:
            first = loaded[0] if loaded else None
            store.refresh_timeliness(conn, timely, months[0], version, first)
        touched = set(good["county_code"].dropna()).union(*counties.values())
        # the problem list commits with the load, or neither does
        sync_in_load(store, conn, touched if listed else None)
    return report
