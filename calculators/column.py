"""What a column of the dataset is. Each calculator module declares its columns with this,
right beside the function that computes them; calculators/columns.py puts them in order."""

from typing import NamedTuple

TEXT = "text"
INTEGER = "integer"  # a whole number, written without a decimal point
REAL = "real"
FLAG = "flag"  # 0 or 1


class Column(NamedTuple):
    """One column: its name, data type, unit, and its exact definition (the contract's)."""

    name: str
    dtype: str
    unit: str
    definition: str
