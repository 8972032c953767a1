"""Reference data: the province the service covers, its cities and the county-level
divisions in use, and the departments.

One home for the demo seeder (where items and people live), the portal (region and
department names) and the tests. Region codes are GB/T 2260; validation checks their
shape (``domain.identifiers.validate_region_code``) and a department's slug
(``domain.model.service_item.validate_department``), and accepts codes and departments
beyond these tables: the catalogue is open to any department an administrator publishes.
"""

from __future__ import annotations

PROVINCE: tuple[str, str] = ("510000", "四川省")

# The 21 prefecture-level divisions of Sichuan (GB/T 2260) and one district or county-level
# city of each (six of Chengdu), where county-level items and people live.
CITIES: list[tuple[str, str, list[tuple[str, str]]]] = [
    (
        "510100",
        "成都市",
        [
            ("510104", "锦江区"),
            ("510105", "青羊区"),
            ("510106", "金牛区"),
            ("510107", "武侯区"),
            ("510108", "成华区"),
            ("510116", "双流区"),
        ],
    ),
    ("510300", "自贡市", [("510302", "自流井区")]),
    ("510400", "攀枝花市", [("510402", "东区")]),
    ("510500", "泸州市", [("510502", "江阳区")]),
    ("510600", "德阳市", [("510603", "旌阳区")]),
    ("510700", "绵阳市", [("510703", "涪城区")]),
    ("510800", "广元市", [("510802", "利州区")]),
    ("510900", "遂宁市", [("510903", "船山区")]),
    ("511000", "内江市", [("511002", "市中区")]),
    ("511100", "乐山市", [("511102", "市中区")]),
    ("511300", "南充市", [("511302", "顺庆区")]),
    ("511400", "眉山市", [("511402", "东坡区")]),
    ("511500", "宜宾市", [("511502", "翠屏区")]),
    ("511600", "广安市", [("511602", "广安区")]),
    ("511700", "达州市", [("511702", "通川区")]),
    ("511800", "雅安市", [("511802", "雨城区")]),
    ("511900", "巴中市", [("511902", "巴州区")]),
    ("512000", "资阳市", [("512002", "雁江区")]),
    ("513200", "阿坝藏族羌族自治州", [("513201", "马尔康市")]),
    ("513300", "甘孜藏族自治州", [("513301", "康定市")]),
    ("513400", "凉山彝族自治州", [("513401", "西昌市")]),
]

# (slug, the department's Chinese name, its English name on the portal or None).
_DEPARTMENTS: list[tuple[str, str, str | None]] = [
    ("market-regulation", "市场监督管理局", "Market Regulation"),
    ("traffic-police", "公安局交通警察支队", "Traffic Police"),
    ("housing", "住房和城乡建设局", "Housing and Construction"),
    ("agriculture", "农业农村局", "Agriculture and Rural Affairs"),
    ("science-technology", "科学技术局", "Science and Technology"),
    ("taxation", "税务局", "Taxation"),
    ("utilities", "公用事业服务中心", "Public Utilities"),
    ("civil-affairs", "民政局", "Civil Affairs"),
    ("human-resources", "人力资源和社会保障局", "Human Resources and Social Security"),
    ("natural-resources", "自然资源和规划局", "Natural Resources and Planning"),
    ("ecology-environment", "生态环境局", "Ecology and Environment"),
    ("health", "卫生健康委员会", "Health"),
    ("education", "教育局", "Education"),
    ("culture-tourism", "文化广播电视和旅游局", "Culture and Tourism"),
    ("transport", "交通运输局", "Transport"),
]

# slug -> Chinese name, and slug -> English name where there is one.
DEPARTMENTS: dict[str, str] = {slug: name for slug, name, _ in _DEPARTMENTS}
DEPARTMENTS_EN: dict[str, str] = {slug: en for slug, _, en in _DEPARTMENTS if en is not None}


def counties() -> list[tuple[str, str, str]]:
    """(county code, county name, city name) for every county in the tables."""
    return [(code, name, city) for _, city, divisions in CITIES for code, name in divisions]


def regions() -> list[tuple[str, str]]:
    """(code, full name) of the province, then each city followed by its counties, a
    county named with its city (成都市锦江区)."""
    out = [PROVINCE]
    for city_code, city_name, divisions in CITIES:
        out.append((city_code, city_name))
        out += [(code, f"{city_name}{name}") for code, name in divisions]
    return out
