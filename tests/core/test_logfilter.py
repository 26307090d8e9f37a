import logging

from yemai.core.logfilter import MaskPersonalDataFilter, mask_text


def test_it_masks_id_numbers_and_mobiles_in_text():
    assert mask_text("id=11010519491231002X tel 13812345678.") == (
        "id=110***********002X tel 138****5678."
    )
    assert mask_text("order 2026112800001 total 3") == "order 2026112800001 total 3"


def test_the_log_handler_masks_what_code_forgot(caplog):
    logger = logging.getLogger("yemai.test")
    handler_filter = MaskPersonalDataFilter()
    record = logger.makeRecord(
        "yemai.test", logging.INFO, __file__, 1, "lookup %s failed", ("330282198001010011",), None
    )
    handler_filter.filter(record)
    assert record.getMessage() == "lookup 330***********0011 failed"


def test_a_rating_link_in_a_request_log_is_hidden():
    line = "Bad Request: /api/public/rate/EuTlkOe5YwHLnQ1RwAepbiHhbggRFL3CtjsjjxMoJz4"
    assert mask_text(line) == "Bad Request: /api/public/rate/***"
