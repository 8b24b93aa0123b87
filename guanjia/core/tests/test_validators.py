import pytest

from guanjia.core.masking import mask_id_number, mask_phone
from guanjia.core.validators import id_check_character, phone_problem, resident_id_problem


def test_a_known_good_id_number_passes():
    first = "11010519491231002"
    assert resident_id_problem(first + id_check_character(first)) is None


def test_the_check_character_can_be_x():
    # 11010519491231002X is the textbook example of a number whose check character is X.
    assert id_check_character("11010519491231002") == "X"


@pytest.mark.parametrize(
    "number", ["110105194912310021", "11010519491231002", "1101051949123100XX", "110105194913310027"]
)
def test_bad_id_numbers_are_refused(number):
    assert resident_id_problem(number) is not None


@pytest.mark.parametrize(
    "phone,ok",
    [("13812341234", True), ("021-12345678", True), ("12812341234", False), ("1381234123", False), ("phone", False)],
)
def test_phone_numbers(phone, ok):
    assert (phone_problem(phone) is None) is ok


def test_masks():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_phone("") == ""
