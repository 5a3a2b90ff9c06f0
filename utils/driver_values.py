"""The database driver's own value types, read as plain numbers: the one module that knows them.

pymongo and bson hand over some stored values in types of their own: 64-bit integers as
`Int64` (an int), decimals as `Decimal128`, dates beyond Python's range as `DatetimeMS`
(with DATETIME_AUTO). The value rules (calculators/metric_values.py, utils/timestamps.py)
ask this module instead of naming them.
"""

import math
from typing import Optional

from bson.datetime_ms import DatetimeMS
from bson.decimal128 import Decimal128
from bson.int64 import Int64

# Integer types whose equality is JSON equality, besides int itself.
WHOLE_NUMBER_TYPES = (Int64,)


def driver_number(value) -> Optional[float]:
    """A driver-typed number as a float (NaN for a NaN decimal, sNaN included); None when
    `value` is no driver number."""
    if type(value) is Decimal128:
        try:
            return float(value.to_decimal())
        except (ValueError, ArithmeticError):  # sNaN cannot become a float
            return math.nan
    return None


def driver_epoch_milliseconds(value) -> Optional[int]:
    """A driver-typed date as epoch milliseconds; None when `value` is no driver date."""
    if type(value) is DatetimeMS:
        return int(value)
    return None
