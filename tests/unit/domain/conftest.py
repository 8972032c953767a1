"""Shared builders for the domain unit tests (no server, in-memory only)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from domain.identifiers import make_credit_code, make_resident_id
from domain.model.case import Case
from domain.model.service_item import ServiceItem
from tests.support.scenarios import item_terms

ADMIN = {"role": "admin", "subject": "admin-1"}
CLERK = {"role": "clerk", "subject": "clerk-7"}
GATEWAY = {"role": "gateway", "subject": "unionpay"}
PERSON_ID = make_resident_id("510104", date(1990, 5, 1), 123)
BUSINESS_ID = make_credit_code("510100", "MA6CABCD")
CITIZEN = {"role": "citizen", "subject": PERSON_ID, "channel": "web"}
APPLICANT = {"party_id": PERSON_ID, "kind": "person", "name": "张小三"}
BUSINESS = {"party_id": BUSINESS_ID, "kind": "business", "name": "成都市锦江区蜀味餐饮有限公司"}
SHANGHAI = timezone(timedelta(hours=8))


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    """A moment in Asia/Shanghai (fixed +08:00, China has no DST)."""
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


def publish_item(code: str = "510100-XK-0001", **overrides) -> ServiceItem:
    return ServiceItem.publish(code=code, actor=ADMIN, **item_terms(**overrides))


ALL_MATERIALS = [
    {"code": "LICENCE", "document_ref": "doc-licence"},
    {"code": "LAYOUT", "document_ref": "doc-layout"},
]


def submit_case(
    item: ServiceItem | None = None, *, materials=None, when: datetime | None = None
) -> Case:
    item = item or publish_item()
    return Case.submit(
        case_number="SC-2025-510100-00000001",
        item=item.case_terms(),
        department=item.department,
        applicant=APPLICANT,
        channel="web",
        materials=ALL_MATERIALS if materials is None else materials,
        form={"shop_name": "蜀味"},
        actor=CITIZEN,
        timestamp=when or at(2025, 9, 26),
    )


def accepted_case(item: ServiceItem | None = None, *, when: datetime | None = None) -> Case:
    case = submit_case(item, when=when)
    case.accept(actor=CLERK, timestamp=when or at(2025, 9, 29))
    return case


@pytest.fixture
def item() -> ServiceItem:
    return publish_item()
