"""The demo catalogue: templates of real service items and violations of Sichuan's
departments, and :func:`catalogue`, which lays the item templates over the regions of
:mod:`domain.reference` (province items once, city items per city, county items per county)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from domain.reference import CITIES, PROVINCE

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
