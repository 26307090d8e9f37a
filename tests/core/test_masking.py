from yemai.core.masking import mask_address, mask_id_number, mask_name, mask_phone


def test_it_masks_an_id_number_like_the_design_says():
    assert mask_id_number("110101199003071234") == "110***********1234"
    assert mask_id_number("") == ""


def test_it_masks_phones_and_addresses():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_address("东门路12号3幢501室") == "东门路**号*幢***室"
    assert mask_name("欧阳修") == "欧**"
