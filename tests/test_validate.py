import numpy as np
import pytest

from nnlab.validate import check_choice, check_int


@pytest.mark.parametrize("value", [0, 3, np.int64(5), np.uint8(2)])
def test_check_int_returns_a_plain_int(value):
    out = check_int("n", value, minimum=0)
    assert out == value
    assert type(out) is int


def test_check_int_without_minimum_accepts_negatives():
    assert check_int("offset", -4) == -4


@pytest.mark.parametrize(
    "value, shown",
    [(True, "bool True"), (2.0, "float 2.0"), ("3", "str '3'"), (None, "NoneType")],
)
def test_check_int_refuses_non_integers_with_type_error(value, shown):
    with pytest.raises(TypeError, match=f"^steps must be an integer, got {shown}"):
        check_int("steps", value, minimum=1)


@pytest.mark.parametrize("value", [0, -1, np.int64(0)])
def test_check_int_refuses_values_below_minimum_with_value_error(value):
    with pytest.raises(
        ValueError, match=rf"^steps must be an integer >= 1, got {int(value)}$"
    ):
        check_int("steps", value, minimum=1)


def test_check_choice_returns_the_option():
    assert check_choice("data", "walk", ("iid", "walk")) == "walk"


def test_check_choice_refuses_unknown_option_naming_the_allowed_ones():
    with pytest.raises(
        ValueError, match=r"^data must be one of 'iid', 'walk', got 'iidd'$"
    ):
        check_choice("data", "iidd", ("iid", "walk"))


def test_check_choice_refuses_non_str_with_type_error():
    with pytest.raises(
        TypeError, match=r"^data must be a str, one of 'iid', 'walk', got int 1$"
    ):
        check_choice("data", 1, ["iid", "walk"])
