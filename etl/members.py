"""The national system's member-level export: one row per family member, grouped into households.

The 监测对象信息 sheet of 防止返贫监测和衔接推进乡村振兴信息系统 has one row per family member, the
household's fields repeated on each member's row and grouped by 户编号 (a household's rows need
not be next to each other), with the member's 人编号, 姓名, 证件号码, 与户主关系, 劳动技能, 健康状况
and 在校生状况. It is recognised by its 人编号 or 与户主关系 column (``is_member_table``).

``validate_members`` checks the member rows and the households they make, all in one pass and by
Excel row: a household whose rows disagree on a household field (a blank cell agrees with
anything: the value is the household's), a household with no 户主 or with two, a duplicate
人编号 or 证件号码, a member's bad ID number. Each household then becomes one row of the
one-row-per-household layout (the head's row, its blanks filled from the other rows; 户主姓名 the
head's 姓名, 证件号码 the head's, 家庭人口数 the number of member rows, 劳动力人数 the members of
working skill when the file has no such column, 务工就业人数 its members with 是否务工 是) and goes through the same checks as that layout
(``etl.household_checks``). A 家庭人口数 column that disagrees with the member count is a
warning naming the household.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geodata import Store
from geodata.schema import MEMBER_COLUMNS

from .bounds import long_reason, too_long
from .checker import Checker
from .errors import Issue, LoadError
from .headers import HOUSEHOLD_HEADERS, MEMBER_FIELDS
from .household_checks import validate_households
from .readers import Table
from .validate import clean, parse_dates, parse_yes_no

HEAD_RELATIONS = {"户主", "本人", "户主本人", "本人(户主)"}
# 劳动技能 of a member counted in 劳动力人数
WORKING_SKILLS = {"普通劳动力", "技能劳动力", "弱劳动力或半劳动力"}
# the fields of the member's own row; every other field of HOUSEHOLD_HEADERS is the household's
OWN_FIELDS = {*MEMBER_FIELDS, "id_number", "head_name", "persons", "household_id"}


def is_member_table(table: Table) -> bool:
    """A member-level export: it has a 人编号 or 与户主关系 column."""
    return bool(table.column_of("person_id") or table.column_of("relation"))


def repeats_members(table: Table) -> bool:
    """A household number on several rows with different 证件号码: member rows without the
    columns that say so."""
    hid_col, id_col = table.column_of("household_id"), table.column_of("id_number")
    if not hid_col or not id_col:
        return False
    pairs = pd.DataFrame({"h": clean(table.frame[hid_col]), "i": clean(table.frame[id_col])})
    pairs = pairs[pairs["h"] != ""].drop_duplicates()
    return bool(pairs["h"].duplicated().any())


def missing_relation(table: Table) -> LoadError:
    return LoadError(
        table.file,
        [
            Issue(
                table.file,
                None,
                "与户主关系",
                "relation",
                None,
                "同一户编号有多行且证件号码不同: 这是按成员一行的导出, 需要与户主关系列以找出户主 "
                "(relation: one row per member needs a 与户主关系 column)",
                table.sheet,
            )
        ],
    )


@dataclass
class MemberRows:
    """The households a member-level file makes, and its members.

    ``households``: one row per household (HOUSEHOLD_COLUMNS); ``household_bad``: which of them
    have an error (on any of their rows); ``members``: MEMBER_COLUMNS per member row, in the
    file's order; ``checker``: the issues of every row, by Excel row, whose ``bad`` marks every
    member row of a bad household (the rejects file holds whole households)."""

    households: pd.DataFrame
    household_bad: np.ndarray
    members: pd.DataFrame
    checker: Checker


def _issue_key(issue: Issue) -> tuple:
    return (issue.row, issue.column, issue.reason, issue.severity)


def _label(ident: str) -> str:
    return HOUSEHOLD_HEADERS.get(ident, (ident,))[0]


def _sex_and_birth(ids: pd.Series, sex: pd.Series, birth: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Sex (男/女) and birth date (ISO text) from the ID number (the 17th digit odd: male; the
    15-digit old numbers: the last digit), else from the 性别 and 出生日期 columns."""
    s = ids.astype(str)
    n18 = s.str.fullmatch(r"[0-9]{17}[0-9X]").fillna(False)
    n15 = s.str.fullmatch(r"[0-9]{15}").fillna(False)
    born = pd.Series(np.full(len(s), None, dtype=object), index=s.index)
    digit = pd.Series(np.full(len(s), None, dtype=object), index=s.index)
    born[n18] = s[n18].str.slice(6, 14)
    born[n15] = "19" + s[n15].str.slice(6, 12)
    digit[n18] = s[n18].str.slice(16, 17)
    digit[n15] = s[n15].str.slice(14, 15)
    dates = pd.to_datetime(born, format="%Y%m%d", errors="coerce")
    from_id = dates.dt.strftime("%Y-%m-%d").astype(object).where(dates.notna(), None)
    given_birth, bad = parse_dates(birth)
    given_text = pd.to_datetime(given_birth).dt.strftime("%Y-%m-%d").astype(object)
    given_text = given_text.where(pd.notna(given_birth) & ~bad, None)
    birth_out = from_id.where(from_id.notna(), given_text)
    odd = digit.map(lambda d: None if d is None else ("男" if int(d) % 2 else "女"))
    given_sex = sex.where(sex.isin(["男", "女"]), None)
    sex_out = odd.where(odd.notna(), given_sex)
    return sex_out.astype(object), birth_out.astype(object)


