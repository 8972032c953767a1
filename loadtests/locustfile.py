"""Locust scenarios against the HTTP API of docs/api.md (a separate process, never inside pytest).

    make run                     # the API on :8000 with the relay and the projectors
    make load                    # this mixed scenario, headless, 2 minutes, CSV stats in loadtests/results/
    .venv/bin/locust -f loadtests/locustfile.py --host http://127.0.0.1:8000   # the web UI

Users (weights): citizens applying, searching and reading their cases (10); clerks working
cases of their department and region through their lifecycle (4); the payment gateway
settling fees, sometimes sending the same transaction again (1); auditors reading streams and
the global feed (1); analysts running aggregations (1). Tokens come from the development
endpoint `POST /api/v1/dev/tokens`. Only legal requests are sent: any failure is a finding.

Only the HTTP contract is used (plus the check-digit rule of identity numbers, to make valid
ones), so the scenarios run against any deployment.

Rate limits (docs/api.md): the server decides them. Every user has a token of its own and
sends about one request a second, far below the per-`sub` limits; only the tokens and the
catalogue at the start are anonymous, from one address. For more users than `make run`'s
anonymous limit admits (600 a minute), raise it where the server starts:
`CASETRACK_RATE_LIMIT_ANONYMOUS=100000/second make run`. A 429 counts as a failure.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections import defaultdict, deque
from datetime import date, timedelta

from locust import HttpUser, between, events, task

from domain import legal_basis

API = "/api/v1"
HOT_ITEMS = 6  # citizens apply for these, so the clerks of their departments find work

_lock = threading.Lock()
_items: list[dict] = []
_queues: dict[str, deque] = defaultdict(
    lambda: deque(maxlen=500)
)  # item code -> submitted case ids
_payments: deque = deque(maxlen=500)  # (payment_id, amount_fen) to settle
_settled: set[str] = set()
_case_ids: deque = deque(maxlen=2000)  # for auditors
_regions = [
    "510104",
    "510105",
    "510106",
    "510107",
    "510108",
    "510116",
    "510302",
    "510402",
    "510703",
]


# ------------------------------------------------------------------ identities


def resident_id(rng: random.Random, region: str) -> str:
    """An 18-character resident identity number with a valid GB 11643 check digit."""
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
    first17 = f"{region}{born:%Y%m%d}{rng.randrange(1000):03d}"
    total = sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(first17))
    return first17 + "10X98765432"[total % 11]


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


# ------------------------------------------------------------------ shared set-up


@events.test_start.add_listener
def load_catalogue(environment, **_kwargs) -> None:
    """The catalogue is public: learn the items (codes, materials, fees) once."""
    import requests

    host = environment.host or "http://127.0.0.1:8000"
    answer = requests.get(f"{host}{API}/catalog/items", params={"size": 100}, timeout=30)
    answer.raise_for_status()
    items = [i for i in answer.json()["items"] if i.get("status", "active") != "withdrawn"]
    if not items:
        raise RuntimeError(
            "the catalogue is empty: seed the store first (make run seeds demo data)"
        )
    random.Random(7).shuffle(items)
    # The hot items: half with a fee (the gateway settles it), half without.
    paid = [i for i in items if (i.get("fee_fen") or 0) > 0][: HOT_ITEMS // 2]
    free = [i for i in items if not (i.get("fee_fen") or 0)][: HOT_ITEMS - len(paid)]
    hot = paid + free
    with _lock:
        _items[:] = hot + [i for i in items if i not in hot]


def _hot_item(rng: random.Random) -> dict:
    return rng.choice(_items[:HOT_ITEMS])


class ApiUser(HttpUser):
    abstract = True
    wait_time = between(0.5, 2.0)
    role = ""

    def claims(self) -> dict:
        return {}

    def on_start(self) -> None:
        self.rng = random.Random()
        self.sub = f"{self.role}-load-{uuid.uuid4().hex[:8]}"
        answer = self.client.post(
            f"{API}/dev/tokens",
            json={"role": self.role, "sub": self.sub, **self.claims()},
            name="/dev/tokens",
        )
        self.client.headers["Authorization"] = f"Bearer {answer.json()['token']}"

    def get(self, path: str, name: str, **params):
        return self.client.get(API + path, params=params or None, name=name)

    def post(self, path: str, name: str, body: dict, *, key: str | None = None):
        headers = {"Idempotency-Key": key} if key else None
        return self.client.post(API + path, json=body, name=name, headers=headers)


# ------------------------------------------------------------------ the users


class Citizen(ApiUser):
    weight = 10
    role = "citizen"

    def claims(self) -> dict:
        self.party_id = resident_id(random.Random(), random.choice(_regions))
        self.name = _name(random.Random())
        return {"party_id": self.party_id}

    def on_start(self) -> None:
        super().on_start()
        self.mine: list[tuple[str, int]] = []  # (case id, position)

    @task(2)
    def apply(self) -> None:
        item = _hot_item(self.rng)
        materials = [
            {"code": m["code"], "document_ref": f"doc-{uuid.uuid4().hex[:10]}"}
            for m in item["materials"]
            if m.get("required")
        ]
        answer = self.post(
            "/cases",
            "/cases [submit]",
            {
                "item_code": item["code"],
                "applicant": {"party_id": self.party_id, "kind": "person", "name": self.name},
                "channel": self.rng.choice(["web", "app", "wechat"]),
                "materials": materials,
                "form": {"contact_phone": f"138{self.rng.randrange(10**8):08d}"},
            },
            key=uuid.uuid4().hex,
        )
        if answer.status_code == 201:
            body = answer.json()
            self.mine.append((body["case_id"], body["position"]))
            with _lock:
                _queues[item["code"]].append(body["case_id"])
                _case_ids.append(body["case_id"])

    @task(4)
    def my_cases(self) -> None:
        self.get("/me/cases", "/me/cases", size=20)

    @task(3)
    def read_my_case(self) -> None:
        if self.mine:
            case_id, position = self.rng.choice(self.mine)
            self.get(f"/cases/{case_id}", "/cases/{id}", consistent_after=position)

    @task(4)
    def search(self) -> None:
        item = self.rng.choice(_items)
        q = self.rng.choice([item["name"][:4], item["code"], self.name])
        self.get("/search", "/search", q=q)

    @task(1)
    def my_payments(self) -> None:
        self.get("/me/payments", "/me/payments")

    @task(1)
    def catalogue(self) -> None:
        self.get("/catalog/items", "/catalog/items", q=self.rng.choice(_items)["name"][:2])


class Clerk(ApiUser):
    weight = 4
    role = "clerk"

    def claims(self) -> dict:
        self.item = _hot_item(random.Random())
        return {"department": self.item["department"], "region_code": self.item["region_code"]}

    def _next_case(self) -> str | None:
        with _lock:
            queue = _queues[self.item["code"]]
            return queue.popleft() if queue else None

    @task(3)
    def worklist(self) -> None:
        self.get("/worklist", "/worklist", size=20)

    @task(4)
    def work_a_case(self) -> None:
        """Accept, assign, and decide (approve once the fee is settled, else reject)."""
        case_id = self._next_case()
        if case_id is None:
            return
        accepted = self.post(
            f"/cases/{case_id}/accept", "/cases/{id}/accept", {}, key=uuid.uuid4().hex
        )
        if accepted.status_code != 200:
            return
        payment_id = accepted.json().get("payment_id")
        if payment_id:
            with _lock:
                _payments.append((payment_id, self.item["fee_fen"]))
        self.post(f"/cases/{case_id}/assign", "/cases/{id}/assign", {"clerk_sub": self.sub})
        with _lock:
            settled = payment_id is None or payment_id in _settled
        outcome = "approved" if settled else "rejected"
        self.post(
            f"/cases/{case_id}/decide",
            "/cases/{id}/decide",
            {
                "outcome": outcome,
                "reasons": "经审查，符合法定条件" if settled else "经审查，不符合法定条件",
                "legal_basis": self.item.get("legal_basis") or legal_basis.REJECTION,
            },
        )

    @task(1)
    def search(self) -> None:
        self.get("/search", "/search", q=self.item["name"][:4], type="case", status="accepted")


class Gateway(ApiUser):
    weight = 1
    role = "gateway"
    wait_time = between(0.2, 1.0)

    @task
    def settle(self) -> None:
        with _lock:
            entry = _payments.popleft() if _payments else None
        if entry is None:
            return
        payment_id, amount = entry
        body = {
            "channel": self.rng.choice(["alipay", "wechat-pay", "unionpay"]),
            "transaction_ref": f"TX{uuid.uuid4().hex[:16].upper()}",
            "amount_fen": amount,
        }
        answer = self.post(f"/payments/{payment_id}/settle", "/payments/{id}/settle", body)
        if answer.status_code == 200:
            with _lock:
                _settled.add(payment_id)
            if (
                self.rng.random() < 0.3
            ):  # the gateway's retry: the same transaction again answers 200
                self.post(f"/payments/{payment_id}/settle", "/payments/{id}/settle [retry]", body)


class Auditor(ApiUser):
    weight = 1
    role = "auditor"

    def _case(self) -> str | None:
        with _lock:
            return self.rng.choice(_case_ids) if _case_ids else None

    @task(3)
    def stream(self) -> None:
        case_id = self._case()
        if case_id:
            self.get(f"/audit/streams/{case_id}/events", "/audit/streams/{id}/events")

    @task(1)
    def verify_stream(self) -> None:
        case_id = self._case()
        if case_id:
            self.get("/audit/verify", "/audit/verify?aggregate_id", aggregate_id=case_id)

    @task(2)
    def feed(self) -> None:
        self.get("/audit/events", "/audit/events", after=self.rng.randrange(1000), limit=100)


class Analyst(ApiUser):
    weight = 1
    role = "analyst"

    @task(3)
    def cases(self) -> None:
        self.get(
            "/analytics/cases",
            "/analytics/cases",
            group_by=self.rng.choice(["department", "item", "status", "channel", "region"]),
        )

    @task(1)
    def revenue(self) -> None:
        self.get(
            "/analytics/revenue",
            "/analytics/revenue",
            group_by=self.rng.choice(["department", "kind"]),
            interval=self.rng.choice(["day", "month"]),
        )

    @task(1)
    def search(self) -> None:
        self.get("/search", "/search [faceted]", department=self.rng.choice(_items)["department"])
