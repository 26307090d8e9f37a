import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from yemai.core.validators import (
    check_credit_code,
    id_check_char,
    normalize_mobile,
    parse_id_number,
)


def test_it_derives_birth_date_and_sex_from_an_id_number():
    info = parse_id_number("11010519491231002X")  # the GB 11643 example
    assert info.birth_date == dt.date(1949, 12, 31)
    assert info.sex == "F"
    assert info.area_code == "110105"


def test_it_accepts_a_lower_case_x_and_spaces():
    assert parse_id_number(" 11010519491231002x ").number == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("110105194912310021", "id_checksum"),
        ("1101051949123100", "id_format"),
        ("110105194913310029", "id_birth"),
        ("11010521991231002X", "id_birth"),
    ],
)
def test_it_rejects_bad_id_numbers_with_a_reason(number, code):
    with pytest.raises(ValidationError) as exc:
        parse_id_number(number)
    assert exc.value.code == code


def test_check_character_ten_is_x():
    assert id_check_char("11010519491231002") == "X"


def test_it_normalises_mobile_numbers():
    assert normalize_mobile("+86 138-1234-5678") == "13812345678"
    assert normalize_mobile("008613812345678") == "13812345678"
    for bad in ("12812345678", "1381234567", "phone"):
        with pytest.raises(ValidationError):
            normalize_mobile(bad)


def test_it_checks_credit_codes():
    assert check_credit_code(" 91350100m000100y43") == "91350100M000100Y43"
    with pytest.raises(ValidationError):
        check_credit_code("91350100M000100Y44")
