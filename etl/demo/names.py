"""Names in the demo county: townships, villages (村 / 嘎查), communities, sites and people, drawn
from lists of Han and Mongolian syllables."""

from __future__ import annotations

import numpy as np

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
