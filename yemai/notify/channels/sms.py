"""SMS (短信) through a provider: only pre-approved templates, with an approved signature.

One interface, ``SmsProvider.send(template, phone, params)``; two request builders that follow
the providers' documented HTTP APIs, so no SDK is needed:

- Aliyun (阿里云短信, ``dysmsapi`` 2017-05-25): RPC style, ``SignatureMethod=HMAC-SHA1``
  over the sorted, percent-encoded parameters (POP signature version 1.0).
- Tencent Cloud (腾讯云短信, API 3.0, 2021-01-11): JSON body, ``TC3-HMAC-SHA256``.

Channel config::

    {"provider": "aliyun", "sign_name": "叶脉", "region": "cn-hangzhou",
     "endpoint": "https://dysmsapi.aliyuncs.com/",          # optional
     "templates": {"case.assigned": "SMS_123456789"}}
    secrets: {"access_key_id": "…", "access_key_secret": "…"}

    {"provider": "tencent", "sign_name": "叶脉", "sdk_app_id": "1400000000",
     "region": "ap-guangzhou", "endpoint": "https://sms.tencentcloudapi.com/",
     "templates": {"case.assigned": {"id": "1234567", "params": ["number", "title"]}}}
    secrets: {"secret_id": "…", "secret_key": "…"}

Tencent templates take positional parameters ({1}, {2} …): ``params`` names their order.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
import urllib.parse
import uuid

from django.utils.translation import gettext as _

from yemai.core.masking import mask_phone

from .base import ChannelBackend, DeliveryError, http_post, parse_json

ALIYUN_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
TENCENT_ENDPOINT = "https://sms.tencentcloudapi.com/"


class SmsProvider:
    """Sends one approved template to one phone; raises ``DeliveryError``."""

    def __init__(self, config: dict, secrets: dict):
        self.config = config
        self.secrets = secrets

    def send(self, template: str, phone: str, params: dict) -> None:
        raise NotImplementedError

    def _secret(self, key: str) -> str:
        value = self.secrets.get(key)
        if not value:
            raise DeliveryError(
                _("The channel has no secret %(key)s") % {"key": key}, retryable=False
            )
        return value


# --- Aliyun ---------------------------------------------------------------------------------


def pop_encode(value: str) -> str:
    """Percent-encoding of the POP signature: RFC 3986 unreserved characters stay, space is
    %20, ``*`` is %2A, ``~`` stays."""
    return urllib.parse.quote(str(value), safe="~")


def aliyun_string_to_sign(method: str, params: dict[str, str]) -> str:
    query = "&".join(
        f"{pop_encode(k)}={pop_encode(v)}" for k, v in sorted(params.items()) if k != "Signature"
    )
    return f"{method}&{pop_encode('/')}&{pop_encode(query)}"


def aliyun_signature(method: str, params: dict[str, str], access_key_secret: str) -> str:
    """base64(HMAC-SHA1(key = secret + "&", string to sign))."""
    string_to_sign = aliyun_string_to_sign(method, params)
    digest = hmac.new(
        f"{access_key_secret}&".encode(), string_to_sign.encode(), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode()


# Flow control and service trouble pass; a wrong number, template or key does not.
ALIYUN_RETRYABLE_PREFIXES = ("isv.BUSINESS_LIMIT_CONTROL", "Throttling", "ServiceUnavailable")
ALIYUN_RETRYABLE = {"InternalError", "isp.SYSTEM_ERROR", "isp.RAM_PERMISSION_DENY_TEMP"}


class AliyunSms(SmsProvider):
    def request_params(self, template: str, phone: str, params: dict) -> dict[str, str]:
        return {
            "AccessKeyId": self._secret("access_key_id"),
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": phone,
            "RegionId": self.config.get("region") or "cn-hangzhou",
            "SignName": self.config.get("sign_name", ""),
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": template,
            "TemplateParam": json.dumps({k: str(v) for k, v in params.items()}, ensure_ascii=False),
            "Timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }

    def send(self, template: str, phone: str, params: dict) -> None:
        query = self.request_params(template, phone, params)
        query["Signature"] = aliyun_signature("POST", query, self._secret("access_key_secret"))
        body = "&".join(f"{pop_encode(k)}={pop_encode(v)}" for k, v in query.items()).encode()
        _status, raw = http_post(
            self.config.get("endpoint") or ALIYUN_ENDPOINT,
            body,
            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        answer = parse_json(raw)
        code = str(answer.get("Code", ""))
        if code == "OK":
            return
        raise DeliveryError(
            _("SMS to %(phone)s refused: %(code)s %(message)s")
            % {
                "phone": mask_phone(phone),
                "code": code or "-",
                "message": str(answer.get("Message", ""))[:200],
            },
            retryable=code in ALIYUN_RETRYABLE or code.startswith(ALIYUN_RETRYABLE_PREFIXES),
        )


# --- Tencent Cloud --------------------------------------------------------------------------

TENCENT_VERSION = "2021-01-11"


def tc3_signature(
    *,
    secret_key: str,
    service: str,
    host: str,
    timestamp: int,
    payload: str,
    content_type: str = "application/json; charset=utf-8",
) -> str:
    """TC3-HMAC-SHA256 of a POST to ``/`` signing the content-type and host headers."""
    hashed_payload = hashlib.sha256(payload.encode()).hexdigest()
    canonical_request = (
        f"POST\n/\n\ncontent-type:{content_type}\nhost:{host}\n\n"
        f"content-type;host\n{hashed_payload}"
    )
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = (
        f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n"
        f"{hashlib.sha256(canonical_request.encode()).hexdigest()}"
    )

    def sign(key: bytes, message: str) -> bytes:
        return hmac.new(key, message.encode(), hashlib.sha256).digest()

    key = sign(sign(sign(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


TENCENT_RETRYABLE_PREFIXES = ("LimitExceeded", "InternalError", "RequestLimitExceeded")


class TencentSms(SmsProvider):
    def request(
        self, template: str, phone: str, params: list[str], timestamp: int
    ) -> tuple[str, bytes, dict[str, str]]:
        url = self.config.get("endpoint") or TENCENT_ENDPOINT
        host = urllib.parse.urlsplit(url).netloc
        payload = json.dumps(
            {
                "PhoneNumberSet": [phone if phone.startswith("+") else f"+86{phone}"],
                "SmsSdkAppId": str(self.config.get("sdk_app_id", "")),
                "SignName": self.config.get("sign_name", ""),
                "TemplateId": str(template),
                "TemplateParamSet": [str(p) for p in params],
            },
            ensure_ascii=False,
        )
        content_type = "application/json; charset=utf-8"
        signature = tc3_signature(
            secret_key=self._secret("secret_key"),
            service="sms",
            host=host,
            timestamp=timestamp,
            payload=payload,
            content_type=content_type,
        )
        date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
        headers = {
            "Authorization": (
                f"TC3-HMAC-SHA256 Credential={self._secret('secret_id')}/{date}/sms/tc3_request, "
                f"SignedHeaders=content-type;host, Signature={signature}"
            ),
            "Content-Type": content_type,
            "Host": host,
            "X-TC-Action": "SendSms",
            "X-TC-Version": TENCENT_VERSION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": self.config.get("region") or "ap-guangzhou",
        }
        return url, payload.encode(), headers

    def send(self, template: str, phone: str, params: dict | list) -> None:
        ordered = list(params.values()) if isinstance(params, dict) else list(params)
        url, body, headers = self.request(template, phone, ordered, int(time.time()))
        answer = parse_json(http_post(url, body, headers)[1]).get("Response") or {}
        error = answer.get("Error")
        statuses = answer.get("SendStatusSet") or []
        if not error and statuses and all(s.get("Code") == "Ok" for s in statuses):
            return
        code = str((error or (statuses[0] if statuses else {})).get("Code", "")) or "-"
        message = str((error or (statuses[0] if statuses else {})).get("Message", ""))
        raise DeliveryError(
            _("SMS to %(phone)s refused: %(code)s %(message)s")
            % {"phone": mask_phone(phone), "code": code, "message": message[:200]},
            retryable=code.startswith(TENCENT_RETRYABLE_PREFIXES),
        )


PROVIDERS: dict[str, type[SmsProvider]] = {"aliyun": AliyunSms, "tencent": TencentSms}


class Sms(ChannelBackend):
    """A notice to a phone through the channel's provider, as one of its approved templates."""

    def provider(self) -> SmsProvider:
        cls = PROVIDERS.get(self.config.get("provider", ""))
        if cls is None:
            raise DeliveryError(_("Unknown SMS provider"), retryable=False)
        return cls(self.config, self.secrets)

    def send(self, notice) -> None:
        if not notice.phone:
            raise DeliveryError(_("The notice has no phone number"), retryable=False)
        entry = (self.config.get("templates") or {}).get(notice.template)
        if isinstance(entry, dict):
            template_id, order = entry.get("id"), entry.get("params")
        else:
            template_id, order = entry, None
        if not template_id:
            raise DeliveryError(
                _("No approved SMS template for %(template)s in the channel settings")
                % {"template": notice.template},
                retryable=False,
            )
        params = notice.params or {}
        if order:
            params = {name: params.get(name, "") for name in order}
        self.provider().send(str(template_id), notice.phone, params)
