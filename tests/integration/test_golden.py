"""The outputs for fixed inputs are byte for byte those kept in tests/golden/.

A refactoring changes none of them. A deliberate change of the outputs (the contract, a
new warning) does: run `make golden` and review the diff of tests/golden/ in the commit.
"""

import pytest

from tests.support import golden

pytestmark = pytest.mark.integration


def test_outputs_are_the_golden_ones(tmp_path):
    golden.produce(str(tmp_path))
    assert golden.differences(golden.GOLDEN, str(tmp_path)) == [], (
        "outputs changed: if on purpose, run `make golden` and review the diff")
