from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from domain.errors import IllegalTransition, RuleBroken
from domain.model.licence import Licence, licence_id

from .conftest import APPLICANT, CLERK, at


def licence(valid_days: int | None = 365) -> Licence:
    return Licence.issue(
        number="SCL-2025-510100-00000001",
        holder=APPLICANT,
        item_code="510100-XK-0001",
        item_name="食品经营许可",
        licence_type="食品经营许可证",
        case_id=uuid4(),
        valid_days=valid_days,
        department="market-regulation",
        region_code="510100",
        actor=CLERK,
        timestamp=at(2025, 10, 10),
    )


def test_a_licence_id_is_derived_from_its_number():
    assert licence().id == licence_id("SCL-2025-510100-00000001")


def test_an_issued_licence_is_valid_until_the_end_of_its_validity():
    lic = licence(365)
    assert (lic.valid_from, lic.valid_until) == (date(2025, 10, 10), date(2026, 10, 9))
    assert lic.state(at(2026, 10, 9, 23)) == "valid"
    assert lic.state(at(2026, 10, 10, 0)) == "expired"


def test_a_licence_without_expiry_stays_valid_and_cannot_be_renewed():
    lic = licence(None)
    assert lic.valid_until is None and lic.state(at(2099, 1, 1)) == "valid"
    with pytest.raises(RuleBroken, match="does not expire"):
        lic.renew(actor=CLERK)


def test_renewal_extends_from_the_current_end_or_from_today_when_expired():
    lic = licence(365)
    lic.renew(actor=CLERK, timestamp=at(2026, 9, 1))
    assert lic.valid_until == date(2027, 10, 9)
    expired = licence(365)
    expired.renew(actor=CLERK, timestamp=at(2027, 1, 1))
    assert expired.valid_until == date(2027, 12, 31)
    assert expired.state(at(2027, 6, 1)) == "valid"


def test_a_suspended_licence_verifies_as_suspended_until_resumed():
    lic = licence()
    lic.suspend(reason="整改", actor=CLERK)
    assert lic.state(at(2025, 11, 1)) == "suspended"
    with pytest.raises(IllegalTransition, match="'suspended'"):
        lic.renew(actor=CLERK)
    lic.resume(actor=CLERK)
    assert lic.state(at(2025, 11, 1)) == "valid"


def test_a_revoked_licence_is_revoked_for_ever():
    lic = licence()
    lic.revoke(reason="以欺骗手段取得", actor=CLERK)
    assert lic.state(at(2025, 11, 1)) == "revoked"
    for attempt in (
        lambda: lic.resume(actor=CLERK),
        lambda: lic.suspend(reason="x", actor=CLERK),
        lambda: lic.renew(actor=CLERK),
        lambda: lic.revoke(reason="x", actor=CLERK),
    ):
        with pytest.raises(IllegalTransition, match="'revoked'"):
            attempt()


def test_public_verification_masks_a_persons_name_and_id():
    view = licence().public_view(at(2025, 11, 1))
    assert view["holder"]["name"] == "张*三" and view["holder"]["party_id"].startswith("*" * 14)
    assert view["state"] == "valid" and view["licence_number"] == "SCL-2025-510100-00000001"
