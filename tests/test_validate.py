import numpy as np
import pytest

from nnlab.validate import (
    as_floats,
    check_array,
    check_choice,
    check_dout,
    check_int,
    check_positive,
    check_real,
)


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


def test_check_array_returns_the_array_itself():
    x = np.zeros((2, 3, 4, 5))
    assert check_array("x", x, ndim=4, layout="(N, H, W, C)") is x


@pytest.mark.parametrize(
    "value, error, message",
    [
        ([1.0, 2.0], TypeError, r"^x must be a numpy array \(N, D\), got list$"),
        (np.zeros(3), ValueError, r"^x must be 2-D \(N, D\), got 1-D shape \(3,\)$"),
        (np.zeros((2, 2), int), TypeError, r"^x must have a floating dtype .*int64$"),
        (np.zeros((0, 2)), ValueError, r"^x must not have an empty axis"),
        (
            np.array([[1.0, np.nan]]),
            ValueError,
            r"^x must be finite, got nan at index \(0, 1\)$",
        ),
        (
            np.array([[np.inf, 1.0]]),
            ValueError,
            r"^x must be finite, got inf at index \(0, 0\)$",
        ),
    ],
)
def test_check_array_refuses_with_a_message_naming_the_argument(value, error, message):
    with pytest.raises(error, match=message):
        check_array("x", value, ndim=2, layout="(N, D)")


@pytest.mark.parametrize(
    "dtype",
    [
        np.float16,
        np.float32,
        np.float64,
        np.longdouble,
        ">f8",
        np.int32,
        np.uint8,
        bool,
        np.complex128,
        object,
        "datetime64[s]",
        "U3",
        "V8",
        [("a", "f8")],
    ],
)
def test_check_array_takes_exactly_numpy_floating_dtypes(dtype):
    # numpy's own type hierarchy is the reference: np.floating
    value = np.zeros((2, 2), dtype=dtype)
    if np.issubdtype(value.dtype, np.floating):
        assert check_array("x", value) is value
    else:
        with pytest.raises(TypeError, match=r"^x must have a floating dtype \(such as"):
            check_array("x", value, finite=False)


def test_check_array_accepts_one_of_several_ranks_and_lists_them():
    check_array("x", np.zeros((2, 3)), ndim=(2, 3))
    with pytest.raises(ValueError, match=r"^x must be 2-D or 3-D, got 4-D"):
        check_array("x", np.zeros((1, 2, 3, 4)), ndim=(2, 3))


def test_check_array_can_let_nan_and_empty_through_when_asked():
    x = np.array([np.nan])
    assert check_array("x", x, finite=False) is x
    e = np.zeros((0, 3))
    assert check_array("x", e, nonempty=False) is e


def test_check_dout_refuses_a_shape_other_than_the_forward_output():
    with pytest.raises(
        ValueError,
        match=r"^dout must have the forward output's shape \(2, 3\), got \(3, 2\)$",
    ):
        check_dout(np.zeros((3, 2)), (2, 3))
    with pytest.raises(TypeError, match="^dout must be a numpy array"):
        check_dout(None, (2, 3))
    d = np.zeros((2, 3))
    assert check_dout(d, (2, 3)) is d


@pytest.mark.parametrize(
    "value, error",
    [
        (True, TypeError),
        ("1e-5", TypeError),
        (0.0, ValueError),
        (-1.0, ValueError),
        (float("nan"), ValueError),
        (float("inf"), ValueError),
    ],
)
def test_check_positive_refuses_non_numbers_and_non_positive_values(value, error):
    with pytest.raises(error, match="^eps must be"):
        check_positive("eps", value)


def test_check_positive_returns_a_float():
    out = check_positive("eps", np.float32(1e-5))
    assert type(out) is float
    assert out == pytest.approx(1e-5)


def test_as_floats_reads_sequences_and_refuses_what_is_not_numbers():
    a = as_floats("losses", [1, 2.5])
    assert a.dtype == np.float64
    assert a.tolist() == [1.0, 2.5]
    for bad, shown in [(None, "NoneType None"), ("12", "str '12'")]:
        with pytest.raises(TypeError, match=f"^losses must be numbers .*got {shown}"):
            as_floats("losses", bad)
    with pytest.raises(TypeError, match="^losses must be numbers .*got list"):
        as_floats("losses", [1.0, "x"])
    with pytest.raises(ValueError, match=r"^losses must be 1-D, got 2-D"):
        as_floats("losses", [[1.0]], ndim=1)


@pytest.mark.parametrize(
    "value, error, message",
    [
        (None, TypeError, "^level must be a real number, got NoneType None$"),
        (True, TypeError, "^level must be a real number, got bool True$"),
        (1.0, ValueError, r"^level must be a finite number in \(0, 1\), got 1.0$"),
        (float("nan"), ValueError, r"^level must be a finite number in \(0, 1\)"),
    ],
)
def test_check_real_refuses_outside_the_open_interval(value, error, message):
    with pytest.raises(error, match=message):
        check_real("level", value, 0.0, 1.0)


def test_check_real_without_bounds_accepts_any_finite_number():
    assert check_real("shift", -1e300) == -1e300
    with pytest.raises(ValueError, match=r"\(-inf, inf\), got inf"):
        check_real("shift", float("inf"))
