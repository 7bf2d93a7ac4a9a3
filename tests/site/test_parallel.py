"""OrderedPool: outcomes in submission order, errors handed back, the same with 1 and 2 processes."""

from __future__ import annotations

import time

import pytest

from sitegen.site.parallel import OrderedPool, default_jobs


def slow_square(x: int) -> int:
    """Later tasks finish first: the pool must still hand them back in order."""
    time.sleep(0.02 * (5 - x))
    if x == 3:
        raise ValueError("three is refused")
    return x * x


@pytest.mark.parametrize("jobs", [1, 2])
def test_outcomes_come_back_in_submission_order_with_errors_in_place(jobs):
    seen = []
    with OrderedPool(jobs) as pool:
        for x in range(6):
            pool.submit(f"t{x}", slow_square, x)
            seen.extend(pool.ready())
        seen.extend(pool.drain())
    assert [o.tag for o in seen] == [f"t{x}" for x in range(6)]
    assert [o.value for o in seen] == [0, 1, 4, None, 16, 25]
    errors = [(o.tag, str(o.error)) for o in seen if o.error is not None]
    assert errors == [("t3", "three is refused")]


def test_no_more_than_twice_jobs_tasks_wait_in_the_queue():
    handed = []
    with OrderedPool(2) as pool:
        for x in range(10):
            pool.submit(x, slow_square, 0)
            handed.extend(o.tag for o in pool.ready())
            assert len(pool._queue) <= 4
        handed.extend(o.tag for o in pool.drain())
    assert handed == list(range(10))


def test_jobs_must_be_positive_and_the_default_is_the_usable_cores():
    with pytest.raises(ValueError, match="at least 1"):
        OrderedPool(0)
    assert default_jobs() >= 1
