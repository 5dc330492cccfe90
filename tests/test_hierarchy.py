"""Levels above the county (issue 10, part 5): province (2-digit code) > city (4) > county (6),
derived from the county codes of the grid layer; figures that add up; accounts bound to a city."""

from __future__ import annotations

import pytest

from etl.households import load_households
from geodata.access import AccessDenied, Principal, ScopedStore
from geodata.model import level_of_code
from tests.factories import county_file, load_tiny_grids, other_county_grids, write_csv

COUNTS = ("households", "persons")
PARTS = ("monitored", "eliminated", "open")


def two_cities(store, tmp_path, **names):
    """County 152223 (city 1522) and county 150783 (city 1507) of province 15, with
    households in both; the month's figures."""
    first = list(load_tiny_grids(store)["grid_code"])
    other = other_county_grids(**names)
    with store.write() as conn:
        store.upsert_grids(conn, other)
    second = list(other["grid_code"])
    rows = county_file(20, 60, 5, 15, first, others=30)
    more = county_file(12, 40, 4, 10, second, others=20)
    for i, row in enumerate(more):  # other household numbers
        row["户编号"] = f"Z{i:07d}"
    path = write_csv(tmp_path / "h.csv", rows + more)
    result = load_households(store, path, month="2024-10")
    assert result.rows_rejected == 0
    return "2024-10"


def summed(rows):
    out = {k: sum(r[k] for r in rows) for k in COUNTS}
    for part in PARTS:
        out[part] = {k: sum(r[part][k] for r in rows) for k in COUNTS}
    return out


def picked(stats):
    return {**{k: stats[k] for k in COUNTS}, **{p: {k: stats[p][k] for k in COUNTS} for p in PARTS}}


def test_two_counties_of_two_cities_make_a_province_whose_figures_add_up(store, tmp_path):
    month = two_cities(store, tmp_path)
    province = store.unit("15")
    assert province is not None and province.level == "province" and province.parent_code is None
    assert [c.code for c in store.children("15")] == ["1507", "1522"]
    assert [c.code for c in store.children("1522")] == ["152223"]
    assert store.unit("152223").parent_code == "1522"
    assert store.unit("152223").city_code == "1522" and store.unit("152223").province_code == "15"
    grid = store.children(store.children(store.children("152223")[0].code)[0].code)[0]
    assert grid.city_code == "1522" and grid.province_code == "15"
    assert [u.code for u in store.lineage(grid.code)][:3] == ["15", "1522", "152223"]
    # the database is seen from the province: two cities below it
    assert store.default_unit() == province
    # figures add up: province = its cities = its counties
    cities = store.children_stats("15", month)
    assert [c["unit"]["code"] for c in cities] == ["1507", "1522"]
    whole = store.stats("15", month)
    assert picked(whole) == summed(cities)
    counties = [store.stats("152223", month), store.stats("150783", month)]
    assert picked(whole) == summed(counties)
    assert whole["households"] == 20 + 30 + 12 + 20 and whole["monitored"]["households"] == 32
    assert picked(store.stats("1507", month)) == picked(store.stats("150783", month))
    assert whole["grids"] == 12
    # the maps of the province and city levels
    cities_map = store.map_features("city", "15")
    assert sorted(f["id"] for f in cities_map["features"]) == ["1507", "1522"]
    assert [f["id"] for f in store.map_features("county", "1507")["features"]] == ["150783"]
    levels = store.level_stats("county", month, "15")
    assert list(levels["code"]) == ["150783", "152223"]
    # a city's households are those of its counties
    frame = store.households_frame(month, unit=store.unit("1507"))
    assert len(frame) == 32 and set(frame["county_code"]) == {"150783"}


def test_cities_and_provinces_are_named_by_the_layer_or_keep_their_codes(store, tmp_path):
    load_tiny_grids(store)
    assert store.unit("1522").name == "1522" and store.unit("15").name == "15"
    with store.write() as conn:
        store.upsert_grids(
            conn, other_county_grids(city_name="呼伦贝尔市", province_name="内蒙古自治区")
        )
    assert store.unit("1507").name == "呼伦贝尔市"
    assert store.unit("15").name == "内蒙古自治区"
    assert store.unit("1522").name == "1522"  # not named yet
    # a later load that names nothing keeps the names
    with store.write() as conn:
        store.upsert_grids(conn, other_county_grids())
    assert store.unit("1507").name == "呼伦贝尔市" and store.unit("15").name == "内蒙古自治区"
    # the province's outline covers both counties (the union of all its counties)
    outline = store.full_geometries("province").geometry.iloc[0]
    counties = store.full_geometries("county")
    assert all(outline.buffer(1e-9).covers(g) for g in counties.geometry)


def test_a_database_of_one_county_starts_at_the_county_as_before(store, tmp_path):
    load_tiny_grids(store)
    county = store.unit("152223")
    assert store.default_unit() == county
    admin = ScopedStore(store, Principal("a", "admin", None))
    grid = store.children(store.children(store.children("152223")[0].code)[0].code)[0]
    # breadcrumbs start at the county, as they did before there were levels above it
    assert [u.level for u in admin.lineage(grid.code)] == ["county", "township", "village", "grid"]
    assert admin.home() == county


