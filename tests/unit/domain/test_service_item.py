from __future__ import annotations

import pytest

from domain.errors import IllegalTransition, InvalidInput
from domain.model.service_item import ServiceItem, item_id

from .conftest import ADMIN, item_terms, publish_item


def test_an_items_id_is_derived_from_its_code():
    item = publish_item("510100-XK-0001")
    assert item.id == item_id("510100-XK-0001")
    assert item.id != item_id("510100-XK-0002")


def test_a_published_item_has_revision_one_and_its_department():
    item = publish_item()
    assert (item.status, item.revision, item.department) == ("published", 1, "market-regulation")
    event = item.collect_events()[0]
    assert type(event).__name__ == "ItemPublished"
    assert event.actor == ADMIN and event.department == "market-regulation"


@pytest.mark.parametrize(
    "code", ["510100-XK-001", "510100-xk-0001", "51010-XK-0001", "510100-XK-000000001"]
)
def test_a_malformed_code_is_refused_with_the_field_named(code):
    with pytest.raises(InvalidInput) as err:
        ServiceItem.publish(code=code, actor=ADMIN, **item_terms())
    assert err.value.field == "code"


def test_the_code_must_start_with_the_items_region():
    with pytest.raises(InvalidInput) as err:
        ServiceItem.publish(code="510700-XK-0001", actor=ADMIN, **item_terms())
    assert err.value.field == "code"


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"promised_days": 30}, "promised_days"),
        ({"statutory_days": 0}, "statutory_days"),
        ({"fee_fen": -1}, "fee_fen"),
        ({"item_type": "magic"}, "item_type"),
        ({"level": "county"}, "region_code"),
        ({"department": "Market Regulation"}, "department"),
        ({"name": " "}, "name"),
        ({"licence_valid_days": 365}, "licence_valid_days"),
        (
            {"materials": [{"code": "A", "name": "a"}, {"code": "A", "name": "b"}]},
            "materials[1].code",
        ),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_terms_are_refused_with_the_field_named(override, field):
    with pytest.raises(InvalidInput) as err:
        publish_item(**override)
    assert err.value.field == field


def test_a_revision_replaces_the_terms_and_counts_up():
    item = publish_item()
    item.revise(actor=ADMIN, **item_terms(fee_fen=5000, promised_days=3))
    assert (item.revision, item.fee_fen, item.terms["promised_days"]) == (2, 5000, 3)
    assert [type(e).__name__ for e in item.collect_events()] == ["ItemPublished", "ItemRevised"]


def test_a_revision_cannot_move_the_item_to_another_department():
    item = publish_item()
    with pytest.raises(InvalidInput) as err:
        item.revise(actor=ADMIN, **item_terms(department="housing"))
    assert err.value.field == "department"


def test_a_withdrawn_item_can_be_neither_revised_nor_withdrawn_again():
    item = publish_item()
    item.withdraw(actor=ADMIN, reason="merged into 510100-XK-0002")
    with pytest.raises(IllegalTransition, match="withdrawn"):
        item.revise(actor=ADMIN, **item_terms())
    with pytest.raises(IllegalTransition):
        item.withdraw(actor=ADMIN)


def test_a_withdrawn_item_takes_no_new_case():
    item = publish_item()
    item.withdraw(actor=ADMIN)
    with pytest.raises(InvalidInput) as err:
        item.check_takes_cases()
    assert err.value.field == "item_code"


def test_case_terms_record_the_version_and_revision_of_the_item():
    item = publish_item()
    item.revise(actor=ADMIN, **item_terms(fee_fen=100))
    terms = item.case_terms()
    assert (terms["version"], terms["revision"], terms["fee_fen"]) == (2, 2, 100)
    assert terms["item_id"] == str(item.id)


def test_an_actor_without_role_or_subject_is_refused():
    with pytest.raises(InvalidInput) as err:
        ServiceItem.publish(code="510100-XK-0001", actor={"role": "admin"}, **item_terms())
    assert err.value.field == "actor.subject"
    with pytest.raises(InvalidInput) as err:
        ServiceItem.publish(
            code="510100-XK-0001", actor={"role": "king", "subject": "x"}, **item_terms()
        )
    assert err.value.field == "actor.role"
