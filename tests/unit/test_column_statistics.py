import numpy as np
import pytest

from calculators.columns import NUMERIC_COLUMNS, TEXT_COLUMNS
from services.column_statistics import QUANTILE_RELATIVE_ERROR, QUANTILES, ColumnStatistics


def batch(values, **text):
    """Every numeric column holds `values`; text columns as given, else non-empty."""
    columns = {name: np.asarray(values, dtype=np.float64) for name in NUMERIC_COLUMNS}
    for name in TEXT_COLUMNS:
        columns[name] = text.get(name, ["x"] * len(values))
    return columns


def exact_quantile(values, q):
    defined = np.sort(values[~np.isnan(values)])
    return defined[int(np.floor(q * (len(defined) - 1)))]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_quantiles_are_within_the_stated_relative_error_of_the_exact_ones(seed):
    rng = np.random.default_rng(seed)
    values = rng.lognormal(2, 3, 5000) * np.where(rng.random(5000) < 0.2, -1, 1)
    values[rng.random(5000) < 0.1] = 0.0
    values[rng.random(5000) < 0.1] = np.nan
    statistics = ColumnStatistics()
    for chunk in np.array_split(values, 7):
        statistics.update(batch(chunk))
    found = statistics.as_dict()["avg_total_tokens"]  # a real column
    for label, q in QUANTILES:
        exact = exact_quantile(values, q)
        assert abs(found[label] - exact) <= QUANTILE_RELATIVE_ERROR * abs(exact), label


def test_a_whole_number_column_has_whole_number_quantiles_and_none_leave_min_and_max():
    statistics = ColumnStatistics()
    statistics.update(batch([1.0, 2.0, 3.0, 40.0, 7.0]))
    found = statistics.as_dict()
    assert [found["total_runs"][label] for label, _ in QUANTILES] == [1, 1, 2, 3, 7, 7, 7]
    assert found["avg_total_tokens"]["p1"] == 1.0  # clamped to the exact minimum
    assert found["avg_total_tokens"]["p50"] == pytest.approx(3.0, rel=QUANTILE_RELATIVE_ERROR)


def test_slices_merge_into_exactly_the_statistics_of_one_pass():
    rng = np.random.default_rng(7)
    values = np.round(rng.lognormal(1, 2, 3000), 3)
    values[::11] = np.nan
    whole, first, second = ColumnStatistics(), ColumnStatistics(), ColumnStatistics()
    whole.update(batch(values, user_id=[""] * 1000 + ["u"] * 2000))
    first.update(batch(values[:1234], user_id=[""] * 1000 + ["u"] * 234))
    second.update(batch(values[1234:], user_id=["u"] * 1766))
    first.add(second)
    merged, single = first.as_dict(), whole.as_dict()
    for name in NUMERIC_COLUMNS:
        merged[name].pop("mean")  # sums added in another order may differ in the last digit
        assert merged[name] == {k: v for k, v in single[name].items() if k != "mean"}
    assert first.text_nulls()["user_id"] == whole.text_nulls()["user_id"] == 1000


def test_nothing_defined_is_null_everywhere_not_zero():
    statistics = ColumnStatistics()
    statistics.update(batch([np.nan, np.nan]))
    found = statistics.as_dict()["success_rate"]
    assert found["nulls"] == 2 and all(found[label] is None for label, _ in QUANTILES)
