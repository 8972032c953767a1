"""Deterministic demo data for Sichuan, loaded through the application services.

Everything is generated from one seed and streamed: the catalogue, the parties, and the
cases with their whole lifecycle (materials, acceptance, fees, suspensions, extensions,
decisions, licences, ratings, withdrawals), plus violations with their fines. Nothing is
kept in memory beyond the catalogue and a few counters, so a benchmark can seed a million
cases. Content (codes, names, identity numbers, statuses, dates, case numbers) depends
only on the seed and the order of the commands; aggregate UUIDs are random.

Usage::

    seeder = DemoSeeder(app, seed=2026)
    for progress in seeder.run(cases=1000):
        ...  # a progress bar; progress.cases counts the cases done
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from domain.calendar import SHANGHAI, shanghai_date
from domain.errors import DomainError
from domain.identifiers import random_credit_code, random_resident_id
from domain.model.service_item import item_id
from domain.services import Casetrack

PROVINCE = ("510000", "四川省")

# The 21 prefecture-level divisions of Sichuan (GB/T 2260) and one district or county-level
# city of each, where county-level items and people live.
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

DEPARTMENTS: dict[str, str] = {
    "market-regulation": "市场监督管理局",
    "traffic-police": "公安局交通警察支队",
    "housing": "住房和城乡建设局",
    "agriculture": "农业农村局",
    "science-technology": "科学技术局",
    "taxation": "税务局",
    "utilities": "公用事业服务中心",
    "civil-affairs": "民政局",
    "human-resources": "人力资源和社会保障局",
    "natural-resources": "自然资源和规划局",
    "ecology-environment": "生态环境局",
    "health": "卫生健康委员会",
    "education": "教育局",
    "culture-tourism": "文化广播电视和旅游局",
    "transport": "交通运输局",
}

TYPE_LETTERS = {
    "administrative_licence": "XK",
    "administrative_confirmation": "QR",
    "administrative_payment": "JF",
    "administrative_penalty": "CF",
    "public_service": "GG",
    "other": "QT",
}


@dataclass(frozen=True)
class ItemTemplate:
    department: str
    name: str
    item_type: str
    level: str  # province | city | county
    statutory_days: int
    promised_days: int
    materials: tuple[tuple[str, str, bool], ...]
    applicant: str  # person | business
    legal_basis: str
    fee_fen: int = 0
    licence_type: str | None = None
    licence_valid_days: int | None = None


ID = ("ID", "申请人身份证明", True)
BL = ("BL", "营业执照", True)
FORM = ("FORM", "申请书", True)

TEMPLATES: list[ItemTemplate] = [
    ItemTemplate(
        "market-regulation",
        "食品经营许可",
        "administrative_licence",
        "county",
        20,
        10,
        (BL, FORM, ("LAYOUT", "经营场所平面布局图", True), ("RULES", "食品安全管理制度", True)),
        "business",
        "《中华人民共和国食品安全法》第三十五条",
        0,
        "食品经营许可证",
        1825,
    ),
    ItemTemplate(
        "market-regulation",
        "企业设立登记",
        "administrative_licence",
        "city",
        15,
        3,
        (ID, FORM, ("CHARTER", "公司章程", True), ("ADDRESS", "住所使用证明", True)),
        "person",
        "《中华人民共和国市场主体登记管理条例》第十九条",
        0,
        "营业执照",
        None,
    ),
    ItemTemplate(
        "market-regulation",
        "特种设备使用登记",
        "administrative_licence",
        "city",
        20,
        5,
        (BL, ("CERT", "产品合格证", True), ("INSPECT", "监督检验证明", True)),
        "business",
        "《中华人民共和国特种设备安全法》第三十三条",
        0,
        "特种设备使用登记证",
        None,
    ),
    ItemTemplate(
        "traffic-police",
        "机动车驾驶证换证",
        "administrative_licence",
        "city",
        10,
        1,
        (ID, ("PHOTO", "证件照片", True), ("HEALTH", "身体条件证明", True)),
        "person",
        "《机动车驾驶证申领和使用规定》第五十七条",
        1000,
        "机动车驾驶证",
        3650,
    ),
    ItemTemplate(
        "traffic-police",
        "机动车注册登记",
        "administrative_confirmation",
        "city",
        5,
        1,
        (ID, ("INVOICE", "购车发票", True), ("INSURANCE", "交强险凭证", True)),
        "person",
        "《中华人民共和国道路交通安全法》第八条",
        1000,
        "机动车登记证书",
        None,
    ),
    ItemTemplate(
        "traffic-police",
        "交通事故认定复核",
        "public_service",
        "city",
        30,
        20,
        (ID, ("REPORT", "道路交通事故认定书", True)),
        "person",
        "《道路交通事故处理程序规定》第七十一条",
    ),
    ItemTemplate(
        "housing",
        "建筑工程施工许可",
        "administrative_licence",
        "county",
        15,
        7,
        (
            BL,
            ("LANDUSE", "用地批准手续", True),
            ("PLAN", "建设工程规划许可证", True),
            ("DRAW", "施工图审查合格书", False),
        ),
        "business",
        "《中华人民共和国建筑法》第八条",
        0,
        "建筑工程施工许可证",
        None,
    ),
    ItemTemplate(
        "housing",
        "商品房预售许可",
        "administrative_licence",
        "city",
        20,
        10,
        (BL, ("LAND", "国有土地使用证", True), ("FUND", "投入开发建设资金证明", True)),
        "business",
        "《城市商品房预售管理办法》第七条",
        0,
        "商品房预售许可证",
        None,
    ),
    ItemTemplate(
        "housing",
        "住房公积金提取",
        "public_service",
        "city",
        5,
        1,
        (ID, ("BANK", "银行卡", True), ("PROOF", "提取事由证明", True)),
        "person",
        "《住房公积金管理条例》第二十四条",
    ),
    ItemTemplate(
        "agriculture",
        "农药经营许可",
        "administrative_licence",
        "city",
        20,
        10,
        (BL, FORM, ("STAFF", "农学相关专业技术人员证明", True)),
        "business",
        "《农药管理条例》第二十四条",
        0,
        "农药经营许可证",
        1825,
    ),
    ItemTemplate(
        "agriculture",
        "动物防疫条件合格证核发",
        "administrative_licence",
        "county",
        20,
        10,
        (BL, FORM, ("SITE", "场所地理位置图", True)),
        "business",
        "《中华人民共和国动物防疫法》第二十五条",
        0,
        "动物防疫条件合格证",
        None,
    ),
    ItemTemplate(
        "science-technology",
        "高新技术企业认定",
        "administrative_confirmation",
        "province",
        60,
        30,
        (BL, FORM, ("IP", "知识产权证明", True), ("AUDIT", "研发费用专项审计报告", True)),
        "business",
        "《高新技术企业认定管理办法》第十条",
        0,
        "高新技术企业证书",
        1095,
    ),
    ItemTemplate(
        "science-technology",
        "科技型中小企业评价入库",
        "public_service",
        "province",
        20,
        10,
        (BL, FORM),
        "business",
        "《科技型中小企业评价办法》第十条",
    ),
    ItemTemplate(
        "taxation",
        "车船税缴纳",
        "administrative_payment",
        "city",
        5,
        1,
        (ID, ("VEHICLE", "车辆行驶证", True)),
        "person",
        "《中华人民共和国车船税法》第一条",
        36000,
    ),
    ItemTemplate(
        "taxation",
        "完税证明开具",
        "public_service",
        "county",
        3,
        1,
        (ID,),
        "person",
        "《税收票证管理办法》第十五条",
    ),
    ItemTemplate(
        "taxation",
        "增值税一般纳税人登记",
        "administrative_confirmation",
        "county",
        5,
        1,
        (BL, FORM),
        "business",
        "《增值税一般纳税人登记管理办法》第五条",
    ),
    ItemTemplate(
        "utilities",
        "居民用水报装",
        "public_service",
        "county",
        10,
        5,
        (ID, ("DEED", "房屋权属证明", True)),
        "person",
        "《城镇供水条例》第二十二条",
    ),
    ItemTemplate(
        "utilities",
        "低压用电报装",
        "public_service",
        "county",
        15,
        5,
        (ID, ("DEED", "房屋权属证明", True)),
        "person",
        "《供电营业规则》第十六条",
    ),
    ItemTemplate(
        "civil-affairs",
        "结婚登记",
        "administrative_confirmation",
        "county",
        1,
        1,
        (ID, ("HUKOU", "户口簿", True), ("PHOTO", "双方合影照片", True)),
        "person",
        "《婚姻登记条例》第五条",
        900,
        "结婚证",
        None,
    ),
    ItemTemplate(
        "civil-affairs",
        "最低生活保障审核确认",
        "public_service",
        "county",
        30,
        20,
        (ID, ("INCOME", "家庭收入状况声明", True), ("HUKOU", "户口簿", True)),
        "person",
        "《社会救助暂行办法》第十一条",
    ),
    ItemTemplate(
        "civil-affairs",
        "社会团体成立登记",
        "administrative_licence",
        "province",
        60,
        30,
        (ID, FORM, ("CHARTER", "章程草案", True), ("FUNDS", "验资报告", True)),
        "person",
        "《社会团体登记管理条例》第十二条",
        0,
        "社会团体法人登记证书",
        1825,
    ),
    ItemTemplate(
        "human-resources",
        "社会保障卡申领",
        "public_service",
        "county",
        10,
        5,
        (ID, ("PHOTO", "证件照片", True)),
        "person",
        "《中华人民共和国社会保险法》第五十八条",
    ),
    ItemTemplate(
        "human-resources",
        "人力资源服务许可",
        "administrative_licence",
        "city",
        20,
        10,
        (BL, FORM, ("STAFF", "专职工作人员证明", True)),
        "business",
        "《人力资源市场暂行条例》第十八条",
        0,
        "人力资源服务许可证",
        1825,
    ),
    ItemTemplate(
        "natural-resources",
        "不动产转移登记",
        "administrative_confirmation",
        "county",
        30,
        5,
        (ID, ("CONTRACT", "不动产买卖合同", True), ("TAX", "完税凭证", True)),
        "person",
        "《不动产登记暂行条例》第十四条",
        8000,
        "不动产权证书",
        None,
    ),
    ItemTemplate(
        "ecology-environment",
        "排污许可证核发",
        "administrative_licence",
        "city",
        20,
        15,
        (BL, FORM, ("EIA", "环境影响评价批复", True)),
        "business",
        "《排污许可管理条例》第十条",
        0,
        "排污许可证",
        1825,
    ),
    ItemTemplate(
        "health",
        "医疗机构执业登记",
        "administrative_licence",
        "city",
        45,
        20,
        (BL, FORM, ("STAFF", "医护人员资格证明", True), ("SITE", "房屋产权证明", True)),
        "business",
        "《医疗机构管理条例》第十五条",
        0,
        "医疗机构执业许可证",
        1825,
    ),
    ItemTemplate(
        "health",
        "公共场所卫生许可",
        "administrative_licence",
        "county",
        20,
        10,
        (BL, FORM, ("CHECK", "卫生检测报告", True)),
        "business",
        "《公共场所卫生管理条例》第八条",
        0,
        "公共场所卫生许可证",
        1460,
    ),
    ItemTemplate(
        "education",
        "民办学校办学许可",
        "administrative_licence",
        "province",
        90,
        60,
        (BL, FORM, ("CHARTER", "学校章程", True), ("ASSETS", "资产来源证明", True)),
        "business",
        "《中华人民共和国民办教育促进法》第十二条",
        0,
        "民办学校办学许可证",
        1825,
    ),
    ItemTemplate(
        "culture-tourism",
        "旅行社业务经营许可",
        "administrative_licence",
        "province",
        30,
        20,
        (BL, FORM, ("DEPOSIT", "质量保证金证明", True)),
        "business",
        "《旅行社条例》第七条",
        0,
        "旅行社业务经营许可证",
        None,
    ),
    ItemTemplate(
        "culture-tourism",
        "娱乐场所经营许可",
        "administrative_licence",
        "county",
        20,
        10,
        (BL, FORM, ("FIRE", "消防安全检查合格证明", True)),
        "business",
        "《娱乐场所管理条例》第九条",
        0,
        "娱乐场所经营许可证",
        None,
    ),
    ItemTemplate(
        "transport",
        "道路货物运输经营许可",
        "administrative_licence",
        "city",
        20,
        10,
        (BL, FORM, ("VEHICLES", "车辆技术等级评定", True)),
        "business",
        "《中华人民共和国道路运输条例》第二十四条",
        0,
        "道路运输经营许可证",
        2190,
    ),
    ItemTemplate(
        "transport",
        "出租汽车驾驶员从业资格注册",
        "administrative_licence",
        "city",
        20,
        10,
        (ID, ("DRIVING", "机动车驾驶证", True), ("EXAM", "考试合格证明", True)),
        "person",
        "《出租汽车驾驶员从业资格管理规定》第十九条",
        0,
        "道路运输从业资格证",
        2190,
    ),
]


@dataclass(frozen=True)
class ViolationTemplate:
    department: str
    description: str
    fine_fen: int
    legal_basis: str
    party: str  # person | business


VIOLATIONS: list[ViolationTemplate] = [
    ViolationTemplate(
        "traffic-police",
        "机动车违反禁止停车标志指示",
        10000,
        "《中华人民共和国道路交通安全法》第九十三条",
        "person",
    ),
    ViolationTemplate(
        "traffic-police",
        "驾驶机动车超过规定时速未达20%",
        20000,
        "《中华人民共和国道路交通安全法》第九十条",
        "person",
    ),
    ViolationTemplate(
        "traffic-police",
        "驾驶机动车不按规定使用安全带",
        5000,
        "《中华人民共和国道路交通安全法》第九十条",
        "person",
    ),
    ViolationTemplate(
        "market-regulation",
        "未按规定公示营业执照",
        100000,
        "《中华人民共和国市场主体登记管理条例》第四十八条",
        "business",
    ),
    ViolationTemplate(
        "market-regulation",
        "经营超过保质期的食品",
        500000,
        "《中华人民共和国食品安全法》第一百二十四条",
        "business",
    ),
    ViolationTemplate(
        "ecology-environment",
        "未按排污许可证规定排放污染物",
        2000000,
        "《排污许可管理条例》第三十四条",
        "business",
    ),
    ViolationTemplate(
        "culture-tourism", "未按规定建立营业日志", 0, "《娱乐场所管理条例》第五十条", "business"
    ),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范廖石贾韦"
GIVEN = "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏建国志文斌辉宇浩然子涵欣怡梓轩雨婷思远佳琪俊杰蜀川蓉"
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
CHANNELS = ["web", "app", "wechat", "hall", "hotline", "kiosk"]
CHANNEL_WEIGHTS = [30, 25, 25, 12, 3, 5]
SETTLE_CHANNELS = ["unionpay", "alipay", "wechat_pay", "bank_transfer"]
COMMENTS = [
    "办事效率高",
    "工作人员态度很好",
    "一次都不用跑",
    "材料要求清楚",
    "等待时间有点长",
    "流程还可以再简化",
    "",
]


def _counties() -> list[tuple[str, str, str]]:
    """(county code, county name, city name) for every county in the tables."""
    return [(code, name, city) for _, city, counties in CITIES for code, name in counties]


@dataclass
class DemoProgress:
    items: int = 0
    cases: int = 0
    commands: int = 0
    payments: int = 0
    licences: int = 0
    violations: int = 0
    refused_commands: int = 0
    statuses: dict[str, int] = field(default_factory=dict)


class DemoClock:
    """The application's clock during seeding: it says what the seeder sets."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def catalogue(rng: random.Random) -> Iterator[dict[str, Any]]:
    """Service items: province items once, city items for every city, county items for
    every county, each city taking a seeded selection so that the catalogue varies."""
    sequence: dict[tuple[str, str], int] = {}

    def spec(template: ItemTemplate, region: str, place: str) -> dict[str, Any]:
        letters = TYPE_LETTERS[template.item_type]
        sequence[(region, letters)] = sequence.get((region, letters), 0) + 1
        return {
            "code": f"{region}-{letters}-{sequence[(region, letters)]:04d}",
            "name": f"{template.name}({place})" if template.level != "province" else template.name,
            "item_type": template.item_type,
            "department": template.department,
            "level": template.level,
            "region_code": region,
            "conditions": f"符合《{template.legal_basis.split('》')[0].lstrip('《')}》规定的条件",
            "materials": [{"code": c, "name": n, "required": r} for c, n, r in template.materials],
            "steps": ["申请", "受理", "审查", "决定", "送达"],
            "statutory_days": template.statutory_days,
            "promised_days": template.promised_days,
            "fee_fen": template.fee_fen,
            "legal_basis": template.legal_basis,
            "licence_type": template.licence_type,
            "licence_valid_days": template.licence_valid_days,
        }

    for template in TEMPLATES:
        if template.level == "province":
            yield spec(template, PROVINCE[0], PROVINCE[1])
    city_templates = [t for t in TEMPLATES if t.level == "city"]
    county_templates = [t for t in TEMPLATES if t.level == "county"]
    for city_code, city_name, counties in CITIES:
        for template in rng.sample(city_templates, k=min(4, len(city_templates))):
            yield spec(template, city_code, city_name)
        for county_code, county_name in counties:
            for template in rng.sample(county_templates, k=min(2, len(county_templates))):
                yield spec(template, county_code, f"{city_name}{county_name}")


