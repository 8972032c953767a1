from __future__ import annotations

import random
from datetime import date

import pytest

from domain.demo import TEMPLATES, DemoSeeder, business, catalogue, person
from domain.identifiers import is_credit_code, is_resident_id, region_level
from domain.model.case import Case
from domain.model.service_item import ITEM_CODE
from domain.reference import CITIES, DEPARTMENTS
from domain.services import Casetrack


def seeded(seed: int, cases: int):
    app = Casetrack({"CASETRACK_EVENT_STORE": "memory://"})
    seeder = DemoSeeder(app, seed=seed, start=date(2025, 1, 2), end=date(2025, 12, 31))
    steps = list(seeder.run(cases=cases))
    return app, seeder, steps


def test_the_demo_covers_the_21_prefecture_level_divisions_of_sichuan():
    codes = [code for code, _, _ in CITIES]
    assert len(codes) == len(set(codes)) == 21
    assert all(code.startswith("51") and region_level(code) == "city" for code in codes)
    assert {"510100", "513400"} <= set(codes)


def test_the_catalogue_has_at_least_100_valid_items_across_departments():
    specs = list(catalogue(random.Random(1)))
    assert len(specs) >= 100
    assert len({s["code"] for s in specs}) == len(specs)
    assert all(ITEM_CODE.match(s["code"]) and s["code"].startswith(s["region_code"]) for s in specs)
    assert {s["department"] for s in specs} == {t.department for t in TEMPLATES} == set(DEPARTMENTS)


def test_generated_people_and_businesses_have_valid_identifiers_and_chinese_names():
    rng = random.Random(5)
    people = [person(rng) for _ in range(300)]
    firms = [business(rng) for _ in range(300)]
    assert all(is_resident_id(p["party_id"]) and 2 <= len(p["name"]) <= 3 for p in people)
    assert all(is_credit_code(b["party_id"]) and b["name"].endswith("有限公司") for b in firms)


def test_seeding_drives_the_commands_through_whole_lifecycles():
    app, seeder, steps = seeded(seed=7, cases=120)
    try:
        progress = steps[-1]
        assert len(steps) == progress.cases == 120
        assert progress.items >= 100 and progress.violations == 12
        assert progress.licences > 0 and progress.payments > 0
        assert sum(progress.statuses.values()) == 120
        assert {"approved", "rejected", "refused"} <= set(progress.statuses)
        assert progress.commands > 120 * 3
    finally:
        app.close()


def test_the_same_seed_gives_the_same_data():
    first, _, steps1 = seeded(seed=11, cases=40)
    second, _, steps2 = seeded(seed=11, cases=40)
    try:

        def cases(app):
            found = []
            for event in app.read_log(after=0, limit=100000):
                if event.topic.endswith("Case.CaseSubmitted"):
                    case = app.repository.get(event.originator_id)
                    assert isinstance(case, Case)
                    found.append(
                        (
                            case.case_number,
                            case.status,
                            case.applicant["name"],
                            case.item["code"],
                            case.submitted_at,
                            case.version,
                        )
                    )
            return found

        assert steps1[-1] == steps2[-1]
        assert cases(first) == cases(second) and len(cases(first)) == 40
        assert first.max_position() == second.max_position()
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("seed", [1, 2])
def test_another_seed_gives_other_data(seed):
    assert list(catalogue(random.Random(seed))) != list(catalogue(random.Random(seed + 100)))
