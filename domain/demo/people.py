"""Generated parties: people with a valid resident identity number and a Chinese name,
businesses with a valid unified social credit code, living in the counties of
:mod:`domain.reference`."""

from __future__ import annotations

import random

from domain.identifiers import random_credit_code, random_resident_id
from domain.reference import counties

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董"
    "袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范廖石贾韦"
)
GIVEN = (
    "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏建国志文"
    "斌辉宇浩然子涵欣怡梓轩雨婷思远佳琪俊杰蜀川蓉"
)
BRANDS = [
    "蜀味",
    "天府",
    "锦城",
    "峨眉",
    "川渝",
    "巴山",
    "青城",
    "岷江",
    "嘉陵",
    "熊猫",
    "竹海",
    "红星",
    "金沙",
    "龙泉",
    "九寨",
]
TRADES = [
    "餐饮管理",
    "商贸",
    "建筑工程",
    "农业科技",
    "信息技术",
    "物流",
    "医药",
    "文化传媒",
    "旅游开发",
    "环保科技",
]


def person(rng: random.Random) -> dict[str, str]:
    region, _, _ = rng.choice(counties())
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2, 2])))
    return {"party_id": random_resident_id(rng, region), "kind": "person", "name": name}


def business(rng: random.Random) -> dict[str, str]:
    region, county, city = rng.choice(counties())
    place = (
        city.removesuffix("市")
        .removesuffix("藏族羌族自治州")
        .removesuffix("藏族自治州")
        .removesuffix("彝族自治州")
    )
    name = f"{place}{rng.choice(BRANDS)}{rng.choice(TRADES)}有限公司"
    kind = "92" if rng.random() < 0.2 else "91"
    return {
        "party_id": random_credit_code(rng, region[:4] + "00", kind=kind),
        "kind": "business",
        "name": name,
    }
