"""A demo county written as a county office's input files (演示数据, generated, not real).

The county is modelled on Jalaid Banner (扎赉特旗, 152223, Inner Mongolia): about 11,000 km2,
elongated north-west to south-east, 10 townships, 197 villages (村 / 嘎查) and 11 urban communities
(社区) split into 973 grids. ``generate_demo`` writes, in the formats of the data contract and with
its Chinese headers:

- a GeoPackage of grids (layer ``grids``, EPSG:4326);
- one UTF-8 (BOM) CSV of households per monthly snapshot, oldest first;
- a CSV of resettlement sites (易地扶贫搬迁安置点);
- a JSON summary of what was generated.

Everything is drawn from one ``numpy`` generator seeded by ``seed``: the same seed gives
byte-identical files. Names, ID numbers and telephone numbers are random: ID numbers carry a valid
GB 11643 check digit but belong to no one.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
import shapely.affinity
from shapely.geometry import MultiPoint, Polygon

from etl.headers import GRID_HEADERS, HOUSEHOLD_HEADERS, SITE_HEADERS
from geodata.model import (
    CATEGORIES,
    CATEGORY_LABELS,
    CAUSES,
    CHANNELS,
    ELIMINATION_MODES,
    HOUSEHOLD_TYPES,
    MEASURES,
    RISK_LABELS,
    RISK_LEVELS,
    check_month,
)

DEMO_NOTE = "演示数据：随机生成的示例县，姓名、证件号码、电话、收入均为虚构，不是真实信息"
COUNTY_CODE = "152223"
COUNTY_NAME = "扎赉特旗"
COUNTY_AREA_KM2 = 11_000.0
# centre of the outline (the real banner spans about 121.3-123.6 E, 46.0-47.4 N)
CENTER_LON, CENTER_LAT = 122.5, 46.7
KM_PER_DEG_LON = 111.320 * math.cos(math.radians(CENTER_LAT))
KM_PER_DEG_LAT = 111.134
SEAT_LON, SEAT_LAT = 122.90, 46.72  # 音德尔镇, the banner seat
SEAT_KM = ((SEAT_LON - CENTER_LON) * KM_PER_DEG_LON, (SEAT_LAT - CENTER_LAT) * KM_PER_DEG_LAT)
GRID_SIZE = 1e-8  # km: every overlay snaps to a 0.01 mm grid, so shared edges match exactly
GAP_KM = 1e-3  # gaps narrower than a metre left by snapping are closed by the coverage cleaner
# the warp that bends borders: (wavelength km, amplitude km) per wave, one wave per axis each;
# sum of 2*pi*amp/length per axis stays below 0.6, so the map x -> x + d(x) cannot fold
WARP_WAVES = ((45.0, 2.0), (14.0, 0.4), (5.0, 0.08))
WARP_SEGMENT_KM = 0.4
LLOYD_STEPS = 3
COMMUNITY_KM2 = 4.0  # area per urban community
COMMUNITY_SHARE = 0.13  # share of the households living in communities
N_SITES = 8
RELOCATED_SHARE = 1500 / 80_000
MONITORED_SHARE = 0.055
CATEGORY_SHARES = {"unstable": 0.40, "marginal": 0.45, "sudden": 0.15}
IDENTIFICATION_MONTHS = 24
FILE_PREFIX = f"demo_{COUNTY_CODE}"

TOWNSHIP_NAMES: tuple[str, ...] = (
    "音德尔镇",
    "新林镇",
    "好力保镇",
    "巴彦扎拉嘎乡",
    "努文木仁乡",
    "巴达尔胡镇",
    "胡尔勒镇",
    "宝力根花苏木",
    "阿拉达尔吐苏木",
    "阿尔本格勒镇",
)
EXTRA_TOWNSHIP_WORDS = (
    "永安",
    "兴隆",
    "太平",
    "东升",
    "富民",
    "新发",
    "长青",
    "和平",
    "宏伟",
    "保安",
)

# --- names: syllable lists for villages, communities, sites and people ----------------------
HAN_AUSPICIOUS = (
    "前进", "胜利", "新发", "永兴", "太平", "东升", "联合", "和平", "红旗", "长发", "富裕", "兴隆",
    "靠山", "双山", "团结", "友谊", "光明", "建设", "新立", "新华", "永安", "保安", "富民", "德胜",
    "复兴", "丰收", "向阳", "东风", "幸福", "民主", "立新", "长胜", "新民", "合发", "永丰", "金星",
)  # fmt: skip
HAN_NUMBERS = ("二", "三", "四", "五", "六", "七", "八", "九", "十")
HAN_NUMBER_CORES = ("家子", "间房", "棵树", "道沟", "井子", "里堡")
HAN_FAMILY_CORES = ("家窝堡", "家店", "家屯", "家围子", "家油坊")
HAN_PLACE_PREFIX = ("东", "西", "南", "北", "前", "后", "大", "小", "新")
HAN_PLACE_CORES = ("榆树", "柳条", "沟", "岗", "山", "泡子", "甸子", "营子", "林场", "河口")
MONGOL_PREFIX = (
    "巴彦", "乌兰", "查干", "哈拉", "塔本", "呼和", "希日", "额尔敦", "宝力", "阿拉坦", "敖包",
    "图门", "格日勒", "温都尔", "诺门", "沙日", "朝鲁", "伊和", "巴嘎", "阿木古",
)  # fmt: skip
MONGOL_SUFFIX = (
    "毛都", "塔拉", "高勒", "套海", "浩特", "乌苏", "哈达", "敖包", "花", "图", "吐", "召",
    "宝力格", "艾勒", "诺尔", "胡硕", "布拉格", "陶勒盖", "温都尔",
)  # fmt: skip
COMMUNITY_WORDS = (
    "育才", "团结", "光明", "繁荣", "民主", "文化", "兴安", "新华", "朝阳", "和平", "建设", "福利",
    "铁西", "城南", "北山", "阳光", "金桥", "绰尔", "永安", "振兴", "东城", "西苑", "河畔", "惠民",
)  # fmt: skip
SITE_WORDS = (
    "幸福小区", "和谐家园", "阳光小区", "康居小区", "安居苑", "富民小区", "振兴家园", "同心小区",
    "兴隆小区", "民生家园", "宜居小区", "安康家园",
)  # fmt: skip
SURNAMES = (
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "孙", "马", "朱", "胡", "郭", "何",
    "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "于", "董",
    "包", "白", "鲍", "佟", "关", "付", "姜", "崔",
)  # fmt: skip
SURNAME_WEIGHTS = np.array(
    [12, 12, 11, 9, 6, 6, 5, 4, 4, 4, 4, 3, 3, 3, 3, 3] + [2] * 24, dtype=float
)
MALE_GIVEN = (
    "伟", "强", "军", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "鹏", "华", "飞", "国庆",
    "建国", "志刚", "海涛", "振华", "玉祥", "春生", "宝山", "长林", "德胜", "永福", "金龙",
    "树林", "铁柱", "文博", "宏伟",
)  # fmt: skip
FEMALE_GIVEN = (
    "芳", "娜", "敏", "静", "丽", "艳", "霞", "玲", "燕", "红", "桂兰", "秀英", "玉梅", "淑珍",
    "凤芝", "春梅", "丽娟", "海燕", "秀云", "金花",
)  # fmt: skip
MONGOL_MALE = (
    "巴特尔", "乌力吉", "宝音", "那顺", "额尔敦", "朝鲁", "哈斯", "苏德", "图门", "孟和",
    "毕力格", "巴雅尔", "德力格尔", "阿拉坦仓", "白音仓", "吉日嘎拉",
)  # fmt: skip
MONGOL_FEMALE = (
    "其其格",
    "斯琴",
    "萨仁",
    "高娃",
    "乌云",
    "托雅",
    "娜仁花",
    "琪琪格",
    "塔娜",
    "格日乐",
)
PHONE_PREFIXES = (
    "133",
    "135",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "158",
    "159",
    "186",
    "187",
    "189",
)

CAUSE_WEIGHTS: dict[str, tuple[float, ...]] = {
    # 因病 因残 因学 因灾 因意外 因务工 因产业 缺劳力 住房 饮水 刚性支出 其他
    "unstable": (0.30, 0.14, 0.08, 0.06, 0.04, 0.11, 0.07, 0.10, 0.02, 0.01, 0.05, 0.02),
    "marginal": (0.32, 0.10, 0.10, 0.07, 0.05, 0.11, 0.08, 0.06, 0.02, 0.01, 0.06, 0.02),
    "sudden": (0.36, 0.05, 0.03, 0.22, 0.22, 0.03, 0.03, 0.01, 0.01, 0.00, 0.03, 0.01),
}
CAUSE_MEASURES: dict[str, tuple[str, ...]] = {
    "因病": ("医疗救助", "防贫保险", "临时救助"),
    "因残": ("低保", "公益性岗位", "社会帮扶"),
    "因学": ("教育帮扶", "社会帮扶"),
    "因灾": ("临时救助", "产业帮扶", "防贫保险"),
    "因意外事故": ("临时救助", "医疗救助", "防贫保险"),
    "因务工就业不稳": ("就业帮扶", "公益性岗位", "帮扶车间"),
    "因产业项目失败": ("产业帮扶", "小额信贷"),
    "缺劳动力": ("低保", "特困供养", "公益性岗位"),
    "住房安全": ("社会帮扶", "临时救助"),
    "饮水安全": ("社会帮扶",),
    "刚性支出较大": ("临时救助", "低保"),
    "其他": ("社会帮扶", "产业帮扶"),
}
CHANNEL_WEIGHTS: dict[str, tuple[float, ...]] = {
    # 农户自主申报 干部走访排查 部门筛查预警 舆情信访研判 其他
    "unstable": (0.32, 0.48, 0.15, 0.02, 0.03),
    "marginal": (0.36, 0.45, 0.14, 0.02, 0.03),
    "sudden": (0.26, 0.34, 0.35, 0.03, 0.02),
}
PERSON_WEIGHTS = np.array([0.13, 0.26, 0.25, 0.19, 0.10, 0.045, 0.025])


@dataclass
class DemoFiles:
    directory: Path
    grids: Path
    households: list[tuple[str, Path]]
    sites: Path
    summary: dict = field(default_factory=dict)
    warnings: Path | None = None


# 部门预警: (department, signal, share of signals, amount range in yuan or None)
WARNING_KINDS = (
    ("医保", "大额医疗支出", 0.34, (12_000, 160_000)),
    ("民政", "收入骤减", 0.16, None),
    ("残联", "新增残疾", 0.10, None),
    ("教育", "教育支出", 0.10, (3_000, 25_000)),
    ("住建", "住房安全", 0.08, None),
    ("人社", "失业", 0.10, None),
    ("应急", "自然灾害", 0.10, (2_000, 40_000)),
    ("乡村振兴", "其他", 0.02, None),
)


def _write_warnings(
    seed: int, month_ordinals: list[int], household_id: np.ndarray, id_number: np.ndarray,
    monitored: np.ndarray, path: Path,
) -> int:
    """About 0.4 % of households a month get a department signal; 40 % of the signals concern
    monitored households. Half name the household number, half only the head's ID number.
    A generator of its own, so that the other files do not change with it."""
    rng = np.random.default_rng([seed, 7])
    n = len(household_id)
    others = np.setdiff1d(np.arange(n), monitored)
    ids = pd.Series(id_number, dtype=object)
    ambiguous = ((ids == "") | ids.isna() | ids.duplicated(keep=False)).to_numpy()
    shares = np.array([k[2] for k in WARNING_KINDS])
    frames = []
    for mo in month_ordinals:
        k = max(1, int(rng.poisson(n * 0.004)))
        on_monitored = rng.random(k) < 0.4
        who = np.where(
            on_monitored,
            rng.choice(monitored, k) if len(monitored) else rng.choice(others, k),
            rng.choice(others, k) if len(others) else rng.choice(monitored, k),
        )
        kind = rng.choice(len(WARNING_KINDS), k, p=shares / shares.sum())
        by_number = rng.random(k) < 0.5
        by_number |= ambiguous[who]  # a head's ID that is blank or not unique: the number, then
        amount = np.full(k, "", dtype=object)
        for j, (_, _, _, span) in enumerate(WARNING_KINDS):
            rows = np.flatnonzero(kind == j)
            if span and len(rows):
                amount[rows] = np.round(rng.uniform(*span, len(rows)), -2).astype(int).astype(str)
        frames.append(
            pd.DataFrame(
                {
                    "证件号码": np.where(by_number, "", id_number[who]),
                    "户编号": np.where(by_number, household_id[who], ""),
                    "来源部门": [WARNING_KINDS[j][0] for j in kind],
                    "预警类型": [WARNING_KINDS[j][1] for j in kind],
                    "金额": amount,
                    "发生日期": _date_text(np.full(k, mo), rng.integers(1, 29, k)),
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    key = frame["户编号"].where(frame["户编号"] != "", frame["证件号码"])
    frame = frame[~pd.DataFrame({"k": key, "d": frame["来源部门"], "s": frame["预警类型"], "t": frame["发生日期"]}).duplicated()]
    frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return len(frame)


@dataclass
class Geography:
    """The demo county's units in WGS 84; village and township outlines as clipped (for checks)."""

    county: Polygon
    townships: gpd.GeoDataFrame  # township_code, township_name, seat_lon, seat_lat, geometry
    villages: (
        gpd.GeoDataFrame
    )  # village_code, village_name, village_kind, township_code, weight, seat, geometry
    grids: gpd.GeoDataFrame  # the grid layer's identifiers, village_index, weight, geometry
    sites: pd.DataFrame  # site_code, site_name, township_code, village_code, lon, lat


