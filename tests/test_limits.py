import time

import pytest

from autograder.feedback import GradingError
from autograder.limits import time_limit


def test_time_limit_turns_a_hang_into_a_failed_check():
    start = time.perf_counter()
    with pytest.raises(GradingError, match="did not finish"):
        with time_limit("plot_popularity", seconds=0.2):
            while True:
                pass
    assert time.perf_counter() - start < 2


def test_time_limit_lets_quick_code_through_and_disarms():
    with time_limit("f", seconds=0.2):
        value = sum(range(10))
    time.sleep(0.3)  # the alarm must not fire after the block
    assert value == 45
