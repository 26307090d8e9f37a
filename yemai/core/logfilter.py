"""A logging filter that masks ID numbers and mobile numbers in every log line.

Code should never log personal data; this is the net under it (a value in an exception
message, a query parameter in a 404 line).
"""

import logging
import re

from .masking import mask_id_number, mask_phone

_ID = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# A resident's one-time rating link is a credential: it stays out of request logs.
_RATING_LINK = re.compile(r"(/rate/)[A-Za-z0-9_\-]{16,}")


def mask_text(text: str) -> str:
    text = _ID.sub(lambda m: mask_id_number(m.group(0)), text)
    text = _RATING_LINK.sub(r"\1***", text)
    return _MOBILE.sub(lambda m: mask_phone(m.group(0)), text)


class MaskPersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 — a broken format string must not lose the record
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