# --- geometry helpers (kilometres around the centre) -----------------------------------------


def _to_lonlat(geoms):
    def f(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [CENTER_LON + xy[:, 0] / KM_PER_DEG_LON, CENTER_LAT + xy[:, 1] / KM_PER_DEG_LAT]
        )

    return shapely.transform(geoms, f)


def _km_to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return CENTER_LON + np.asarray(x) / KM_PER_DEG_LON, CENTER_LAT + np.asarray(y) / KM_PER_DEG_LAT


def _blob(
    rng: np.random.Generator,
    cx: float,
    cy: float,
    a: float,
    b: float,
    angle: float,
    harmonics: int,
    amp: float,
    jitter: float = 0.0,
    n: int = 720,
) -> Polygon:
    """A star-shaped outline: an ellipse whose radius carries a few random harmonics."""
    theta = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    t = theta - angle
    r = a * b / np.sqrt((b * np.cos(t)) ** 2 + (a * np.sin(t)) ** 2)
    log_r = np.zeros(n)
    for k in range(2, harmonics + 1):
        log_r += (
            rng.uniform(0.4, 1.0)
            * amp
            / (k - 1) ** 0.8
            * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
        )
    if jitter:
        for k in range(harmonics + 1, 48):
            log_r += (
                rng.normal(0.0, jitter)
                / math.sqrt(k / 10)
                * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
            )
    r = r * np.exp(log_r)
    return Polygon(np.column_stack([cx + r * np.cos(theta), cy + r * np.sin(theta)]))


