"""Message templates (通知模板): a code, and the text it renders with ``%(name)s`` params.

Apps register their own at import (``template_register("case.assigned", _("…"))``). SMS
channels map the same codes to their provider's pre-approved template ids instead.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

_templates: dict[str, object] = {}


def template_register(code: str, text) -> None:
    """Register (or replace) the text of template ``code``; ``text`` is usually lazy."""
    _templates[code] = text


def template_render(code: str, params: dict) -> str:
    """The template's text in the site language (notices go to people, not to a browser)."""
    if code not in _templates:
        raise ValidationError({"template": [_("Unknown template: %(code)s") % {"code": code}]})
    with translation.override(settings.LANGUAGE_CODE):
        text = str(_templates[code])
        try:
            return text % params if params or "%(" in text else text
        except KeyError as exc:
            missing = exc.args[0]
            raise ValidationError(
                {"params": [_("Missing parameter: %(name)s") % {"name": missing}]}
            ) from None
        except (TypeError, ValueError):
            raise ValidationError({"params": [_("Parameters do not fit the template")]}) from None


template_register(
    "notify.test",
    gettext_lazy("Yemai test message from channel %(channel)s: notices will reach you here."),
)
template_register("notify.digest", gettext_lazy("Yemai: %(count)s notices"))
