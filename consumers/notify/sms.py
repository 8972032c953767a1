"""SMS through a provider interface shaped like the Chinese providers' template-SMS APIs.

A provider sends a registered template (its id), the template's parameters and the sender's
registered signature to a mobile number, with our own reference for the send (`out_id`). Two
providers:

- `AliyunSms`: Alibaba Cloud SMS (`dysmsapi`, API version 2017-05-25): `SendSms` over HTTPS
  with the RPC signature (HMAC-SHA1 of the sorted, percent-encoded query). `OutId` carries our
  reference, so `find` asks `QuerySendDetails` whether a send with that reference was taken.
- `LocalSmsToMailbox`: for the local stack and the tests, it delivers the text into the local
  mail server as an e-mail to `<number>@sms.localhost` (headers name the template and
  signature). It is named for what it does: no message leaves the machine.

Provider codes: `OK` is taken; a refused number, template or signature is permanent; throttling
and the provider's own errors are temporary.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import quote

from consumers.notify.email import EmailChannel
from consumers.notify.outcome import DELIVERED, PERMANENT, SENT, TEMPORARY, SendResult


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    sign_name: str
    template_code: str
    params: dict[str, str]
    out_id: str  # our reference of this send, the same at every attempt
    text: str = ""  # the filled template, for providers that show it (the local one)
    sent_on: str = field(default="")  # YYYYMMDD in Asia/Shanghai, for lookups


class SmsProvider(Protocol):
    name: str

    def send(self, message: SmsMessage) -> SendResult: ...

    def find(self, message: SmsMessage) -> bool | None:
        """Whether a send with this `out_id` was taken; None when the provider cannot tell."""
        ...


# Alibaba Cloud SMS error codes that no retry will change.
ALIYUN_PERMANENT = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.SMS_SIGNATURE_ILLEGAL",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.TEMPLATE_PARAMS_ILLEGAL",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "isv.INVALID_PARAMETERS",
    }
)


def percent(value: str) -> str:
    """RFC 3986 encoding as the RPC signature wants it (space %20, `~` kept)."""
    return quote(value, safe="~")


def rpc_signature(params: dict[str, str], secret: str, method: str = "GET") -> str:
    canonical = "&".join(f"{percent(k)}={percent(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{percent('/')}&{percent(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms:
    name = "aliyun"
    ENDPOINT = "https://dysmsapi.aliyuncs.com/"

    def __init__(
        self, *, access_key_id: str, access_key_secret: str, timeout_s: float = 10.0
    ) -> None:
        if not access_key_id or not access_key_secret:
            raise ValueError("Aliyun SMS needs CASETRACK_ALIYUN_ACCESS_KEY_ID and _SECRET")
        self.access_key_id = access_key_id
        self.secret = access_key_secret
        self.timeout_s = timeout_s

    def _call(self, action: str, params: dict[str, str]) -> dict:
        query = {
            "AccessKeyId": self.access_key_id,
            "Action": action,
            "Format": "JSON",
            "RegionId": "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": str(uuid.uuid4()),
            "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
            **params,
        }
        query["Signature"] = rpc_signature(query, self.secret)
        url = self.ENDPOINT + "?" + "&".join(f"{percent(k)}={percent(v)}" for k, v in query.items())
        with urllib.request.urlopen(url, timeout=self.timeout_s) as response:  # noqa: S310 (https only)
            return json.loads(response.read())

    def send(self, message: SmsMessage) -> SendResult:
        try:
            answer = self._call(
                "SendSms",
                {
                    "PhoneNumbers": message.phone,
                    "SignName": message.sign_name,
                    "TemplateCode": message.template_code,
                    "TemplateParam": json.dumps(message.params, ensure_ascii=False),
                    "OutId": message.out_id,
                },
            )
        except urllib.error.HTTPError as exc:
            return SendResult(
                TEMPORARY if exc.code >= 500 or exc.code == 429 else PERMANENT,
                message.out_id,
                f"http {exc.code}",
            )
        except (OSError, ValueError) as exc:
            return SendResult(TEMPORARY, message.out_id, type(exc).__name__)
        code = answer.get("Code", "")
        if code == "OK":
            return SendResult(SENT, answer.get("BizId") or message.out_id)
        return SendResult(
            PERMANENT if code in ALIYUN_PERMANENT else TEMPORARY, message.out_id, code
        )

    def find(self, message: SmsMessage) -> bool | None:
        try:
            answer = self._call(
                "QuerySendDetails",
                {
                    "PhoneNumber": message.phone,
                    "SendDate": message.sent_on,
                    "PageSize": "50",
                    "CurrentPage": "1",
                },
            )
        except (OSError, ValueError):
            return None
        if answer.get("Code") != "OK":
            return None
        details = (answer.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
        return any(d.get("OutId") == message.out_id for d in details)


class LocalSmsToMailbox:
    """Texts delivered as e-mails into the local mail server: `<number>@sms.localhost`."""

    name = "local"
    DOMAIN = "sms.localhost"

    def __init__(self, mail: EmailChannel) -> None:
        self.mail = mail

    def _message_id(self, message: SmsMessage) -> str:
        return f"<{message.out_id}@casetrack>"

    def send(self, message: SmsMessage) -> SendResult:
        result = self.mail.send(
            to=f"{message.phone}@{self.DOMAIN}",
            subject=f"SMS {message.template_code}",
            body=f"【{message.sign_name}】{message.text}",
            message_id=self._message_id(message),
            headers={
                "X-Sms-Template": message.template_code,
                "X-Sms-Sign-Name": message.sign_name,
                "X-Sms-Params": json.dumps(message.params, ensure_ascii=False),
            },
        )
        if result.status == SENT:  # in the (local) handset's mailbox: a delivery receipt
            return SendResult(DELIVERED, message.out_id)
        return SendResult(result.status, message.out_id, result.error)

    def find(self, message: SmsMessage) -> bool | None:
        return self.mail.find(self._message_id(message))
