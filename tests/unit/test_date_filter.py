"""The date range: a number above 10^11 is milliseconds, otherwise seconds, in the query too."""

import datetime as dt

import pytest

from interfaces.values import DateRange
from repositories.date_filter import in_date_range, mongo_date_filter

JAN_21_1970 = DateRange(dt.date(1970, 1, 21), dt.date(1970, 1, 21))
DEC_2024 = DateRange(dt.date(2024, 12, 1), dt.date(2024, 12, 31))


@pytest.mark.parametrize("value, date_range, selected", [
    (1733011200, JAN_21_1970, False),  # 2024-12-01 in seconds: never 1970 in milliseconds
    (1733011200, DEC_2024, True),
    (1733011200000, DEC_2024, True),  # milliseconds
    (1728000, JAN_21_1970, True),  # 1970-01-21 in seconds
    (1728000000, JAN_21_1970, False),  # seconds by the rule: 2024-10-04, not 1970-01-21
    (1733011200.5, DEC_2024, True),
    (True, DEC_2024, False),
])
def test_a_number_is_read_as_the_features_read_it(value, date_range, selected):
    assert in_date_range(value, date_range) is selected


def test_the_query_bounds_each_reading_to_its_side_of_10_to_the_11():
    seconds, milliseconds, _ = mongo_date_filter("created_at", JAN_21_1970)["$or"]
    assert seconds["created_at"]["$lte"] == 10 ** 11
    assert milliseconds["created_at"]["$gt"] == 10 ** 11
