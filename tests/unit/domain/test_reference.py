from __future__ import annotations

from domain.identifiers import covers, region_level, validate_region_code
from domain.model.service_item import validate_department
from domain.reference import CITIES, DEPARTMENTS, DEPARTMENTS_EN, PROVINCE, counties, regions


def test_every_region_of_the_reference_is_a_valid_code_of_its_level_inside_its_parent():
    assert region_level(validate_region_code(PROVINCE[0])) == "province"
    for city_code, _, divisions in CITIES:
        assert region_level(validate_region_code(city_code)) == "city"
        assert covers(PROVINCE[0], city_code)
        for code, _ in divisions:
            assert region_level(validate_region_code(code)) == "county"
            assert covers(city_code, code)


def test_regions_name_each_county_with_its_city_and_list_every_code_once():
    listed = regions()
    assert listed[0] == PROVINCE and ("510104", "成都市锦江区") in listed
    assert len({code for code, _ in listed}) == len(listed) == 1 + len(CITIES) + len(counties())


def test_every_department_has_a_valid_slug_a_chinese_name_and_an_english_one():
    assert all(validate_department(slug) == slug for slug in DEPARTMENTS)
    assert all(name.endswith(("局", "支队", "中心", "委员会")) for name in DEPARTMENTS.values())
    assert set(DEPARTMENTS_EN) == set(DEPARTMENTS)