def _county_outline(rng: np.random.Generator) -> Polygon:
    angle = math.radians(-35.0)  # major axis from the north-west to the south-east
    poly = _blob(rng, 0.0, 0.0, 2.2, 1.0, angle, harmonics=6, amp=0.12, jitter=0.006)
    scale = math.sqrt(COUNTY_AREA_KM2 / poly.area)
    poly = shapely.affinity.scale(poly, scale, scale, origin=(0.0, 0.0))
    return shapely.set_precision(poly, GRID_SIZE)


def _points_in(rng: np.random.Generator, poly, n: int) -> np.ndarray:
    minx, miny, maxx, maxy = poly.bounds
    found: list[np.ndarray] = []
    count = 0
    while count < n:
        m = max(16, 2 * (n - count))
        xy = np.column_stack([rng.uniform(minx, maxx, m), rng.uniform(miny, maxy, m)])
        xy = xy[shapely.contains_xy(poly, xy[:, 0], xy[:, 1])]
        found.append(xy)
        count += len(xy)
    return np.concatenate(found)[:n]


def _cells(parent, pts: np.ndarray) -> np.ndarray:
    vor = shapely.voronoi_polygons(MultiPoint(pts), extend_to=parent, ordered=True)
    cells = shapely.get_parts(vor)
    if len(cells) != len(pts):
        raise RuntimeError("Voronoi diagram lost a cell")
    return shapely.intersection(cells, parent, grid_size=GRID_SIZE)


def _single_polygons(cells: np.ndarray) -> list[Polygon]:
    """Each cell as one polygon: stray parts of a clipped cell go to the neighbour they share most with."""
    result: list[Polygon] = []
    orphans: list[Polygon] = []
    for cell in cells:
        parts = [p for p in shapely.get_parts(cell) if isinstance(p, Polygon) and p.area > 0]
        parts.sort(key=lambda p: -p.area)
        if not parts:
            raise RuntimeError("a cell came out empty")
        result.append(parts[0])
        orphans.extend(parts[1:])
    while orphans:  # a stray part may touch only another stray part: merge those that touch first
        left: list[Polygon] = []
        for orphan in orphans:
            near = shapely.buffer(np.asarray(result, dtype=object), 10 * GRID_SIZE)
            shared = shapely.length(shapely.intersection(orphan.boundary, near))
            j = int(np.argmax(shared))
            if shared[j] <= 0:
                left.append(orphan)
                continue
            merged = shapely.union(result[j], orphan, grid_size=GRID_SIZE)
            if not isinstance(merged, Polygon):  # not quite touching after snapping: close the seam
                merged = shapely.buffer(shapely.buffer(merged, 10 * GRID_SIZE), -10 * GRID_SIZE)
                merged = shapely.set_precision(merged, GRID_SIZE)
            if not isinstance(merged, Polygon):
                raise RuntimeError("merging a stray part did not give one polygon")
            result[j] = merged
        if len(left) == len(orphans):
            raise RuntimeError("a stray part of a cell touches no other cell")
        orphans = left
    return result


def _partition(
    rng: np.random.Generator,
    parent,
    n: int,
    steps: int = LLOYD_STEPS,
    fixed: np.ndarray | None = None,
) -> list[Polygon]:
    """``parent`` split into ``n`` Voronoi cells, relaxed by a few Lloyd steps, clipped exactly.

    ``fixed`` seeds (inside ``parent``) come first and stay where they are.
    """
    if n == 1:
        return [parent]
    k = 0 if fixed is None else len(fixed)
    pts = _points_in(rng, parent, n - k) if n > k else np.empty((0, 2))
    if k:
        pts = np.concatenate([np.asarray(fixed, dtype=float).reshape(k, 2), pts])[:n]
    for _ in range(steps):
        cells = _cells(parent, pts)
        cen = shapely.centroid(cells)
        pos = shapely.point_on_surface(cells)
        inside = shapely.contains(parent, cen)
        moved = shapely.get_coordinates(np.where(inside, cen, pos))
        pts = np.concatenate([pts[:k], moved[k:]])
    return _single_polygons(_cells(parent, pts))


def _largest_remainder(weights: np.ndarray, total: int, minimum: int) -> np.ndarray:
    n = len(weights)
    base = np.full(n, minimum, dtype=np.int64)
    rest = total - base.sum()
    if rest < 0:
        raise ValueError("too few to give each its minimum")
    share = weights / weights.sum() * rest
    add = np.floor(share).astype(np.int64)
    left = rest - add.sum()
    order = np.argsort(-(share - add), kind="stable")
    add[order[:left]] += 1
    return base + add


def _make_warp(rng: np.random.Generator):
    """A smooth displacement field, a contraction (Lipschitz < 1): bends straight Voronoi edges
    into plausible borders while every shared edge stays shared and nothing folds over."""
    waves = []
    for length, amp in WARP_WAVES:
        for comp in (0, 1):
            a = rng.uniform(0, np.pi)
            waves.append(
                (
                    comp,
                    2 * np.pi / length * np.array([np.cos(a), np.sin(a)]),
                    amp,
                    rng.uniform(0, 2 * np.pi),
                )
            )

    def warp(xy: np.ndarray) -> np.ndarray:
        xy = np.asarray(xy, dtype=float)
        out = xy.copy()
        for comp, k, amp, phase in waves:
            out[:, comp] += amp * np.sin(xy @ k + phase)
        return out

    return warp


def _finish_coverage(polys: list[Polygon], warp) -> tuple[np.ndarray, object]:
    """Densify, clean into an exact coverage (shared edges vertex for vertex), warp, rescale.

    Returns the polygons and the point mapping used (warp then scale), for seats and sites. Should
    two edges lie so close that the densified warp crosses them, the warp is weakened until none do.
    """
    arr = shapely.segmentize(np.asarray(polys, dtype=object), WARP_SEGMENT_KM)
    arr = shapely.coverage_clean(arr, gap_width=GAP_KM)
    if not (shapely.get_type_id(arr) == shapely.GeometryType.POLYGON).all():
        raise RuntimeError("cleaning the grid coverage split a grid")
    for strength in (1.0, 0.5, 0.25, 0.0):

        def bend(xy: np.ndarray, strength: float = strength) -> np.ndarray:
            return xy + strength * (warp(xy) - xy)

        out = shapely.transform(arr, bend)
        if shapely.is_valid(out).all() and shapely.coverage_is_valid(out):
            break
    scale = math.sqrt(COUNTY_AREA_KM2 / float(shapely.area(out).sum()))
    out = shapely.transform(out, lambda xy: xy * scale)

    def place(xy: np.ndarray) -> np.ndarray:
        return bend(np.asarray(xy, dtype=float)) * scale

    return out, place


# --- names -------------------------------------------------------------------------------------


def _name_pools() -> tuple[list[str], list[str]]:
    han = [w + "村" for w in HAN_AUSPICIOUS]
    han += [n + c + "村" for n in HAN_NUMBERS for c in HAN_NUMBER_CORES]
    han += [s + c + "村" for s in SURNAMES[:30] for c in HAN_FAMILY_CORES]
    han += [p + c + "村" for p in HAN_PLACE_PREFIX for c in HAN_PLACE_CORES]
    mongol = [p + s + "嘎查" for p in MONGOL_PREFIX for s in MONGOL_SUFFIX if p[-1] != s[0]]
    return sorted(set(han)), sorted(set(mongol))


