"""The guards every view reads ids, numbers and dates through: anything odd is None, never an
exception (which would be a 500) or a value the database or date arithmetic cannot take."""

from datetime import date, time

import pytest

from shuangjian.params import date_param, int_param, time_param


@pytest.mark.parametrize(
    "raw, expected",
    [("42", 42), ("0", 0), ("", None), ("-1", None), ("4.2", None), ("1" * 16, None),
     ("١٢", None), (None, None), (42, None)],
)  # fmt: skip
def test_int_param(raw, expected):
    assert int_param(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [("2026-11-23", date(2026, 11, 23)), ("2000-01-01", date(2000, 1, 1)),
     ("2100-12-31", date(2100, 12, 31)), ("2026-02-30", None), ("9999-12-31", None),
     ("1999-12-31", None), ("20261123", None), ("2026-11-23T08:00", None), ("", None),
     ("x" * 10, None), (None, None)],
)  # fmt: skip
def test_date_param(raw, expected):
    assert date_param(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [("08:30", time(8, 30)), ("8:30", time(8, 30)), ("17:05:30", time(17, 5, 30)),
     ("25:00", None), ("12:60", None), ("soon", None), ("", None), (None, None),
     ("08:30:00.000000", None)],
)  # fmt: skip
def test_time_param(raw, expected):
    assert time_param(raw) == expected