def test_an_account_bound_to_a_city_reads_its_city_and_nothing_of_the_other(store, tmp_path):
    month = two_cities(store, tmp_path)
    city = ScopedStore(store, Principal("c", "city", "1522"))
    assert city.home().code == "1522"
    assert city.stats("1522", month)["households"] == 50
    assert city.stats("152223", month)["households"] == 50
    assert len(city.households("1522", month)) == 50
    assert [u.code for u in city.lineage("152223")] == ["1522", "152223"]
    for code in ("1507", "150783", "15", store.children("150783")[0].code):
        with pytest.raises(AccessDenied):
            city.stats(code, month)
        with pytest.raises(AccessDenied):
            city.households(code, month)
    other = store.households_frame(month, unit=store.unit("150783"))["household_id"].iloc[0]
    with pytest.raises(AccessDenied):
        city.household(other, month)
    province = ScopedStore(store, Principal("p", "province", "15"))
    assert province.stats("150783", month)["households"] == 32
    assert len(province.households("15", month)) == 82


def test_codes_name_their_level_by_their_shape():
    assert [level_of_code(c) for c in ("15", "1522", "152223", "152223101", "152223101001")] == [
        "province",
        "city",
        "county",
        "township",
        "village",
    ]


def test_a_city_account_needs_a_city(store, tmp_path):
    from geodata.accounts import Users

    two_cities(store, tmp_path)
    users = Users(store)
    users.add("city", "long-enough-pw", "city", "1522")
    with pytest.raises(ValueError, match="city"):
        users.add("wrong", "long-enough-pw", "city", "152223")


def test_the_province_page_and_a_city_page_list_their_children_with_their_figures(tmp_path):
    from dashboard import create_app
    from geodata import Store
    from riskgrid.settings import Settings
    from tests.test_auth import render

    url = f"sqlite:///{tmp_path / 'two.db'}"
    store = Store(url)
    store.migrate()
    month = two_cities(store, tmp_path, city_name="呼伦贝尔市", province_name="内蒙古自治区")
    client = create_app(Settings(db=url, login=False)).server.test_client()
    # the overview is the province (two cities below it), titled as such
    status, body = render(client, "/")
    assert status == 200 and '"data-unit":"15"' in body
    assert "全省总览" in client.get("/_dash-layout").get_data(as_text=True)  # the nav link
    status, body = render(client, "/unit/15", f"?month={month}")
    body = body.replace("\\u002f", "/")  # Dash writes "/" in JSON escaped
    assert status == 200
    for city in store.children_stats("15", month):
        # its row of the ranking: name, level, monitored households and persons
        row = [
            city["unit"]["name"],
            *(f'"{city["monitored"][k]:,}"' for k in ("households", "persons")),
        ]
        assert f'"children":"{row[0]}"' in body, row
        start = body.index(f'"children":"{row[0]}"', body.index("rg-ranking") - 3000)
        assert all(cell in body[start : start + 600] for cell in row[1:]), row
        assert f'"/unit/{city["unit"]["code"]}?month={month}"' in body
    assert "呼伦贝尔市" in body and "1522" in body
    whole = store.stats("15", month)
    assert f"{whole['monitored']['households']:,} 户" in body
    # a city's page: its county, linked by /unit/<code>
    status, body = render(client, "/unit/1507", f"?month={month}")
    body = body.replace("\\u002f", "/")
    assert status == 200 and "扎兰屯市" in body and f'"/unit/150783?month={month}"' in body
    assert f"{store.stats('1507', month)['monitored']['households']:,} 户" in body
    # the maps of the province: its cities' outlines served by URL
    response = client.get("/geojson/city/15.json")
    assert response.status_code == 200
    assert sorted(f["id"] for f in response.get_json()["features"]) == ["1507", "1522"]
    store.dispose()


def test_a_grid_file_names_its_city_and_province_in_chinese_columns(store, tmp_path):
    from etl.grids import load_grids
    from etl.headers import GRID_HEADERS
    from tests.factories import tiny_grids

    # the Chinese headers a county's file has (the first name of each field)
    grids = tiny_grids().rename(columns={c: names[0] for c, names in GRID_HEADERS.items()})
    grids["市名称"] = "兴安盟"
    grids["省名称"] = "内蒙古自治区"
    path = tmp_path / "grids.geojson"
    grids.to_file(path, driver="GeoJSON")
    result = load_grids(store, path)
    assert result.rows_rejected == 0
    assert store.unit("1522").name == "兴安盟" and store.unit("1522").level == "city"
    assert store.unit("15").name == "内蒙古自治区"
    assert [u.code for u in store.lineage("152223101")] == ["15", "1522", "152223", "152223101"]
    # one county: the database still opens at the county
    assert store.default_unit().code == "152223"
