"""The Chinese (zh-Hans) translation: complete, consistent, compiled, and what a user sees.

Chinese is the default language; English comes on request (the language switch at
``/i18n/setlang/`` or an ``Accept-Language: en`` header on the API).
"""

from __future__ import annotations

import gettext
import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from yemai import settings as product_settings
from yemai.settings import BASE_DIR

MESSAGES = BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES"
PO = MESSAGES / "django.po"
MO = MESSAGES / "django.mo"

# printf-style (``%(name)s``, ``%(area).1f``, ``%s``) and str.format-style (``{0}``, ``{name}``).
_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")
_BRACES = re.compile(r"(?<!\{)\{[A-Za-z0-9_]*(?:![rsa])?(?::[^{}]*)?\}(?!\})")


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"django.po line {self.line}: {self.msgid!r}"


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    escapes = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), text[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file, header included, obsolete (``#~``) entries left out."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None
    keyword = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(\".*\")$")
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#"):
            if entry is not None and entry.msgstr:
                entries.append(entry)
                entry = None
            entry = entry or Entry(line=number)
            if line.startswith("#,"):
                entry.flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue
        match = keyword.match(line)
        if match:
            word, index, text = match.group(1), match.group(2), _unquote(match.group(3))
            if word in ("msgctxt", "msgid") and entry is not None and entry.msgstr:
                entries.append(entry)
                entry = None
            entry = entry or Entry(line=number)
            if word == "msgctxt":
                entry.msgctxt, target = text, ("msgctxt", 0)
            elif word == "msgid":
                entry.msgid, target = text, ("msgid", 0)
            elif word == "msgid_plural":
                entry.msgid_plural, target = text, ("msgid_plural", 0)
            else:
                slot = int(index or 0)
                entry.msgstr[slot] = text
                target = ("msgstr", slot)
            continue
        assert line.startswith('"') and entry is not None and target, f"line {number}: {raw!r}"
        text = _unquote(line)
        kind, slot = target
        if kind == "msgstr":
            entry.msgstr[slot] += text
        else:
            setattr(entry, kind, getattr(entry, kind) + text)
    if entry is not None and entry.msgstr:
        entries.append(entry)
    return entries


def placeholders(text: str) -> list[str]:
    return sorted(_PRINTF.findall(text) + _BRACES.findall(text))


@pytest.fixture(scope="module")
def catalog() -> list[Entry]:
    entries = parse_po(PO)
    assert entries and entries[0].msgid == "", "the .po starts with its header"
    return entries


@pytest.fixture(scope="module")
def messages(catalog) -> list[Entry]:
    return catalog[1:]


# --- the catalogue ---------------------------------------------------------------------------


def test_it_declares_one_plural_form_for_chinese(catalog):
    header = catalog[0].msgstr[0]
    assert "Plural-Forms: nplurals=1; plural=0;" in header
    assert "charset=UTF-8" in header
    assert "fuzzy" not in catalog[0].flags


def test_it_holds_the_messages_of_every_app(messages):
    assert len(messages) > 300
    ids = {e.msgid for e in messages}
    assert {"resident", "residents", "ID number", "micro-grid", "audit event"} <= ids


def test_it_leaves_no_message_untranslated(messages):
    untranslated = [
        e.where
        for e in messages
        if not e.msgstr or any(not text.strip() for text in e.msgstr.values())
    ]
    assert untranslated == []


def test_it_leaves_no_fuzzy_message(messages):
    assert [e.where for e in messages if "fuzzy" in e.flags] == []


def test_it_has_exactly_one_form_for_each_plural_message(messages):
    assert [e.where for e in messages if e.msgid_plural and sorted(e.msgstr) != [0]] == []


def test_it_keeps_every_placeholder_of_the_english_text(messages):
    mismatched = []
    for e in messages:
        expected = placeholders(e.msgid)
        for text in e.msgstr.values():
            if placeholders(text) != expected:
                mismatched.append(f"{e.where}: {expected} != {placeholders(text)} in {text!r}")
            if e.msgid_plural and placeholders(e.msgid_plural) != expected:
                mismatched.append(f"{e.where}: the plural form has other placeholders")
    assert mismatched == []


def test_it_translates_the_messages_of_a_python_format_entry_with_the_flag(messages):
    # makemessages flags ``%(name)s`` strings python-format so that msgfmt checks them.
    missing = [e.where for e in messages if "%(" in e.msgid and "python-format" not in e.flags]
    assert missing == []


def test_the_compiled_catalogue_matches_the_po_file(messages):
    """A fresh machine shows Chinese without gettext: the .mo is committed and up to date."""
    assert MO.exists(), "run `yemai compilemessages` (or msgfmt) and commit django.mo"
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for e in messages:
        key = e.msgid if e.msgctxt is None else f"{e.msgctxt}\x04{e.msgid}"
        if e.msgid_plural:
            got = compiled.ngettext(e.msgid, e.msgid_plural, 1)
        else:
            got = compiled._catalog.get(key)
        if got != e.msgstr[0]:
            stale.append(e.where)
    assert stale == []


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext is not installed")
def test_gnu_msgfmt_accepts_the_po_file(tmp_path):
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", str(tmp_path / "check.mo"), str(PO)],
        capture_output=True,
        text=True,
        env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr


# --- what a user sees ------------------------------------------------------------------------

ADMIN = "/admin/"
RESIDENTS = "/admin/people/resident/"


def test_the_product_speaks_chinese_by_default_and_english_on_request():
    assert product_settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _name in product_settings.LANGUAGES] == ["zh-hans", "en"]
    assert "django.middleware.locale.LocaleMiddleware" in product_settings.MIDDLEWARE
    assert MESSAGES.parent.parent in [Path(p) for p in product_settings.LOCALE_PATHS]


@pytest.fixture
def town_head_client(client, town, settings):
    # tests/settings.py runs the rest of the suite in English; here the product default holds.
    settings.LANGUAGE_CODE = product_settings.LANGUAGE_CODE
    client.force_login(town.town_head)
    return client


def _html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_the_admin_in_chinese_by_default(town_head_client):
    index = _html(town_head_client, ADMIN)
    assert 'lang="zh-hans"' in index
    assert "网格化治理" in index
    assert "实有人口" in index and "居民" in index and "网格" in index
    listing = _html(town_head_client, RESIDENTS)
    for header in ("公民身份号码", "联系电话", "户籍类型", "标签"):
        assert header in listing
    assert "张三" in listing
    assert "Residents" not in listing and "ID number" not in listing


def test_it_shows_the_admin_in_english_after_the_language_switch(town_head_client):
    response = town_head_client.post("/i18n/setlang/", {"language": "en", "next": RESIDENTS})
    assert response.status_code == 302
    index = _html(town_head_client, ADMIN)
    assert 'lang="en"' in index
    assert "Grid governance" in index
    assert "People" in index and "Residents" in index
    assert "实有人口" not in index and "网格化治理" not in index
    listing = _html(town_head_client, RESIDENTS)
    for header in ("Name", "ID number", "Phone", "Registration", "Tags"):
        assert header in listing
    assert "公民身份号码" not in listing and "户籍类型" not in listing
    assert "张三" in listing  # data stays as recorded


def test_it_switches_back_to_chinese(town_head_client):
    town_head_client.post("/i18n/setlang/", {"language": "en"})
    town_head_client.post("/i18n/setlang/", {"language": "zh-hans"})
    assert "公民身份号码" in _html(town_head_client, RESIDENTS)


# --- the API ---------------------------------------------------------------------------------

BAD_ID = "330282198001010010"  # 18 characters, wrong check character


def _create_with_bad_id(client, **headers):
    payload = {"name": "新人", "id_number": BAD_ID, "grid": "330282001001001"}
    return client.post(
        "/api/people/residents",
        json.dumps(payload),
        content_type="application/json",
        headers=headers,
    )


def test_the_api_explains_a_bad_id_number_in_chinese_by_default(town_head_client, town):
    assert town.town_head.can_manage_people
    response = _create_with_bad_id(town_head_client)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "invalid"
    assert body["errors"]["id_number"] == ["公民身份号码校验码不正确（GB 11643）"]


def test_the_api_explains_a_bad_id_number_in_english_on_request(town_head_client):
    response = _create_with_bad_id(town_head_client, **{"Accept-Language": "en"})
    assert response.status_code == 400
    assert response.json()["errors"]["id_number"] == [
        "ID number fails its check character (GB 11643)"
    ]


def test_the_api_fills_placeholders_in_the_chinese_message(town_head_client):
    payload = {"name": "新人", "id_number": "12345", "grid": "330282001001001"}
    response = town_head_client.post(
        "/api/people/residents", json.dumps(payload), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["id_number"] == [
        "公民身份号码应为 17 位数字加 1 位数字或 X，实际为 5 位"
    ]


# --- messages put together from parts --------------------------------------------------------


def test_it_puts_an_import_row_error_together_in_chinese_word_order():
    from django.utils import translation

    from yemai.people.importers import RowError

    error = RowError(3, "公民身份号码", "公民身份号码校验码不正确（GB 11643）")
    with translation.override("zh-hans"):
        assert str(error) == "第 3 行“公民身份号码”列：公民身份号码校验码不正确（GB 11643）"
        assert str(RowError(0, "", "文件不是 Excel 工作簿（.xlsx）")).startswith("文件：")
    with translation.override("en"):
        assert str(RowError(3, "name", "Name is required")) == "row 3 name: Name is required"