def person(rng: random.Random) -> dict[str, str]:
    region, _, _ = rng.choice(_counties())
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2, 2])))
    return {"party_id": random_resident_id(rng, region), "kind": "person", "name": name}


def business(rng: random.Random) -> dict[str, str]:
    region, county, city = rng.choice(_counties())
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


class DemoSeeder:
    """Drives the commands of :class:`Casetrack` with generated data."""

    def __init__(
        self,
        app: Casetrack,
        *,
        seed: int = 2026,
        start: date = date(2025, 1, 2),
        end: date = date(2025, 12, 31),
    ) -> None:
        self.app = app
        self.rng = random.Random(seed)
        self.start, self.end = start, end
        self.clock = DemoClock(datetime.combine(start, time(9), SHANGHAI))
        self.items: list[dict[str, Any]] = []
        self.progress = DemoProgress()
        self.admin = {"role": "admin", "subject": "admin-sichuan"}
        self.gateway = {"role": "gateway", "subject": "payment-gateway"}

    # --- driving ------------------------------------------------------------------------

    def run(self, *, cases: int, violations: int | None = None) -> Iterator[DemoProgress]:
        """Publish the catalogue, then ``cases`` cases and (by default) one violation
        for every ten cases; yields the progress after each case or violation."""
        original_clock = self.app.clock
        self.app.clock = self.clock
        try:
            self.publish_catalogue()
            violations = cases // 10 if violations is None else violations
            every = max(1, cases // violations) if violations else 0
            span = (self.end - self.start).days
            for i in range(cases):
                day = self.start + timedelta(days=span * i // max(1, cases))
                self.case_lifecycle(day)
                self.progress.cases += 1
                if every and i % every == every - 1 and self.progress.violations < violations:
                    self.violation(day)
                yield self.progress
        finally:
            self.app.clock = original_clock

    def publish_catalogue(self) -> None:
        self.clock.now = datetime.combine(self.start - timedelta(days=30), time(9), SHANGHAI)
        for spec in catalogue(self.rng):
            code = spec.pop("code")
            existing = self.app.load_or_none(item_id(code))
            if existing is not None:  # seeded before: cases follow the item as it is stored
                self.items.append({"code": code, **existing.terms})
                continue
            self.items.append({"code": code, **spec})
            self.app.publish_item(code=code, actor=self.admin, **spec)
            self.progress.items += 1
            self.progress.commands += 1

    def _at(self, day: date, rng: random.Random) -> datetime:
        return datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)), SHANGHAI)

    def _do(self, when: datetime, command: Callable[..., Any], **kwargs: Any) -> Any:
        self.clock.now = when
        self.progress.commands += 1
        return command(**kwargs)

    def _clerk(self, item: dict[str, Any]) -> dict[str, str]:
        return {
            "role": "clerk",
            "subject": f"clerk-{item['department']}-{item['region_code']}-{self.rng.randint(1, 5)}",
        }

    # --- one case -----------------------------------------------------------------------

    def case_lifecycle(self, day: date) -> None:
        rng, app, cal = self.rng, self.app, self.app.calendar
        item = rng.choice(self.items)
        template_kind = "business" if "BL" in {m["code"] for m in item["materials"]} else "person"
        applicant = business(rng) if template_kind == "business" else person(rng)
        channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        citizen = {"role": "citizen", "subject": applicant["party_id"], "channel": channel}
        clerk = self._clerk(item)
        submitter = clerk if channel in ("hall", "hotline", "kiosk") else citizen
        required = [m for m in item["materials"] if m["required"]]
        optional = [m for m in item["materials"] if not m["required"]]
        complete = rng.random() < 0.8
        given = required if complete else required[:-1]
        given = given + [m for m in optional if rng.random() < 0.5]
        materials = [
            {"code": m["code"], "document_ref": f"doc-{rng.getrandbits(48):012x}"} for m in given
        ]
        when = self._at(day, rng)
        case_id = self._do(
            when,
            app.submit_case,
            item_code=item["code"],
            applicant=applicant,
            channel=channel,
            materials=materials,
            form={"contact_phone": f"1{rng.randint(3, 9)}{rng.randint(0, 10**9 - 1):09d}"},
            actor=submitter,
        )["case_id"]
        horizon = datetime.combine(self.end, time(23, 59), SHANGHAI)
        fate = rng.random()

        def next_working(after: datetime, days: int = 1) -> datetime:
            return self._at(cal.add_working_days(shanghai_date(after), days), rng)

        if fate < 0.03:
            self._do(
                next_working(when),
                app.withdraw_case,
                case_id=case_id,
                reason="不再需要办理",
                actor=citizen,
            )
            return self._count("withdrawn")
        when = next_working(when)
        if when > horizon:
            return self._count("submitted")
        if not complete:
            missing = [
                m["code"] for m in required if m["code"] not in {x["code"] for x in materials}
            ]
            self._do(
                when,
                app.request_materials,
                case_id=case_id,
                codes=missing,
                note="请补正材料",
                actor=clerk,
            )
            when = next_working(when, rng.randint(1, 5))
            if when > horizon or rng.random() < 0.1:
                return self._count("materials_requested")
            supplied = [
                {"code": c, "document_ref": f"doc-{rng.getrandbits(48):012x}"} for c in missing
            ]
            self._do(
                when, app.supplement_materials, case_id=case_id, materials=supplied, actor=citizen
            )
        if rng.random() < 0.05:
            self._do(
                next_working(when),
                app.reject_acceptance,
                case_id=case_id,
                reason="申请事项不属于本机关职权范围",
                actor=clerk,
            )
            return self._rate_maybe(case_id, citizen, next_working(when, 2), "refused")
        when = next_working(when)
        if when > horizon:
            return self._count("submitted")
        accepted = self._do(when, app.accept_case, case_id=case_id, actor=clerk)
        if rng.random() < 0.7:
            self._do(
                when + timedelta(minutes=5),
                app.assign_case,
                case_id=case_id,
                clerk_sub=clerk["subject"],
                actor=clerk,
            )
        if accepted["payment_id"]:
            self.progress.payments += 1
            pay_at = next_working(when, rng.randint(1, 3))
            if pay_at > horizon or rng.random() < 0.05:
                return self._count("accepted")
            amount = item["fee_fen"]
            self._do(
                pay_at,
                app.settle_payment,
                payment_id=accepted["payment_id"],
                channel=rng.choice(SETTLE_CHANNELS),
                transaction_ref=f"TX{rng.getrandbits(64):016X}",
                amount_fen=amount,
                actor=self.gateway,
            )
            when = max(when, pay_at)
        if rng.random() < 0.08:
            when = next_working(when, rng.randint(1, 3))
            if when > horizon:
                return self._count("accepted")
            self._do(when, app.suspend_case, case_id=case_id, reason="组织专家评审", actor=clerk)
            when = next_working(when, rng.randint(3, 15))
            if when > horizon:
                return self._count("suspended")
            self._do(when, app.resume_case, case_id=case_id, actor=clerk)
        if rng.random() < 0.05:
            self._do(
                when + timedelta(minutes=30),
                app.extend_case,
                case_id=case_id,
                days=10,
                reason="情况复杂，经负责人批准延长",
                actor=clerk,
            )
        # Mostly within the promised time, sometimes late.
        days = max(1, round(item["promised_days"] * rng.uniform(0.3, 1.0)))
        if rng.random() < 0.07:
            days = item["statutory_days"] + rng.randint(1, 10)
        when = next_working(when, days)
        if when > horizon:
            return self._count("accepted")
        if rng.random() < 0.02:
            self._do(
                when, app.withdraw_case, case_id=case_id, reason="申请人主动撤回", actor=citizen
            )
            return self._count("withdrawn")
        outcome = "approved" if rng.random() < 0.88 else "rejected"
        decided = self._do(
            when,
            app.decide_case,
            case_id=case_id,
            outcome=outcome,
            reasons="经审查，符合法定条件" if outcome == "approved" else "经审查，不符合法定条件",
            legal_basis=item["legal_basis"],
            actor=clerk,
        )
        if decided["licence_number"]:
            self.progress.licences += 1
            if rng.random() < 0.01:
                self._do(
                    next_working(when, rng.randint(10, 60)),
                    app.revoke_licence,
                    licence_number=decided["licence_number"],
                    reason="以欺骗手段取得许可",
                    actor=clerk,
                )
        return self._rate_maybe(case_id, citizen, next_working(when, rng.randint(0, 3)), outcome)

    def _rate_maybe(self, case_id: str, citizen: dict, when: datetime, status: str) -> None:
        if self.rng.random() < 0.6:
            score = self.rng.choices([5, 4, 3, 2, 1], [60, 25, 8, 4, 3])[0]
            self._do(
                when,
                self.app.rate_case,
                case_id=case_id,
                score=score,
                comment=self.rng.choice(COMMENTS),
                actor=citizen,
            )
        self._count(status)

    def _count(self, status: str) -> None:
        self.progress.statuses[status] = self.progress.statuses.get(status, 0) + 1

    # --- one violation ------------------------------------------------------------------

    def violation(self, day: date) -> None:
        rng, app = self.rng, self.app
        template = rng.choice(VIOLATIONS)
        party = person(rng) if template.party == "person" else business(rng)
        region, county, city = rng.choice(_counties())
        clerk = {
            "role": "clerk",
            "subject": f"clerk-{template.department}-{region}-{rng.randint(1, 5)}",
        }
        occurred = self._at(day, rng) - timedelta(days=rng.randint(1, 10))
        recorded = self._do(
            self._at(day, rng),
            app.record_violation,
            party_id=party["party_id"],
            party_name=party["name"],
            description=template.description,
            location=f"{city}{county}{rng.choice(BRANDS)}路{rng.randint(1, 300)}号",
            region_code=region,
            occurred_at=occurred,
            fine_fen=template.fine_fen,
            legal_basis=template.legal_basis,
            department=template.department,
            actor=clerk,
        )
        self.progress.violations += 1
        owner = {"role": "citizen", "subject": party["party_id"]}
        if recorded["payment_id"]:
            self.progress.payments += 1
        roll = rng.random()
        later = self._at(day + timedelta(days=rng.randint(1, 14)), rng)
        try:
            if recorded["payment_id"] and roll < 0.6:
                self._do(
                    later,
                    app.settle_payment,
                    payment_id=recorded["payment_id"],
                    channel=rng.choice(SETTLE_CHANNELS),
                    transaction_ref=f"TX{rng.getrandbits(64):016X}",
                    amount_fen=template.fine_fen,
                    actor=self.gateway,
                )
                self._do(
                    later + timedelta(hours=1),
                    app.resolve_violation,
                    violation_id=recorded["violation_id"],
                    outcome="upheld",
                    actor=clerk,
                )
            elif roll < 0.75:
                self._do(
                    later,
                    app.contest_violation,
                    violation_id=recorded["violation_id"],
                    reason="对违法事实有异议，申请复核",
                    actor=owner,
                )
                outcome = "annulled" if rng.random() < 0.4 else "upheld"
                self._do(
                    later + timedelta(days=rng.randint(3, 20)),
                    app.resolve_violation,
                    violation_id=recorded["violation_id"],
                    outcome=outcome,
                    reason="复核认定证据不足" if outcome == "annulled" else "复核维持原处罚",
                    actor=clerk,
                )
        except DomainError:
            # A generated step that the rules refuse is part of realistic data, not a fault.
            self.progress.refused_commands += 1
