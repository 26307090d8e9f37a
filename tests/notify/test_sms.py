"""SMS providers: the signatures against the providers' own worked examples, and the requests
against a local stand-in for their endpoints."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import urllib.parse
from types import SimpleNamespace

import pytest

from yemai.notify.channels import DeliveryError
from yemai.notify.channels.sms import (
    AliyunSms,
    Sms,
    TencentSms,
    aliyun_signature,
    aliyun_string_to_sign,
    tc3_signature,
)

# Aliyun SMS, "HTTP 协议及签名" worked example (SendSms, GET, key testSecret).
ALIYUN_DOC_PARAMS = {
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
ALIYUN_DOC_STRING_TO_SIGN = (
    "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123"
    "%26PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF"
    "%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1%25E6%25B5%258B%25E8%25AF"
    "%2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce"
    "%3D45e25e9b-0a6f-4070-8c85-2956eda1b466%26SignatureVersion%3D1.0%26TemplateCode"
    "%3DSMS_71390007%26TemplateParam%3D%257B%2522customer%2522%253A%2522test%2522%257D"
    "%26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25"
)


def test_the_aliyun_signature_matches_the_documented_sms_example():
    assert aliyun_string_to_sign("GET", ALIYUN_DOC_PARAMS) == ALIYUN_DOC_STRING_TO_SIGN
    assert (
        aliyun_signature("GET", ALIYUN_DOC_PARAMS, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    )


def test_the_aliyun_signature_matches_the_documented_rpc_example():
    # The RPC signature guide's DescribeRegions example (ECS, key testsecret).
    params = {
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "Format": "XML",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "SignatureVersion": "1.0",
        "Timestamp": "2016-02-23T12:46:24Z",
        "Version": "2014-05-26",
    }
    assert aliyun_signature("GET", params, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_the_tencent_signature_matches_the_documented_example():
    # API 3.0 signature v3 guide: CVM DescribeInstances, POST, 2019-02-25.
    payload = (
        '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    )
    assert hashlib.sha256(payload.encode()).hexdigest() == (
        "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    )
    signature = tc3_signature(
        secret_key="Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
        service="cvm",
        host="cvm.tencentcloudapi.com",
        timestamp=1551113065,
        payload=payload,
    )
    assert signature == "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"


def independent_pop_signature(method: str, params: dict[str, str], secret: str) -> str:
    """Written from the guide's steps, not from the code under test."""

    def enc(value: str) -> str:
        return (
            urllib.parse.quote_plus(value.encode("utf-8"))
            .replace("+", "%20")
            .replace("*", "%2A")
            .replace("%7E", "~")
        )

    pairs = sorted((k, v) for k, v in params.items() if k != "Signature")
    canonical = "&".join(enc(k) + "=" + enc(v) for k, v in pairs)
    to_sign = method + "&" + enc("/") + "&" + enc(canonical)
    return base64.b64encode(
        hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    ).decode()


def aliyun_config(receiver, **extra):
    config = {
        "provider": "aliyun",
        "endpoint": f"{receiver.url}/",
        "sign_name": "叶脉网格",
        "templates": {"case.assigned": "SMS_465890123"},
    }
    config.update(extra)
    return config


ALIYUN_KEYS = {"access_key_id": "LTAI5tTestKeyId", "access_key_secret": "TestSecret0123456789"}


def sms_channel(config, secrets):
    return SimpleNamespace(kind="sms", config=config, secret_values=lambda: dict(secrets))


def sms_notice(phone="13812345678", params=None):
    return SimpleNamespace(
        pk=3,
        phone=phone,
        template="case.assigned",
        params=params or {"number": "ZH-0001", "place": "东门路 12 号"},
        text="…",
    )


def test_it_sends_an_aliyun_sendsms_request_signed_as_documented(receiver):
    receiver.answer_with((200, {"Code": "OK", "Message": "OK", "BizId": "9001"}))
    Sms(sms_channel(aliyun_config(receiver), ALIYUN_KEYS)).send(sms_notice())
    [request] = receiver.requests
    assert request.headers["content-type"].startswith("application/x-www-form-urlencoded")
    form = request.form
    assert form["Action"] == "SendSms" and form["Version"] == "2017-05-25"
    assert form["AccessKeyId"] == "LTAI5tTestKeyId"
    assert form["PhoneNumbers"] == "13812345678"
    assert form["SignName"] == "叶脉网格"
    assert form["TemplateCode"] == "SMS_465890123"
    assert json.loads(form["TemplateParam"]) == {"number": "ZH-0001", "place": "东门路 12 号"}
    assert form["SignatureMethod"] == "HMAC-SHA1" and form["SignatureVersion"] == "1.0"
    assert form["Format"] == "JSON" and form["RegionId"] == "cn-hangzhou"
    dt.datetime.strptime(form["Timestamp"], "%Y-%m-%dT%H:%M:%SZ")
    assert len(form["SignatureNonce"]) >= 16
    assert form["Signature"] == independent_pop_signature("POST", form, "TestSecret0123456789")
    assert "TestSecret0123456789" not in request.body.decode()


