"""Pure parts of the channels and preferences: the Aliyun RPC signature (Alibaba Cloud's own
documented example), and the validation of addresses and numbers."""

from __future__ import annotations

import pytest

from consumers.notify.sms import rpc_signature
from domain.errors import InvalidInput
from domain.model.preferences import validate_preferences


def test_aliyun_signature_matches_the_documented_example() -> None:
    # Alibaba Cloud SMS, "HTTP protocol and signature": the example request and its signature.
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert rpc_signature(params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_preferences_are_validated() -> None:
    assert validate_preferences(
        "en", {"email": True, "sms": True}, "zhang.san@example.cn", "+86 138-0013-8000"
    ) == ("en", {"email": True, "sms": True}, "zhang.san@example.cn", "13800138000")
    for language, channels, email, phone, field in (
        ("fr", {}, None, None, "language"),
        ("en", {"email": True}, None, None, "email"),
        ("en", {}, "not-an-address", None, "email"),
        ("en", {}, None, "12345", "phone"),
        ("en", {"sms": True}, None, None, "phone"),
        ("en", {"fax": True}, None, None, "channels"),
    ):
        with pytest.raises(InvalidInput) as caught:
            validate_preferences(language, channels, email, phone)
        assert caught.value.field == field
