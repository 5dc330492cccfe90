"""The demo county's parameters: where it lies and how large, how its borders are drawn, how its
households divide (communities, resettlement, monitoring) and how its files are named."""

from __future__ import annotations

import math

DEMO_NOTE = "演示数据：随机生成的示例县，姓名、证件号码、电话、收入均为虚构，不是真实信息"
COUNTY_CODE = "152223"
COUNTY_NAME = "扎赉特旗"
CITY_NAME = "兴安盟"  # the levels above the county (1522, 15)
PROVINCE_NAME = "内蒙古自治区"
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