def test_each_aliyun_request_has_a_fresh_nonce(receiver):
    receiver.answer_with((200, {"Code": "OK"}))
    provider = AliyunSms(aliyun_config(receiver), ALIYUN_KEYS)
    provider.send("SMS_1", "13812345678", {})
    provider.send("SMS_1", "13812345678", {})
    nonces = {r.form["SignatureNonce"] for r in receiver.requests}
    assert len(nonces) == 2


@pytest.mark.parametrize(
    "code, retryable",
    [
        ("isv.MOBILE_NUMBER_ILLEGAL", False),
        ("isv.SMS_TEMPLATE_ILLEGAL", False),
        ("SignatureDoesNotMatch", False),
        ("isv.BUSINESS_LIMIT_CONTROL", True),
        ("Throttling.User", True),
        ("InternalError", True),
    ],
)
def test_aliyun_answers_say_whether_to_try_again(receiver, code, retryable):
    receiver.answer_with((200, {"Code": code, "Message": "x"}))
    with pytest.raises(DeliveryError) as info:
        Sms(sms_channel(aliyun_config(receiver), ALIYUN_KEYS)).send(sms_notice())
    assert info.value.retryable is retryable
    assert code in str(info.value)
    assert "13812345678" not in str(info.value) and "138****5678" in str(info.value)


def test_an_sms_template_without_an_approved_code_is_never_sent(receiver):
    config = aliyun_config(receiver, templates={"other": "SMS_1"})
    with pytest.raises(DeliveryError) as info:
        Sms(sms_channel(config, ALIYUN_KEYS)).send(sms_notice())
    assert not info.value.retryable and "case.assigned" in str(info.value)
    assert receiver.requests == []


def independent_tc3(secret_key, host, timestamp, body, content_type):
    def h(key, msg):
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{content_type}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(body).hexdigest(),
        ]
    )
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            f"{date}/sms/tc3_request",
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    key = h(h(h(("TC3" + secret_key).encode(), date), "sms"), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def tencent_config(receiver):
    return {
        "provider": "tencent",
        "endpoint": f"{receiver.url}/",
        "sign_name": "叶脉网格",
        "sdk_app_id": "1400006666",
        "region": "ap-guangzhou",
        "templates": {"case.assigned": {"id": "449739", "params": ["place", "number"]}},
    }


TENCENT_KEYS = {"secret_id": "AKIDtestsecretid", "secret_key": "testsecretkey0123"}


def test_it_sends_a_tencent_sendsms_request_signed_with_tc3(receiver):
    receiver.answer_with(
        (200, {"Response": {"SendStatusSet": [{"Code": "Ok", "Message": "send success"}]}})
    )
    Sms(sms_channel(tencent_config(receiver), TENCENT_KEYS)).send(sms_notice())
    [request] = receiver.requests
    headers = request.headers
    assert headers["x-tc-action"] == "SendSms" and headers["x-tc-version"] == "2021-01-11"
    assert headers["x-tc-region"] == "ap-guangzhou"
    assert request.json == {
        "PhoneNumberSet": ["+8613812345678"],
        "SmsSdkAppId": "1400006666",
        "SignName": "叶脉网格",
        "TemplateId": "449739",
        "TemplateParamSet": ["东门路 12 号", "ZH-0001"],  # in the template's order
    }
    timestamp = int(headers["x-tc-timestamp"])
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    expected = independent_tc3(
        "testsecretkey0123", headers["host"], timestamp, request.body, headers["content-type"]
    )
    assert headers["authorization"] == (
        f"TC3-HMAC-SHA256 Credential=AKIDtestsecretid/{date}/sms/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={expected}"
    )


@pytest.mark.parametrize(
    "answer, retryable",
    [
        ({"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "bad"}}, False),
        ({"Error": {"Code": "RequestLimitExceeded", "Message": "slow down"}}, True),
        (
            {"SendStatusSet": [{"Code": "LimitExceeded.PhoneNumberThirtySecondLimit"}]},
            True,
        ),
        ({"SendStatusSet": [{"Code": "InvalidParameterValue.IncorrectPhoneNumber"}]}, False),
    ],
)
def test_tencent_answers_say_whether_to_try_again(receiver, answer, retryable):
    receiver.answer_with((200, {"Response": answer}))
    provider = TencentSms(tencent_config(receiver), TENCENT_KEYS)
    with pytest.raises(DeliveryError) as info:
        provider.send("449739", "13812345678", ["a"])
    assert info.value.retryable is retryable
