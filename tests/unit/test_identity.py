from datetime import date

import pytest

from domain.identity import (
    InvalidIdNumber,
    Pseudonymizer,
    check_digit,
    make_id_number,
    validate_id_number,
)


def test_a_published_example_id_number_has_the_right_check_digit():
    # GB 11643-1999 worked example: 11010519491231002X
    assert check_digit("11010519491231002") == "X"
    assert validate_id_number("11010519491231002x") == "11010519491231002X"


def test_a_wrong_check_digit_is_refused():
    with pytest.raises(InvalidIdNumber, match="check digit"):
        validate_id_number("110105194912310021")


@pytest.mark.parametrize("text", ["1101051949123100", "11010519491231002Y", "110105194913310024"])
def test_wrong_shape_or_impossible_birth_date_is_refused(text):
    with pytest.raises(InvalidIdNumber):
        validate_id_number(text)


def test_generated_numbers_validate():
    for seq in range(50):
        assert validate_id_number(make_id_number("370614", date(1990, 2, 28), seq))


def test_pseudonyms_are_stable_per_key_and_differ_across_keys():
    id_number = make_id_number("370614", date(1980, 5, 4), 12)
    first, second = Pseudonymizer(b"a" * 32), Pseudonymizer(b"b" * 32)
    assert first(id_number) == first(id_number)
    assert first(id_number) != second(id_number)
    assert id_number not in first(id_number) and len(first(id_number)) == 32


def test_short_pseudonym_keys_are_refused():
    with pytest.raises(ValueError):
        Pseudonymizer(b"short")
