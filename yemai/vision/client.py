"""The worker's client of the Yemai API: it raises cases like any machine client.

``POST /api/cases`` with a bearer token (``yemai tokens create``, a centre-operator account)
and an ``Idempotency-Key`` made of camera, zone and track: a retry — or another worker that
takes the camera over and finds the alarm unsent — gets the same case back, never a second
one. The evidence pictures follow through ``POST /api/cases/{id}/photos`` (the API keeps one
copy of a picture sent twice).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass


class ApiError(Exception):
    def __init__(self, status: int, body: str):
        super().__init__(f"HTTP {status}: {body[:200]}")
        self.status = status
        self.body = body


@dataclass
class CaseApi:
    base_url: str
    token: str
    timeout_s: float = 20.0

    def __post_init__(self):
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"the API address must be http(s)://, not {self.base_url!r}")

    def _request(self, method: str, path: str, body: bytes | None, headers: dict) -> dict:
        request = urllib.request.Request(  # noqa: S310 — http(s) only, checked above
            self.base_url.rstrip("/") + path,
            data=body,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/json",
                **headers,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310 — as above
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise ApiError(exc.code, exc.read().decode("utf-8", "replace")) from None

    def case_report(self, payload: dict, idempotency_key: str) -> dict:
        return self._request(
            "POST",
            "/api/cases",
            json.dumps(payload).encode(),
            {"Content-Type": "application/json", "Idempotency-Key": idempotency_key},
        )

    def photo_add(self, case_id: int, jpeg: bytes, name: str, kind: str = "evidence") -> dict:
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\n{kind}\r\n'.encode(),
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{name}"\r\nContent-Type: image/jpeg\r\n\r\n'
            ).encode()
            + jpeg
            + b"\r\n",
            f"--{boundary}--\r\n".encode(),
        ]
        return self._request(
            "POST",
            f"/api/cases/{case_id}/photos",
            b"".join(parts),
            {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