def _township_names(n: int) -> list[str]:
    names = list(TOWNSHIP_NAMES[:n])
    i = 0
    while len(names) < n:
        word = EXTRA_TOWNSHIP_WORDS[i % len(EXTRA_TOWNSHIP_WORDS)]
        suffix = "" if i < len(EXTRA_TOWNSHIP_WORDS) else str(i // len(EXTRA_TOWNSHIP_WORDS) + 1)
        names.append(f"{word}{suffix}镇")
        i += 1
    return names


def _person_names(
    rng: np.random.Generator, n: int, male: np.ndarray, mongol: np.ndarray
) -> np.ndarray:
    sw = SURNAME_WEIGHTS / SURNAME_WEIGHTS.sum()
    surname = np.asarray(SURNAMES)[rng.choice(len(SURNAMES), n, p=sw)]
    han = np.where(
        male,
        np.asarray(MALE_GIVEN)[rng.integers(0, len(MALE_GIVEN), n)],
        np.asarray(FEMALE_GIVEN)[rng.integers(0, len(FEMALE_GIVEN), n)],
    )
    mon = np.where(
        male,
        np.asarray(MONGOL_MALE)[rng.integers(0, len(MONGOL_MALE), n)],
        np.asarray(MONGOL_FEMALE)[rng.integers(0, len(MONGOL_FEMALE), n)],
    )
    mongol_surname = np.asarray(("包", "白", "鲍", "吴", "韩", ""))[rng.integers(0, 6, n)]
    han_name = np.char.add(surname, han)
    mon_name = np.char.add(mongol_surname, mon)
    return np.where(mongol, mon_name, han_name).astype(object)


def _phones(rng: np.random.Generator, n: int) -> np.ndarray:
    prefix = np.asarray(PHONE_PREFIXES)[rng.integers(0, len(PHONE_PREFIXES), n)]
    tail = np.char.zfill(rng.integers(0, 10_000, n).astype(str), 4)
    return np.char.add(np.char.add(prefix, "0000"), tail).astype(object)  # 1xx-0000-xxxx: not real


ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
ID_CHECK = np.asarray(list("10X98765432"))


def id_check_digits(bodies: np.ndarray) -> np.ndarray:
    """GB 11643 check characters for an array of 17-digit strings."""
    raw = np.asarray(bodies, dtype="U17")
    digits = raw.view("U1").reshape(len(raw), 17).astype(np.int64)
    return ID_CHECK[(digits @ ID_WEIGHTS) % 11]


def _id_numbers(rng: np.random.Generator, n: int, male: np.ndarray) -> np.ndarray:
    start = np.datetime64("1940-01-01")
    days = (np.datetime64("2000-12-31") - start).astype(int) + 1
    day = rng.integers(0, days, n)
    seq = rng.integers(0, 500, n)  # sequence 000-999: the last digit odd for men, even for women
    key = day * 500 + seq
    while True:
        _, first = np.unique(key, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        if not dup.any():
            break
        seq[dup] = rng.integers(0, 500, int(dup.sum()))
        key = day * 500 + seq
    order_code = seq * 2 + np.where(male, 1, 0)
    births = np.char.replace(np.datetime_as_string(start + day, unit="D"), "-", "")
    bodies = np.char.add(np.char.add(COUNTY_CODE, births), np.char.zfill(order_code.astype(str), 3))
    return np.char.add(bodies, id_check_digits(bodies)).astype(object)


# --- the geography -------------------------------------------------------------------------------


def build_geography(
    rng: np.random.Generator,
    *,
    grids: int = 973,
    villages: int = 197,
    communities: int = 11,
    townships: int = 10,
) -> Geography:
    """Townships, villages, communities and grids of the demo county, tiled with no gaps or overlaps."""
    county = _county_outline(rng)
    axis = np.array([math.cos(math.radians(-35.0)), math.sin(math.radians(-35.0))])  # towards SE
    half_length = max(abs(np.asarray(county.exterior.coords)[:, :2] @ axis))

    # townships: the seat is the one at the real 音德尔镇, the others from south-east to north-west
    t_cells = _partition(rng, county, townships, steps=2)
    cen = shapely.get_coordinates(shapely.centroid(np.asarray(t_cells, dtype=object)))
    seat_at = shapely.Point(SEAT_KM)
    seat_i = int(np.argmin(shapely.distance(np.asarray(t_cells, dtype=object), seat_at)))
    along = cen @ axis
    rest = [i for i in np.argsort(-along, kind="stable") if i != seat_i]
    t_order = [seat_i, *rest]
    t_cells = [t_cells[i] for i in t_order]
    along = along[t_order] / half_length  # -1 (north-west, forest) .. 1 (south-east, plains)
    t_names = _township_names(townships)
    t_codes = [f"{COUNTY_CODE}{100 + i:03d}" for i in range(townships)]
    t_area = np.array([c.area for c in t_cells])
    density = np.exp(0.6 * along)
    density[0] *= 1.3

    # communities: most in the banner seat, the rest one each in other towns (镇)
    comm_per_t = np.zeros(townships, dtype=np.int64)
    if communities:
        comm_per_t[0] = max(1, round(0.64 * communities)) if townships > 1 else communities
        towns = [i for i in range(1, townships) if t_names[i].endswith("镇")] or list(
            range(1, townships)
        )
        k = 0
        while comm_per_t.sum() < communities:
            comm_per_t[towns[k % len(towns)]] += 1
            k += 1
    v_per_t = _largest_remainder(t_area * density, villages, 1)

    han_pool, mongol_pool = _name_pools()
    han_pool = list(np.asarray(han_pool, dtype=object)[rng.permutation(len(han_pool))])
    mongol_pool = list(np.asarray(mongol_pool, dtype=object)[rng.permutation(len(mongol_pool))])
    comm_pool = list(
        np.asarray(COMMUNITY_WORDS, dtype=object)[rng.permutation(len(COMMUNITY_WORDS))]
    )
    used: set[str] = set()

    def take(pool: list[str], fallback: str) -> str:
        while pool:
            name = pool.pop()
            if name not in used:
                used.add(name)
                return name
        i = 1
        while f"{fallback}{i}" in used:
            i += 1
        used.add(f"{fallback}{i}")
        return f"{fallback}{i}"

    seats: list[tuple[float, float]] = []
    v_rows: list[dict] = []
    for ti, cell in enumerate(t_cells):
        circle = shapely.maximum_inscribed_circle(cell, tolerance=0.05)
        inscribed = shapely.Point(circle.coords[0])
        radius = circle.length
        if ti == 0:  # the banner seat where the real one is, unless too near the edge for its town
            need = 2.0 + 2.0 * math.sqrt(int(comm_per_t[0]) * COMMUNITY_KM2 / (2 * math.sqrt(3)))
            seat = inscribed
            for t in (1.0, 0.8, 0.6, 0.4, 0.2):
                p = shapely.Point(
                    inscribed.x + t * (seat_at.x - inscribed.x),
                    inscribed.y + t * (seat_at.y - inscribed.y),
                )
                if cell.contains(p) and cell.exterior.distance(p) >= min(need, 0.8 * radius):
                    seat = p
                    break
        else:
            offset = rng.uniform(0.0, 0.3 * radius, 2) * rng.choice([-1, 1], 2)
            seat = shapely.Point(inscribed.x + offset[0], inscribed.y + offset[1])
            if not cell.contains(seat):
                seat = inscribed
        seats.append((seat.x, seat.y))
        units: list[tuple[Polygon, str]] = []
        c = int(comm_per_t[ti])
        if (
            c
        ):  # the town around the seat is one cell of the township's diagram, split into communities
            # a ring of suburban villages, held in place, keeps the town to about c * COMMUNITY_KM2
            r = math.sqrt(c * COMMUNITY_KM2 / (2 * math.sqrt(3)))
            m = int(min(6, v_per_t[ti]))
            turn = rng.uniform(0, 2 * np.pi) + 2 * np.pi * np.arange(m) / m
            ring = np.column_stack([seat.x + 2 * r * np.cos(turn), seat.y + 2 * r * np.sin(turn)])
            ring = ring[shapely.contains_xy(cell, ring[:, 0], ring[:, 1])]
            fixed = np.concatenate([[[seat.x, seat.y]], ring])
            cells = _partition(rng, cell, int(v_per_t[ti]) + 1, fixed=fixed)
            town, village_cells = cells[0], cells[1:]
            units += [(p, "社区") for p in _partition(rng, town, c)]
        else:
            village_cells = _partition(rng, cell, int(v_per_t[ti]))
        mongolness = (
            0.85 if t_names[ti].endswith("苏木") else 0.45 if t_names[ti].endswith("乡") else 0.2
        )
        kinds = np.where(rng.random(len(village_cells)) < mongolness, "嘎查", "村")
        units += [(p, str(k)) for p, k in zip(village_cells, kinds, strict=True)]
        # numbering: communities 001.., villages 201.. (GB statistical codes), nearest the seat first
        dist = np.array([p.distance(seat) + 0.001 * p.centroid.distance(seat) for p, _ in units])
        order = np.lexsort((dist, [0 if k == "社区" else 1 for _, k in units]))
        n_comm = n_vill = 0
        for i in order:
            poly, kind = units[i]
            if kind == "社区":
                n_comm += 1
                number = n_comm
                name = take(comm_pool, "城关") + "社区"
            else:
                n_vill += 1
                number = 200 + n_vill
                name = take(
                    han_pool if kind == "村" else mongol_pool, "新建" if kind == "村" else "新艾勒"
                )
                if not name.endswith(("村", "嘎查")):
                    name += "村" if kind == "村" else "嘎查"
            v_rows.append(
                {
                    "village_code": f"{t_codes[ti]}{number:03d}",
                    "village_name": name,
                    "village_kind": kind,
                    "township_index": ti,
                    "seat": bool(poly.intersects(seat)),
                    "geometry": poly,
                }
            )
    villages_df = (
        pd.DataFrame(v_rows).sort_values("village_code", kind="stable").reset_index(drop=True)
    )

    # households per village: plains denser than forest, the seat village bigger, communities dense
    v_area = np.array([g.area for g in villages_df["geometry"]])
    ti_arr = villages_df["township_index"].to_numpy()
    is_comm = (villages_df["village_kind"] == "社区").to_numpy()
    weight = np.sqrt(v_area) * density[ti_arr] * rng.lognormal(0.0, 0.3, len(v_area))
    weight[villages_df["seat"].to_numpy() & ~is_comm] *= 2.0
    if is_comm.any():
        total_v = weight[~is_comm].sum()
        share = COMMUNITY_SHARE
        per = share / (1 - share) * total_v / is_comm.sum()
        boost = np.where(ti_arr == 0, 1.3, 0.6)
        weight[is_comm] = per * boost[is_comm] * rng.lognormal(0.0, 0.2, is_comm.sum())
        weight[is_comm] *= share / (1 - share) * total_v / weight[is_comm].sum()
    villages_df["weight"] = weight
    units_n = len(villages_df)
    minimum = min(2, grids // units_n)
    g_per_v = _largest_remainder(weight, grids, minimum)

    grid_polys: list[Polygon] = []
    grid_rows: list[dict] = []
    for vi, row in villages_df.iterrows():
        cells = _partition(rng, row["geometry"], int(g_per_v[vi]))
        reps = shapely.get_coordinates(shapely.point_on_surface(np.asarray(cells, dtype=object)))
        order = np.lexsort((reps[:, 0], -np.round(reps[:, 1], 1)))  # north to south, west to east
        gw = rng.lognormal(0.0, 0.2, len(cells))
        gw = gw / gw.sum() * row["weight"]
        for k, i in enumerate(order, start=1):
            grid_polys.append(cells[i])
            grid_rows.append(
                {
                    "grid_code": f"{row['village_code']}{k:03d}",
                    "grid_name": f"{row['village_name']}第{k}网格",
                    "village_index": vi,
                    "weight": gw[i],
                }
            )
    garr, place = _finish_coverage(grid_polys, _make_warp(rng))
    grid_polys = list(garr)
    g_vi = np.array([r["village_index"] for r in grid_rows])
    villages_df["geometry"] = [
        shapely.coverage_union_all(garr[g_vi == i]) for i in range(len(villages_df))
    ]
    varr = villages_df["geometry"].to_numpy()
    t_cells = [shapely.coverage_union_all(varr[ti_arr == t]) for t in range(townships)]
    county = shapely.coverage_union_all(garr)
    seats = [tuple(p) for p in place(np.asarray(seats))]

    t_names_arr = np.asarray(t_names, dtype=object)
    t_codes_arr = np.asarray(t_codes, dtype=object)
    grids_df = pd.DataFrame(grid_rows)
    vi = grids_df["village_index"].to_numpy()
    grids_df["village_code"] = villages_df["village_code"].to_numpy()[vi]
    grids_df["village_name"] = villages_df["village_name"].to_numpy()[vi]
    grids_df["village_kind"] = villages_df["village_kind"].to_numpy()[vi]
    grids_df["township_code"] = t_codes_arr[ti_arr[vi]]
    grids_df["township_name"] = t_names_arr[ti_arr[vi]]
    grids_df["county_code"] = COUNTY_CODE
    grids_df["county_name"] = COUNTY_NAME
    n = len(grids_df)
    mongol_v = grids_df["village_kind"].to_numpy() == "嘎查"
    grids_df["grid_worker"] = _person_names(
        rng, n, rng.random(n) < 0.55, mongol_v & (rng.random(n) < 0.5)
    )
    grids_df["worker_phone"] = _phones(rng, n)
    grid_gdf = gpd.GeoDataFrame(
        grids_df, geometry=_to_lonlat(np.asarray(grid_polys, dtype=object)), crs="EPSG:4326"
    )
    grid_gdf = grid_gdf.sort_values("grid_code", kind="stable").reset_index(drop=True)

    villages_df["township_code"] = t_codes_arr[ti_arr]
    village_gdf = gpd.GeoDataFrame(
        villages_df.drop(columns=["geometry"]),
        geometry=_to_lonlat(villages_df["geometry"].to_numpy()),
        crs="EPSG:4326",
    )
    seat_lon, seat_lat = _km_to_lonlat(
        np.array([s[0] for s in seats]), np.array([s[1] for s in seats])
    )
    township_gdf = gpd.GeoDataFrame(
        {
            "township_code": t_codes,
            "township_name": t_names,
            "seat_lon": seat_lon,
            "seat_lat": seat_lat,
        },
        geometry=_to_lonlat(np.asarray(t_cells, dtype=object)),
        crs="EPSG:4326",
    )

    # resettlement sites: in the seat's communities first, then the seat villages of other townships
    hosts: list[int] = []
    seat_town = villages_df.index[is_comm & (ti_arr == 0)].tolist()
    hosts += seat_town[: max(1, math.ceil(N_SITES * 0.35))] if seat_town else []
    for ti in range(townships):
        cand = villages_df.index[(ti_arr == ti) & villages_df["seat"].to_numpy()].tolist()
        cand = [c for c in cand if c not in hosts]
        if cand and ti != 0:
            hosts.append(cand[0])
    hosts += [i for i in villages_df.index[is_comm] if i not in hosts]
    hosts = hosts or [int(np.argmax(weight))]
    hosts = [hosts[i % len(hosts)] for i in range(N_SITES)]
    words = list(np.asarray(SITE_WORDS, dtype=object)[rng.permutation(len(SITE_WORDS))])
    site_rows = []
    for k, host in enumerate(hosts, start=1):
        poly = villages_df.at[host, "geometry"]
        ti = int(ti_arr[host])
        centre = (
            shapely.Point(seats[ti])
            if poly.contains(shapely.Point(seats[ti]))
            else poly.point_on_surface()
        )
        near = shapely.intersection(poly, centre.buffer(1.0))
        pt = _points_in(rng, near if not near.is_empty else poly, 1)[0]
        lon, lat = _km_to_lonlat(pt[0], pt[1])
        site_rows.append(
            {
                "site_code": f"AZD{COUNTY_CODE}{k:03d}",
                "site_name": f"{t_names[ti]}{words[(k - 1) % len(words)]}安置点",
                "township_code": t_codes[ti],
                "village_code": villages_df.at[host, "village_code"],
                "lon": round(float(lon), 6),
                "lat": round(float(lat), 6),
            }
        )
    sites_df = pd.DataFrame(site_rows)
    county_ll = _to_lonlat(county)
    return Geography(county_ll, township_gdf, village_gdf, grid_gdf, sites_df)


# --- households ------------------------------------------------------------------------------------


def _month_ordinal(month: str) -> int:
    check_month(month)
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def _month_text(ordinal: int | np.ndarray) -> np.ndarray:
    o = np.asarray(ordinal)
    year = (o // 12).astype(str)
    mon = np.char.zfill((o % 12 + 1).astype(str), 2)
    return np.char.add(np.char.add(year, "-"), mon)


def _date_text(ordinal: np.ndarray, day: np.ndarray) -> np.ndarray:
    return np.char.add(np.char.add(_month_text(ordinal), "-"), np.char.zfill(day.astype(str), 2))


def _gumbel_pick(rng: np.random.Generator, weights: np.ndarray, k: np.ndarray) -> list[list[int]]:
    """Per row, ``k[i]`` distinct indices drawn by weight (Gumbel top-k), the likeliest first."""
    with np.errstate(divide="ignore"):
        logw = np.log(weights)
    keys = logw + rng.gumbel(size=weights.shape)
    order = np.argsort(-keys, axis=1, kind="stable")
    return [list(order[i, : k[i]]) for i in range(len(k))]


def _points_in_grids(
    rng: np.random.Generator, polys: np.ndarray, grid_of: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A point per household inside its grid, clustered around the grid's settlement."""
    x = np.zeros(len(grid_of))
    y = np.zeros(len(grid_of))
    starts = np.searchsorted(grid_of, np.arange(len(polys) + 1))
    centres = shapely.get_coordinates(shapely.point_on_surface(polys))
    for g, poly in enumerate(polys):
        a, b = starts[g], starts[g + 1]
        need = b - a
        if need == 0:
            continue
        minx, miny, maxx, maxy = poly.bounds
        sigma = 0.25 * min(maxx - minx, maxy - miny)
        got = np.empty((0, 2))
        for attempt in range(20):
            m = 2 * (need - len(got)) + 8
            if attempt < 10:
                xy = centres[g] + rng.normal(0.0, sigma, (m, 2))
            else:
                xy = np.column_stack([rng.uniform(minx, maxx, m), rng.uniform(miny, maxy, m)])
            xy = xy[shapely.contains_xy(poly, xy[:, 0], xy[:, 1])]
            got = np.concatenate([got, xy])
            if len(got) >= need:
                break
        if len(got) < need:  # a very thin grid: its settlement point for the rest
            got = np.concatenate([got, np.repeat(centres[g][None, :], need - len(got), axis=0)])
        x[a:b], y[a:b] = got[:need, 0], got[:need, 1]
    return x, y


def generate_demo(
    out_dir: Path,
    *,
    seed: int = 2026,
    months: int = 12,
    end_month: str = "2026-10",
    households: int = 80_000,
    grids: int = 973,
    villages: int = 197,
    communities: int = 11,
    townships: int = 10,
    monitoring_line: float = 7100.0,
    observation_line: float = 8122.0,
) -> DemoFiles:
    """Write the demo county's grids, monthly household snapshots and sites into ``out_dir``."""
    end = _month_ordinal(end_month)
    if months < 1:
        raise ValueError("months must be at least 1")
    if townships < 1 or villages < townships or communities < 0:
        raise ValueError("need townships >= 1, villages >= townships, communities >= 0")
    if grids < villages + communities:
        raise ValueError("need at least one grid per village and community")
    if households < grids:
        raise ValueError("need at least one household per grid")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    geo = build_geography(
        rng, grids=grids, villages=villages, communities=communities, townships=townships
    )
    g = geo.grids
    vill = geo.villages.set_index("village_code")
    G, N = len(g), households

    # --- who lives where -----------------------------------------------------------------------
    gw = g["weight"].to_numpy()
    per_grid = rng.multinomial(N - G, gw / gw.sum()) + 1  # every grid has a household
    grid_of = np.repeat(np.arange(G), per_grid)
    vcode = g["village_code"].to_numpy().astype(str)[grid_of]
    kind = g["village_kind"].to_numpy().astype(str)[grid_of]
    first = np.r_[0, np.flatnonzero(vcode[1:] != vcode[:-1]) + 1]
    starts = np.repeat(first, np.diff(np.r_[first, N]))
    seq = np.arange(N) - starts + 1
    household_id = np.char.add(vcode, np.char.zfill(seq.astype(str), 5)).astype(object)
    persons = rng.choice(np.arange(1, 8), N, p=PERSON_WEIGHTS / PERSON_WEIGHTS.sum())
    male = rng.random(N) < 0.82
    mongol = rng.random(N) < np.where(kind == "嘎查", 0.6, 0.15)
    head_name = _person_names(rng, N, male, mongol)
    id_number = _id_numbers(rng, N, male)
    is_comm = kind == "社区"
    lifted = rng.random(N) < np.where(is_comm, 0.14, 0.38)

    # --- relocation to resettlement sites -------------------------------------------------------
    sites = geo.sites.copy()
    n_reloc = max(5 * len(sites), round(N * RELOCATED_SHARE))
    quota = _largest_remainder(rng.uniform(0.6, 1.4, len(sites)), n_reloc, 1)
    site_of = np.full(N, -1, dtype=np.int64)
    cx = shapely.get_coordinates(shapely.point_on_surface(g.geometry.to_numpy()))
    for s, row in sites.iterrows():
        pool = np.flatnonzero((vcode == row["village_code"]) & (site_of < 0))
        gd = np.hypot(cx[grid_of[pool], 0] - row["lon"], (cx[grid_of[pool], 1] - row["lat"]) * 1.5)
        pick = pool[np.argsort(gd + rng.uniform(0, 0.01, len(pool)), kind="stable")]
        site_of[pick[: min(int(quota[s]), len(pool) * 6 // 10 + 1)]] = s
    relocated = site_of >= 0
    lifted[relocated] = rng.random(int(relocated.sum())) < 0.97

    # labour and employment: at most sites 90-97 % of the households with labour have someone at
    # work (a few sites reach 100 %); elsewhere about half the labour works away from the farm
    labor = np.minimum(np.minimum(rng.binomial(persons, 0.55), 4), persons)
    employed = rng.binomial(labor, 0.5)
    r_idx = np.flatnonzero(relocated)
    labor[r_idx] = np.minimum(np.minimum(rng.binomial(persons[r_idx], 0.6), 4), persons[r_idx])
    no_labor = labor[r_idx] == 0
    labor[r_idx[no_labor & (rng.random(len(r_idx)) < 0.9)]] = 1
    coverage = np.where(rng.random(len(sites)) < 0.25, 1.0, rng.uniform(0.90, 0.97, len(sites)))
    if (coverage >= 1.0).all():
        coverage[0] = rng.uniform(0.90, 0.97)
    for s in range(len(sites)):
        members = np.flatnonzero((site_of == s) & (labor > 0))
        employed[site_of == s] = 0
        if len(members) == 0:
            continue
        n_out = (
            min(len(members) - 1, round((1 - coverage[s]) * len(members))) if coverage[s] < 1 else 0
        )
        n_out = max(n_out, 1 if coverage[s] < 1 and len(members) > 1 else 0)
        idle = rng.choice(members, n_out, replace=False)
        working = np.setdiff1d(members, idle)
        employed[working] = rng.integers(1, labor[working] + 1)
    sites["households"] = np.bincount(site_of[relocated], minlength=len(sites))
    sites["persons"] = np.bincount(
        site_of[relocated], weights=persons[relocated], minlength=len(sites)
    ).astype(int)
    sites["workshops"] = np.maximum(
        1, np.round(sites["households"] / 80 + rng.integers(0, 2, len(sites)))
    ).astype(int)
    sites["public_jobs"] = np.round(
        sites["households"] * rng.uniform(0.06, 0.14, len(sites))
    ).astype(int)

    # --- incomes ---------------------------------------------------------------------------------
    f = np.where(lifted, 0.85, 1.0) * np.where(is_comm, 1.15, 1.0)
    base = 8800 + rng.lognormal(np.log(7500 * f), 0.55)
    few = rng.random(N) < 0.006
    base[few] = rng.uniform(0.75 * monitoring_line, 1.05 * observation_line, int(few.sum()))

    # --- monitored households: three categories, identified over the last 24 months ------------
    v_risk = dict(zip(vill.index, rng.lognormal(0.0, 0.5, len(vill)), strict=True))
    local = np.array([v_risk[v] for v in g["village_code"]])[grid_of]
    M = round(N * MONITORED_SHARE)
    n_cat = {
        "unstable": round(M * CATEGORY_SHARES["unstable"]),
        "sudden": round(M * CATEGORY_SHARES["sudden"]),
    }
    n_cat["marginal"] = M - n_cat["unstable"] - n_cat["sudden"]
    category = np.full(N, -1, dtype=np.int64)
    prone = local * np.exp(-(base - 8800) / 9000) * np.where(relocated, 1.5, 1.0)
    for ci, cat in ((0, "unstable"), (1, "marginal"), (2, "sudden")):
        if cat == "unstable":
            pool = np.flatnonzero(lifted & (category < 0))
        elif cat == "marginal":
            pool = np.flatnonzero(~lifted & (category < 0))
        else:
            pool = np.flatnonzero(category < 0)
        w = prone[pool] if cat != "sudden" else local[pool]
        take_n = min(n_cat[cat], len(pool))
        category[rng.choice(pool, take_n, replace=False, p=w / w.sum())] = ci
    mon = np.flatnonzero(category >= 0)
    mcat = category[mon]
    m = len(mon)
    month_w = np.linspace(2.0, 0.7, IDENTIFICATION_MONTHS)
    ident = (
        end
        - IDENTIFICATION_MONTHS
        + 1
        + rng.choice(IDENTIFICATION_MONTHS, m, p=month_w / month_w.sum())
    )
    ident_day = rng.integers(1, 29, m)
    delay_w = np.r_[np.linspace(0.6, 1.4, 6), np.linspace(1.3, 0.5, 6)]
    delay = rng.choice(np.arange(3, 15), m, p=delay_w / delay_w.sum())
    can_clear = rng.random(m) < np.select([mcat == 2, mcat == 0], [0.85, 0.74], 0.78)
    elim = np.where(can_clear & (ident + delay <= end), ident + delay, 10**9)
    elim_day = rng.integers(1, 29, m)
    mode = np.where(rng.random(m) < 0.86, ELIMINATION_MODES[0], ELIMINATION_MODES[1]).astype(object)
    y0 = np.where(mcat == 2, rng.normal(6600, 1700, m), rng.normal(7200, 1250, m))
    y0 = np.clip(y0, 4500, 11000)

    # risk level: lower income and sudden hardship rank higher; 50 % blue, 35 % yellow, 15 % red
    score = -(y0 - 7200) / 1300 + np.where(mcat == 2, 0.8, 0.0) + rng.normal(0, 0.8, m)
    rank = np.argsort(np.argsort(-score, kind="stable"), kind="stable") / max(m, 1)
    risk = np.where(
        rank < 0.15,
        RISK_LABELS["red"],
        np.where(rank < 0.50, RISK_LABELS["yellow"], RISK_LABELS["blue"]),
    )
    risk = risk.astype(object)
    risk[rng.random(m) < 0.02] = ""  # left for the loader's rule

    cat_keys = np.asarray(CATEGORIES)[mcat]
    cause_w = np.stack([CAUSE_WEIGHTS[c] for c in cat_keys]) if m else np.zeros((0, len(CAUSES)))
    n_causes = rng.choice([1, 2, 3], m, p=[0.55, 0.33, 0.12])
    cause_pick = _gumbel_pick(rng, cause_w + 1e-12 * (cause_w == 0), n_causes)
    causes_text = np.array(["、".join(CAUSES[i] for i in row) for row in cause_pick], dtype=object)
    measures_text = np.empty(m, dtype=object)
    n_meas = rng.choice([1, 2, 3], m, p=[0.35, 0.45, 0.20])
    extra = rng.integers(0, len(MEASURES), (m, 3))
    reloc_m = relocated[mon]
    for i in range(m):
        chosen: list[str] = []
        for ci in cause_pick[i]:
            options = CAUSE_MEASURES[CAUSES[ci]]
            pick = options[int(extra[i, 0]) % len(options)]
            if pick not in chosen:
                chosen.append(pick)
        if reloc_m[i] and "帮扶车间" not in chosen and "就业帮扶" not in chosen:
            chosen.append("帮扶车间" if extra[i, 1] % 2 else "就业帮扶")
        j = 1
        while len(chosen) < n_meas[i] and j < 3:
            pick = MEASURES[int(extra[i, j])]
            if pick not in chosen:
                chosen.append(pick)
            j += 1
        measures_text[i] = "、".join(chosen[:3])
    channel_w = (
        np.stack([CHANNEL_WEIGHTS[c] for c in cat_keys]) if m else np.zeros((0, len(CHANNELS)))
    )
    channel = np.asarray(CHANNELS, dtype=object)[
        (rng.random((m, 1)) > np.cumsum(channel_w, axis=1)).sum(axis=1).clip(0, len(CHANNELS) - 1)
    ]
    elim_target = np.maximum(y0 * 1.15, observation_line * rng.uniform(1.03, 1.3, m))
    pre_factor = rng.uniform(1.15, 1.6, m)

    ident_text = _date_text(ident, ident_day).astype(object)
    elim_text = np.where(elim < 10**9, _date_text(np.minimum(elim, end), elim_day), "").astype(
        object
    )
    cat_text = np.asarray([CATEGORY_LABELS[c] for c in CATEGORIES], dtype=object)[mcat]

    lon, lat = _points_in_grids(rng, np.asarray(_km_geoms(g.geometry)), grid_of)
    lon, lat = _km_to_lonlat(lon, lat)
    type_text = np.where(lifted, HOUSEHOLD_TYPES["lifted"], HOUSEHOLD_TYPES["general"]).astype(
        object
    )
    reloc_text = np.where(relocated, "是", "否").astype(object)
    site_text = np.where(
        relocated, sites["site_code"].to_numpy().astype(str)[site_of.clip(0)], ""
    ).astype(object)
    growth = rng.normal(0.004, 0.002, N)  # a little every month

    static = {
        "household_id": household_id,
        "head_name": head_name,
        "id_number": id_number,
        "grid_code": g["grid_code"].to_numpy()[grid_of],
        "persons": persons,
        "household_type": type_text,
    }
    tail = {
        "relocated": reloc_text,
        "site_code": site_text,
        "labor_count": labor,
        "employed_count": employed,
        "lon": np.round(lon, 6),
        "lat": np.round(lat, 6),
    }

    # --- files -----------------------------------------------------------------------------------
    grids_path = out_dir / f"{FILE_PREFIX}_grids.gpkg"
    sites_path = out_dir / f"{FILE_PREFIX}_sites.csv"
    summary_path = out_dir / f"{FILE_PREFIX}_summary.json"
    _write_grids(g, grids_path, end_month)
    site_cols = [
        "site_code",
        "site_name",
        "township_code",
        "lon",
        "lat",
        "households",
        "persons",
        "workshops",
        "public_jobs",
    ]
    site_frame = (
        sites[site_cols]
        .sort_values("site_code")
        .rename(columns={k: SITE_HEADERS[k][0] for k in site_cols})
    )
    site_frame.to_csv(sites_path, index=False, encoding="utf-8-sig", lineterminator="\n")

    month_list = [int(o) for o in range(end - months + 1, end + 1)]
    paths: list[tuple[str, Path]] = []
    for old in sorted(out_dir.glob(f"{FILE_PREFIX}_households_*.csv")):
        old.unlink()
    last: dict[str, np.ndarray] = {}
    for mi, mo in enumerate(month_list):
        month = str(_month_text(mo))
        age = mo - end  # <= 0
        income = base * (1 + growth * age) * (1 + rng.normal(0, 0.01, N))
        on = ident <= mo
        cleared = elim <= mo
        y = y0 * (1 + 0.004 * (mo - ident))
        y = np.where(on, y, y0 * pre_factor)
        y = np.where(cleared, elim_target * (1 + 0.01 * (mo - elim)), y)
        income[mon] = y * (1 + rng.normal(0, 0.01, m))
        income = np.round(np.maximum(income, 0), 2)

        def col(values: np.ndarray, when: np.ndarray) -> np.ndarray:
            out = np.full(N, "", dtype=object)
            out[mon[when]] = values[when]
            return out

        monthly = {
            "category": col(cat_text, on),
            "risk_level": col(risk, on),
            "risk_causes": col(causes_text, on),
            "income_per_capita": income,
            "identified_on": col(ident_text, on),
            "channel": col(channel, on),
            "eliminated": col(np.where(cleared, "是", "否").astype(object), on),
            "elimination_mode": col(mode, cleared),
            "eliminated_on": col(elim_text, cleared),
            "measures": col(measures_text, on),
        }
        data = {"month": np.full(N, month, dtype=object), **static, **monthly, **tail}
        frame = pd.DataFrame({HOUSEHOLD_HEADERS[k][0]: v for k, v in data.items()})
        path = out_dir / f"{FILE_PREFIX}_households_{month}.csv"
        frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
        paths.append((month, path))
        if mi == len(month_list) - 1:
            last = {"on": on, "cleared": cleared & on}

    warnings_path = out_dir / f"{FILE_PREFIX}_warnings.csv"
    warning_count = _write_warnings(seed, month_list, household_id, id_number, mon, warnings_path)

    on, cleared = last["on"], last["cleared"]
    mon_persons = persons[mon]
    summary = {
        "note": DEMO_NOTE,
        "county_code": COUNTY_CODE,
        "county_name": COUNTY_NAME,
        "demo": True,
        "seed": seed,
        "months": [m_ for m_, _ in paths],
        "monitoring_line": monitoring_line,
        "observation_line": observation_line,
        "townships": int(len(geo.townships)),
        "villages": int((geo.villages["village_kind"] != "社区").sum()),
        "communities": int((geo.villages["village_kind"] == "社区").sum()),
        "grids": int(G),
        "grid_workers": int(G),
        "households": int(N),
        "persons": int(persons.sum()),
        "lifted_households": int(lifted.sum()),
        "monitored_households": int(on.sum()),
        "monitored_persons": int(mon_persons[on].sum()),
        "eliminated_households": int(cleared.sum()),
        "eliminated_persons": int(mon_persons[cleared].sum()),
        "monitored_by_category": {
            c: int((on & (mcat == i)).sum()) for i, c in enumerate(CATEGORIES)
        },
        "monitored_by_risk": {
            lvl: int((on & (risk == RISK_LABELS[lvl])).sum()) for lvl in (*RISK_LEVELS, "none")
        }
        | {"computed": int((on & (risk == "")).sum())},
        "sites": int(len(sites)),
        "relocated_households": int(relocated.sum()),
        "relocated_persons": int(persons[relocated].sum()),
        "warnings": warning_count,
        "files": {
            "grids": grids_path.name,
            "sites": sites_path.name,
            "warnings": warnings_path.name,
            "households": [p.name for _, p in paths],
        },
    }
    summary["monitored_by_risk"].pop("none")
    summary_path.write_text(
        json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return DemoFiles(out_dir, grids_path, paths, sites_path, summary, warnings_path)


def _km_geoms(geoms: gpd.GeoSeries) -> list:
    """Grid polygons back in the kilometre frame, where household points are drawn."""

    def f(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [(xy[:, 0] - CENTER_LON) * KM_PER_DEG_LON, (xy[:, 1] - CENTER_LAT) * KM_PER_DEG_LAT]
        )

    return list(shapely.transform(geoms.to_numpy(), f))


def _write_grids(g: gpd.GeoDataFrame, path: Path, end_month: str) -> None:
    cols = [
        "grid_code", "grid_name", "village_code", "village_name", "village_kind", "township_code",
        "township_name", "county_code", "county_name", "grid_worker", "worker_phone",
    ]  # fmt: skip
    out = gpd.GeoDataFrame(
        {GRID_HEADERS[c][0]: g[c].astype(str).to_numpy() for c in cols},
        geometry=g.geometry.to_numpy(),
        crs="EPSG:4326",
    )
    if path.exists():
        path.unlink()
    # gpkg_contents.last_change is the current time unless GDAL is told otherwise: fix it
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": f"{end_month}-01T00:00:00.000Z"})
    try:
        out.to_file(
            path,
            layer="grids",
            driver="GPKG",
            engine="pyogrio",
            layer_options={"DESCRIPTION": f"{COUNTY_NAME}网格（{DEMO_NOTE}）"},
        )
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
