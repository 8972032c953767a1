"""A realistic day of Casetrack, driven through the application services.

It touches every event type of every aggregate, so pipeline tests can compare each read
model with a replay of the event store, and the cluster bench seeds its stores with it
(tests/support/scenarios.py re-exports it for the tests). Returns the ids it created.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from uuid import UUID

from domain import legal_basis
from domain.identifiers import make_credit_code, make_resident_id

ADMIN = {"role": "admin", "subject": "admin-1"}
CLERK = {"role": "clerk", "subject": "clerk-7"}
GATEWAY = {"role": "gateway", "subject": "unionpay"}
PERSON_ID = make_resident_id("510104", date(1990, 5, 1), 123)
BUSINESS_ID = make_credit_code("510100", "MA6CABCD")
PERSON = {"party_id": PERSON_ID, "kind": "person", "name": "张小三"}
BUSINESS = {"party_id": BUSINESS_ID, "kind": "business", "name": "成都市锦江区蜀味餐饮有限公司"}
CITIZEN = {"role": "citizen", "subject": PERSON_ID, "channel": "web"}
MATERIALS = [
    {"code": "LICENCE", "document_ref": "doc-licence"},
    {"code": "LAYOUT", "document_ref": "doc-layout"},
]


def item_terms(name: str = "食品经营许可", **overrides) -> dict:
    terms = {
        "name": name,
        "item_type": "administrative_licence",
        "department": "market-regulation",
        "level": "city",
        "region_code": "510100",
        "conditions": "有与经营食品相适应的场所",
        "materials": [
            {"code": "LICENCE", "name": "营业执照", "required": True},
            {"code": "LAYOUT", "name": "经营场所平面图", "required": True},
            {"code": "OTHER", "name": "其他材料", "required": False},
        ],
        "steps": ["申请", "受理", "审查", "决定"],
        "statutory_days": 20,
        "promised_days": 5,
        "fee_fen": 0,
        "legal_basis": "《中华人民共和国食品安全法》第三十五条",
        "licence_type": None,
        "licence_valid_days": None,
    }
    terms.update(overrides)
    return terms


@dataclass
class Created:
    items: list[str] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)
    payments: list[str] = field(default_factory=list)
    licences: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)


def run_full_day(app, *, suffix: str = "0001") -> Created:
    """Every kind of event, through the commands. `suffix` varies item codes between calls."""
    made = Created()
    free = f"510100-XK-{suffix}"
    paid = f"510100-XK-{suffix}F"
    app.publish_item(
        code=free, actor=ADMIN, **item_terms(licence_type="食品经营许可证", licence_valid_days=1825)
    )
    app.publish_item(code=paid, actor=ADMIN, **item_terms(name="户外广告设置许可", fee_fen=5000))
    app.revise_item(code=paid, actor=ADMIN, **item_terms(name="户外广告设施设置许可", fee_fen=5000))
    spare = f"510100-QT-{suffix}W"
    app.publish_item(code=spare, actor=ADMIN, **item_terms(name="临时占道许可", item_type="other"))
    app.withdraw_item(code=spare, actor=ADMIN, reason="合并到其他事项")
    made.items += [free, paid, spare]

    # A licence case through its whole life: materials, acceptance, suspension, extension, approval.
    case = app.submit_case(
        item_code=free, applicant=PERSON, channel="web", actor=CITIZEN, materials=MATERIALS[:1]
    )["case_id"]
    app.request_materials(case_id=case, codes=["LAYOUT"], note="请补充平面图", actor=CLERK)
    app.supplement_materials(case_id=case, materials=MATERIALS[1:], actor=CITIZEN)
    app.accept_case(case_id=case, actor=CLERK)
    app.assign_case(case_id=case, clerk_sub="clerk-7", actor=CLERK)
    app.suspend_case(case_id=case, reason="等待现场核查", actor=CLERK)
    app.extend_case(case_id=case, days=5, reason="需要专家评审", actor=CLERK)
    app.resume_case(case_id=case, actor=CLERK)
    app.extend_case(case_id=case, days=3, reason="补充核查", actor=CLERK)
    decided = app.decide_case(
        case_id=case, outcome="approved", legal_basis="食品安全法", actor=CLERK
    )
    app.rate_case(case_id=case, score=5, comment="办事快", actor=CITIZEN)
    made.cases.append(case)
    licence = decided["licence_number"]
    made.licences.append(licence)
    app.suspend_licence(licence_number=licence, reason="整改期间", actor=CLERK)
    app.resume_licence(licence_number=licence, reason="整改完成", actor=CLERK)
    app.renew_licence(licence_number=licence, actor=CLERK)

    # A case with a fee: accepted, paid, approved.
    fee_case = app.submit_case(
        item_code=paid, applicant=BUSINESS, channel="hall", actor=CLERK, materials=MATERIALS
    )["case_id"]
    app.accept_case(case_id=fee_case, actor=CLERK)
    fee = app.repository.get(UUID(fee_case)).fee_payment_id
    app.settle_payment(
        payment_id=fee,
        channel="unionpay",
        transaction_ref=f"TX-{suffix}-1",
        amount_fen=5000,
        actor=GATEWAY,
    )
    app.refund_payment(payment_id=fee, amount_fen=1000, reason="多收费用退还", actor=CLERK)
    app.decide_case(case_id=fee_case, outcome="approved", actor=CLERK)
    made.cases.append(fee_case)
    made.payments.append(str(fee))

    # Refused, rejected and withdrawn cases.
    refused = app.submit_case(item_code=free, applicant=PERSON, channel="app", actor=CITIZEN)[
        "case_id"
    ]
    app.reject_acceptance(
        case_id=refused, reason="不属于本部门职责", legal_basis=legal_basis.REFUSAL, actor=CLERK
    )
    rejected = app.submit_case(
        item_code=free, applicant=BUSINESS, channel="kiosk", actor=CLERK, materials=MATERIALS
    )["case_id"]
    app.accept_case(case_id=rejected, actor=CLERK)
    app.decide_case(
        case_id=rejected,
        outcome="rejected",
        reasons="场所不符合要求",
        legal_basis="《食品经营许可管理办法》第十二条",
        actor=CLERK,
    )
    withdrawn = app.submit_case(item_code=free, applicant=PERSON, channel="wechat", actor=CITIZEN)[
        "case_id"
    ]
    app.withdraw_case(case_id=withdrawn, reason="不再需要", actor=CITIZEN)
    made.cases += [refused, rejected, withdrawn]

    # A charge, cancelled; a violation contested and annulled; another upheld and paid.
    charge = app.request_charge(
        amount_fen=2000,
        payer_party_id=PERSON_ID,
        due_date=date(2030, 1, 31),
        actor=CLERK,
        case_id=case,
    )["payment_id"]
    app.cancel_payment(payment_id=charge, reason="开错收费", actor=CLERK)
    made.payments.append(charge)
    happened = datetime(2026, 11, 1, 9, tzinfo=timezone(timedelta(hours=8)))
    for outcome, ref in (("annulled", None), ("upheld", f"TX-{suffix}-2")):
        recorded = app.record_violation(
            party_id=BUSINESS_ID,
            party_name=BUSINESS["name"],
            description="占道经营",
            location="成都市锦江区春熙路",
            region_code="510104",
            occurred_at=happened,
            fine_fen=20000,
            legal_basis="城市管理条例",
            department="market-regulation",
            actor=CLERK,
        )
        violation, fine = recorded["violation_id"], recorded["payment_id"]
        if ref:
            app.settle_payment(
                payment_id=fine,
                channel="alipay",
                transaction_ref=ref,
                amount_fen=20000,
                actor=GATEWAY,
            )
        app.contest_violation(violation_id=violation, reason="我有异议", actor=CITIZEN)
        app.resolve_violation(violation_id=violation, outcome=outcome, reason="复核", actor=CLERK)
        made.violations.append(violation)
        made.payments.append(fine)
    return made
