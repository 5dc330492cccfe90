"""Places by name: 县(市、区、旗), 乡(镇) and 行政村 names matched to the loaded units.

Names are compared after NFKC (full-width to half-width) with every space removed; a name that
matches no unit exactly is compared again without its level's usual suffix (好力保镇 / 好力保,
五家子村 / 五家子嘎查, 扎赉特旗 / 扎赉特). Each level is looked for inside the one above it when
that is given and found. A name that matches nothing, or several units, is an error that names
the closest known units (``difflib``).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

import pandas as pd

LEVEL_WORDS = {"county": "县(市、区、旗)", "township": "乡(镇)", "village": "行政村"}
SUFFIXES: dict[str, tuple[str, ...]] = {
    "county": ("自治县", "自治旗", "县", "旗", "市", "区"),
    "township": ("民族乡", "街道办事处", "办事处", "街道", "苏木", "镇", "乡"),
    "village": ("村民委员会", "居民委员会", "村委会", "居委会", "社区", "嘎查", "村"),
}
PARENT = {"township": "county", "village": "township"}


def name_key(name: object) -> str:
    """A name as compared: NFKC, no spaces of any kind."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(name or "")))


def name_stem(key: str, level: str) -> str:
    """``key`` without its level's usual suffix (the longest that leaves something)."""
    for suffix in sorted(SUFFIXES[level], key=len, reverse=True):
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


@dataclass
class Found:
    """What one name matched: the unit code, or why not (and the closest units)."""

    code: str | None
    reason: str | None = None
    closest: list[str] = field(default_factory=list)


class PlaceIndex:
    """The loaded counties, townships and villages, looked up by name within their parent."""

    def __init__(self, units: pd.DataFrame):
        self.units = units[units["level"].isin(["county", "township", "village"])].copy()
        self.units["key"] = self.units["name"].map(name_key)
        self.by_code = self.units.set_index("code")
        # exact names, looked up without scanning: (level, within level, within code, key)
        self.exact: dict[tuple[str, str | None, str | None, str], list[str]] = {}
        for row in self.units[["level", "code", "key", "county_code", "township_code"]].itertuples(index=False):
            for within in ((None, None), ("county", row.county_code), ("township", row.township_code)):
                self.exact.setdefault((row.level, *within, row.key), []).append(str(row.code))

    def _label(self, code: str) -> str:
        return f"{self.by_code.at[code, 'name']} ({code})"

    def find(self, level: str, name: str, within: tuple[str, str] | None) -> Found:
        """The unit of ``level`` called ``name``; ``within``: (level, code) it must lie in."""
        exact = self.exact.get((level, *(within or (None, None)), name_key(name)), [])
        if len(exact) == 1:  # the usual case: one unit of that very name
            return Found(exact[0])
        cands = self.units[self.units["level"] == level]
        if within is not None:
            cands = cands[cands[f"{within[0]}_code"] == within[1]]
        key = name_key(name)
        hits = cands[cands["key"] == key]
        if hits.empty:
            stem = name_stem(key, level)
            hits = cands[cands["key"].map(lambda k: name_stem(k, level)) == stem]
        word = LEVEL_WORDS[level]
        where = f"在{self.by_code.at[within[1], 'name']}中" if within else ""
        if len(hits) == 1:
            return Found(str(hits["code"].iloc[0]))
        if len(hits) > 1:
            labels = [self._label(c) for c in sorted(hits["code"])]
            return Found(
                None,
                f"{word}名称{where}匹配到多个单位: {'、'.join(labels)}; 请填写上级名称或编码 "
                f"({level}_name: matches several units)",
                labels,
            )
        keys = sorted(set(cands["key"]))
        close = difflib.get_close_matches(key, keys, n=3, cutoff=0.0)
        labels = [
            self._label(c) for k in close for c in sorted(cands.loc[cands["key"] == k, "code"])
        ][:3]
        hint = f"; 最接近的: {'、'.join(labels)}" if labels else "; 尚未加载该级单位"
        return Found(
            None,
            f"{word}名称{where}不存在{hint} ({level}_name: no such {level}; closest: "
            f"{', '.join(labels) or 'none loaded'})",
            labels,
        )

    def codes_of(self, village: str) -> tuple[str, str, str]:
        """(village, township, county) codes of a village."""
        row = self.by_code.loc[village]
        return village, str(row["township_code"]), str(row["county_code"])


def match_names(
    names: pd.DataFrame, index: PlaceIndex
) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """Village, township and county codes for rows of names (columns county_name,
    township_name, village_name; "" where blank), matched once per distinct triple.

    Returns the codes (None where not found) and, per name field, the reason of each row whose
    name failed ("" elsewhere). A row with no village name gets no codes and no reason here."""
    triples = names[["county_name", "township_name", "village_name"]].astype(str)
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(triples))
    found: list[tuple[str | None, ...]] = []
    reasons: list[tuple[str, str, str]] = []
    for county_name, township_name, village_name in uniques:
        why = {"county": "", "township": "", "village": ""}
        within: tuple[str, str] | None = None
        for level, name in (("county", county_name), ("township", township_name)):
            if name:
                hit = index.find(level, name, within)
                if hit.code:
                    within = (level, hit.code)
                else:
                    why[level] = hit.reason or ""
        result: tuple[str | None, ...] = (None, None, None)
        if village_name:
            hit = index.find("village", village_name, within)
            if hit.code and not why["county"] and not why["township"]:
                result = index.codes_of(hit.code)
            elif not hit.code:
                why["village"] = hit.reason or ""
        found.append(result)
        reasons.append((why["county"], why["township"], why["village"]))
    table = pd.DataFrame(found, columns=["village_code", "township_code", "county_code"])
    out = table.take(codes).reset_index(drop=True)
    out.index = names.index
    why_table = pd.DataFrame(reasons, columns=["county_name", "township_name", "village_name"])
    spread = why_table.take(codes).reset_index(drop=True)
    spread.index = names.index
    return out, {col: spread[col] for col in spread.columns}
