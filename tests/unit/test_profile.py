"""The profile's statistics, histograms and drift measures, against hand computations and
numpy, and merged from slices."""

import math

import numpy as np
import pytest

from calculators.columns import NUMERIC_COLUMNS, TEXT_COLUMNS
from services.column_statistics import SLOT_EDGES, SLOTS, ZERO_SLOT, ColumnStatistics
from services.profile import (
    CHI_SQUARE_95,
    build_profile,
    drift,
    histogram,
    js_distance,
    psi,
    psi_threshold,
    reference_cuts,
    slot_array,
)


def test_psi_and_js_distance_equal_a_hand_computation():
    current, expected = [50, 30, 20, 0], [40, 40, 10, 10]
    # shares p = .5 .3 .2 0 -> 0 floored at 1e-4; q = .4 .4 .1 .1
    hand_psi = ((0.5 - 0.4) * math.log(0.5 / 0.4) + (0.3 - 0.4) * math.log(0.3 / 0.4)
                + (0.2 - 0.1) * math.log(0.2 / 0.1) + (1e-4 - 0.1) * math.log(1e-4 / 0.1))
    assert abs(psi(current, expected) - hand_psi) < 1e-9
    # the same four terms worked out by hand: .022314355131 + .028768207245
    # + .069314718056 + .690084752370
    assert abs(psi(current, expected) - 0.810482032802) < 1e-9
    # m = .45 .35 .15 .05; KL(p||m) and KL(q||m), natural logarithms, empty shares add 0
    kl_p = 0.5 * math.log(0.5 / 0.45) + 0.3 * math.log(0.3 / 0.35) + 0.2 * math.log(0.2 / 0.15)
    kl_q = (0.4 * math.log(0.4 / 0.45) + 0.4 * math.log(0.4 / 0.35) + 0.1 * math.log(0.1 / 0.15)
            + 0.1 * math.log(0.1 / 0.05))
    assert abs(js_distance(current, expected) - math.sqrt((kl_p + kl_q) / 2)) < 1e-9
    assert psi(expected, expected) == 0.0 and js_distance(expected, expected) == 0.0


def test_the_threshold_is_chance_at_these_sizes_and_never_below_a_tenth():
    assert psi_threshold(10, 200, 200) == pytest.approx(16.918977604620448 * 0.01)
    assert psi_threshold(10, 50_000, 50_000) == 0.1
    assert psi_threshold(2, 30, 30) == pytest.approx(3.841458820694124 / 15)
    assert sorted(CHI_SQUARE_95) == list(range(1, 10))


def batch(values_by_column, rows):
    columns = {name: np.full(rows, np.nan) for name in NUMERIC_COLUMNS}
    columns.update({name: [""] * rows for name in TEXT_COLUMNS})
    columns.update(values_by_column)
    return columns


def test_histograms_over_whole_slots_are_exact_and_so_are_std_and_merges():
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.lognormal(6, 2, 4000), np.zeros(300), -rng.random(50),
                             [np.nan] * 150])
    rng.shuffle(values)
    whole = ColumnStatistics()
    whole.update(batch({"sum_total_tokens": values}, len(values)))
    parts = ColumnStatistics()
    for piece in np.array_split(values, 7):
        part = ColumnStatistics()
        part.update(batch({"sum_total_tokens": piece}, len(piece)))
        parts.add(part)
    counts = whole.slot_counts("sum_total_tokens")
    assert np.array_equal(counts, parts.slot_counts("sum_total_tokens"))
    assert counts[ZERO_SLOT] == 300 and counts.sum() == 4350
    defined = values[~np.isnan(values)]
    cuts = reference_cuts(counts)
    assert 2 <= len(cuts) <= 10
    bounds = list(cuts) + [SLOTS]
    for start, end, counted in zip(bounds, bounds[1:], histogram(counts, cuts)):
        low, high = SLOT_EDGES[start], SLOT_EDGES[end]
        # a positive slot holds (low, high]; zero's slot holds 0; a negative one [low, high)
        inside = ((defined > low) & (defined <= high)) if low >= 0 else (
            (defined >= low) & (defined < high) if high <= 0 else
            (defined >= low) & (defined <= high))
        assert counted == int(inside.sum())
    assert whole.std("sum_total_tokens") == pytest.approx(float(np.std(defined)), rel=1e-12)
    assert parts.std("sum_total_tokens") == pytest.approx(float(np.std(defined)), rel=1e-9)


def test_deciles_that_share_a_slot_give_fewer_bins_as_a_flag_does():
    flags = np.array([0.0] * 60 + [1.0] * 40)
    statistics = ColumnStatistics()
    statistics.update(batch({"timeout_flag": flags}, 100))
    counts = statistics.slot_counts("timeout_flag")
    cuts = reference_cuts(counts)
    assert histogram(counts, cuts) == [60, 40, 0]


def profile_of(values_by_column, rows, reference=None):
    statistics = ColumnStatistics()
    statistics.update(batch(values_by_column, rows))
    return build_profile(statistics, reference)


def test_a_shifted_column_drifts_and_a_resampled_one_does_not():
    rng = np.random.default_rng(7)

    def sample(scale=1.0):
        return {"sum_input_tokens": rng.lognormal(7, 1, 3000) * scale,
                "avg_execution_time": rng.lognormal(1, 0.5, 3000),
                "avg_inter_run_gap_seconds": rng.exponential(300, 3000),
                "session_id": ["s{}".format(index) for index in range(3000)]}

    reference = profile_of(sample(), 3000)
    same = profile_of(sample(), 3000, reference)
    measured = drift(same, reference, reference)
    assert measured["drifting_columns"] == [] and not measured["dataset_drifts"]
    tripled = profile_of(sample(3.0), 3000, reference)
    measured = drift(tripled, same, reference)
    assert measured["drifting_columns"] == ["sum_input_tokens"]
    entry = measured["columns"]["sum_input_tokens"]["previous"]
    assert entry["drifts"] and entry["psi"] > 1 and entry["js_distance"] > 0.3
    assert not measured["columns"]["avg_execution_time"]["previous"]["drifts"]
    assert measured["comparable_columns"] == 3 and not measured["dataset_drifts"]
    assert tripled["text"]["session_id"]["distinct"] == 3000
    assert tripled["numeric"]["sum_input_tokens"]["histogram"]["counts"] == histogram(
        slot_array(tripled, "sum_input_tokens"),
        reference_cuts(slot_array(reference, "sum_input_tokens")))