def validate_members(
    table: Table,
    *,
    month: str | None,
    grid_index: pd.DataFrame,
    site_codes: set[str],
    store: Store,
) -> MemberRows:
    """Every problem of the member rows and of the households they make, in one pass."""
    if not table.column_of("relation"):
        raise missing_relation(table)
    ck = Checker(table)
    frame = table.frame
    n = len(frame)
    index = frame.index
    blank = pd.Series("", index=index, dtype="str")

    def text(ident: str) -> pd.Series:
        return clean(ck.raw(ident)) if table.column_of(ident) else blank

    hid = text("household_id")
    ck.flag("household_id", hid == "", "户编号为空 (household_id: required)")
    # without --month each row has its 统计月份: a household is a household number in a month
    months = None if month else text("month")
    group_key = hid if months is None else months + "\x1f" + hid
    codes, _ = pd.factorize(group_key)
    codes = np.asarray(codes)
    households = int(codes.max()) + 1 if n else 0
    excel = table.excel_rows.to_numpy()
    head_excel = np.zeros(households, dtype=np.int64)

    # -- the member's own fields
    relation = text("relation")
    ck.flag("relation", relation == "", "与户主关系为空 (relation: required)")
    is_head = relation.isin(HEAD_RELATIONS).to_numpy()
    member_name = text("member_name") if table.column_of("member_name") else text("head_name")
    ck.flag(
        "member_name" if table.column_of("member_name") else "head_name",
        member_name == "",
        "姓名为空 (member_name: required)",
    )
    ids, bad_id, old15 = ck.check_ids(text("id_number"))
    same_month = (
        (lambda values: values) if months is None else (lambda values: months + "\x1f" + values)
    )
    filled_id = (ids != "") & ~bad_id
    dup_id = same_month(ids).duplicated(keep="first") & filled_id
    for value in ids[dup_id].unique():
        rows = (ids == value) & filled_id
        first = int(excel[np.flatnonzero(rows.to_numpy())[0]])
        ck.flag(
            "id_number",
            dup_id & rows,
            f"证件号码重复: 与第 {first} 行相同 (id_number: duplicate of row {first})",
        )
    person = text("person_id")
    if table.column_of("person_id"):
        ck.flag("person_id", person == "", "人编号为空 (person_id: required)")
        ck.flag("person_id", too_long(person), long_reason("人编号", "person_id"))
        dup = same_month(person).duplicated(keep="first") & (person != "")
        for value in person[dup].unique():
            rows = person == value
            first = int(excel[np.flatnonzero(rows.to_numpy())[0]])
            ck.flag(
                "person_id",
                dup & rows,
                f"人编号重复: 与第 {first} 行相同 (person_id: duplicate of row {first})",
            )
    else:  # no 人编号: the ID number, else the member's place in its household
        ordinal = pd.Series(codes, index=index).groupby(codes).cumcount() + 1
        person = ids.where(ids != "", hid + "-" + ordinal.map("{:02d}".format))

    # -- the household's head: exactly one 户主 per household
    heads = (
        np.bincount(codes, weights=is_head, minlength=households).astype(int)
        if n
        else np.zeros(0, int)
    )
    positions = np.arange(n)
    first_row = np.full(households, n, dtype=np.int64)
    np.minimum.at(first_row, codes, positions)
    head_row = np.full(households, n, dtype=np.int64)
    np.minimum.at(head_row, codes[is_head], positions[is_head])
    head_row = np.where(head_row < n, head_row, first_row)
    head_excel[:] = excel[head_row] if households else head_excel
    hid_of = hid.to_numpy(dtype=object)
    for g in np.flatnonzero(heads == 0):
        mask = np.zeros(n, dtype=bool)
        mask[first_row[g]] = True
        ck.flag(
            "relation",
            mask,
            f"户 {hid_of[first_row[g]]} 没有户主: 该户没有一行的与户主关系为户主 "
            f"(relation: household {hid_of[first_row[g]]} has no 户主)",
        )
    extra_heads = is_head & (positions != head_row[codes])
    for g in np.unique(codes[extra_heads]):
        ck.flag(
            "relation",
            extra_heads & (codes == g),
            f"户 {hid_of[head_row[g]]} 有不止一个户主: 第 {int(excel[head_row[g]])} 行已是户主 "
            f"(relation: a second 户主 in household {hid_of[head_row[g]]})",
        )

    # -- the household's fields: the same on every row of the household (blank agrees)
    household_fields = [
        ident for ident in table.fields.values() if ident not in OWN_FIELDS and ident != "month"
    ]
    collapsed = frame.iloc[head_row].reset_index(drop=True).copy()
    order = np.lexsort((positions, ~is_head, codes))  # per household: head first, then file order
    ordered_codes = codes[order]
    for ident in household_fields:
        column = table.column_of(ident)
        raw = ck.raw(ident)
        value_codes, uniques = pd.factorize(clean(raw))  # equal text, equal code
        empty = np.flatnonzero(np.asarray(uniques, dtype=object) == "")
        filled = value_codes != (empty[0] if len(empty) else -2)
        # the first filled row of each household, head first
        kept = filled[order]
        pick, picked_codes = order[kept], ordered_codes[kept]
        first = np.ones(len(pick), dtype=bool)
        first[1:] = picked_codes[1:] != picked_codes[:-1]
        ref_row = np.full(households, -1, dtype=np.int64)
        ref_row[picked_codes[first]] = pick[first]
        ref_of = ref_row[codes]
        has_ref = ref_of >= 0
        disagree = filled & has_ref & (value_codes != value_codes[np.where(has_ref, ref_of, 0)])
        if disagree.any():
            shown = raw.to_numpy(dtype=object)
            for r in np.unique(ref_of[disagree]):
                ck.flag(
                    ident,
                    disagree & (ref_of == r),
                    f"同一户的各行{_label(ident)}不一致: 本户第 {int(excel[r])} 行为 {shown[r]} "
                    f"({ident}: the rows of household {hid_of[r]} disagree)",
                )
        values = raw.take(np.where(ref_row >= 0, ref_row, 0)).to_numpy(dtype=object)
        collapsed[column] = np.where(ref_row >= 0, values, "")

    # -- the household row: the head's name and ID, persons = member rows
    members_per = np.bincount(codes, minlength=households) if n else np.zeros(0, int)
    fields = dict(table.fields)
    name_column = table.column_of("member_name") or table.column_of("head_name")
    for header, ident in list(fields.items()):
        if ident in MEMBER_FIELDS or ident == "head_name":
            del fields[header]
    if table.column_of("member_name") and table.column_of("head_name"):
        collapsed = collapsed.drop(columns=[table.column_of("head_name")])
    fields[name_column] = "head_name"
    persons_column = table.column_of("persons")
    if persons_column:
        stated = pd.to_numeric(clean(ck.raw("persons")), errors="coerce").to_numpy()
        differs = ~np.isnan(stated) & (stated != members_per[codes])
        for g in np.unique(codes[differs]):
            mask = np.zeros(n, dtype=bool)
            mask[head_row[g]] = True
            ck.flag(
                "persons",
                mask,
                f"户 {hid_of[head_row[g]]} 的家庭人口数与成员行数 {int(members_per[g])} 不符, 按成员行计 "
                f"(persons: the household has {int(members_per[g])} member rows)",
                warning=True,
            )
    else:
        persons_column = "家庭人口数"
        fields[persons_column] = "persons"
    collapsed[persons_column] = members_per.astype(str)
    skill = text("labor_skill")
    if table.column_of("labor_skill") and not table.column_of("labor_count"):
        working = np.bincount(
            codes, weights=skill.isin(WORKING_SKILLS).to_numpy(), minlength=households
        )
        collapsed["劳动力人数"] = working.astype(int).astype(str)
        fields["劳动力人数"] = "labor_count"
    if table.column_of("employed") and not table.column_of("employed_count"):
        employed, bad = parse_yes_no(text("employed"))
        ck.flag("employed", bad, "是否务工应为 是/否 (employed: yes/no)")
        at_work = np.bincount(codes, weights=employed.to_numpy(dtype=bool), minlength=households)
        collapsed["务工就业人数"] = at_work.astype(int).astype(str)
        fields["务工就业人数"] = "employed_count"
    house_table = Table(
        file=table.file,
        sheet=table.sheet,
        frame=collapsed,
        fields={h: i for h, i in fields.items() if h in collapsed.columns},
        excel_rows=pd.Series(head_excel),
        number_cells={},
    )
    rows, house_ck = validate_households(
        house_table, month=month, grid_index=grid_index, site_codes=site_codes, store=store
    )

    # -- one verdict per household: bad when any of its rows is
    member_bad = ck.bad.copy()
    household_bad = house_ck.bad.copy()
    if n:
        household_bad |= np.bincount(codes, weights=member_bad, minlength=households) > 0
    seen = {_issue_key(i) for i in ck.errors + ck.warnings}
    ck.errors += [i for i in house_ck.errors if _issue_key(i) not in seen]
    ck.warnings += [i for i in house_ck.warnings if _issue_key(i) not in seen]
    ck.errors.sort(key=lambda i: i.row or 0)
    ck.warnings.sort(key=lambda i: i.row or 0)
    for g, reasons in house_ck.reasons.items():
        ck.reasons.setdefault(int(head_row[g]), []).extend(reasons)
    ck.bad = household_bad[codes] if n else member_bad
    for i in np.flatnonzero(ck.bad & ~member_bad):
        ck.reasons.setdefault(int(i), []).append(
            "同户其他行有错误 (another row of this household has an error)"
        )

    sex, birth = _sex_and_birth(ids, text("sex"), text("birth_date"))
    month_of = rows["month"].to_numpy(dtype=object)
    members = pd.DataFrame(
        {
            "month": month_of[codes] if n else [],
            "household_id": hid.to_numpy(dtype=object),
            "person_id": person.to_numpy(dtype=object),
            "name": member_name.to_numpy(dtype=object),
            "id_number": ids.where(ids != "", None).to_numpy(dtype=object),
            "id_flag": np.where(old15, "old15", None),
            "relation": relation.to_numpy(dtype=object),
            "is_head": is_head & (positions == head_row[codes]) if n else [],
            "sex": sex.to_numpy(dtype=object),
            "birth_date": birth.to_numpy(dtype=object),
            "labor_skill": _or_none(skill),
            "health": _or_none(text("health")),
            "schooling": _or_none(text("schooling")),
        }
    )
    return MemberRows(rows, household_bad, members[list(MEMBER_COLUMNS)], ck)


def _or_none(values: pd.Series) -> np.ndarray:
    arr = values.to_numpy(dtype=object)
    return np.where(arr == "", None, arr)
