"""Work over forked processes: results in order, a child's exception raised in the parent, one job runs here."""

from __future__ import annotations

import os

import pytest

from analysis.core import parallel

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="needs fork")


def test_fork_map_keeps_the_order_runs_in_children_and_inherits_what_the_parent_holds():
    table = {k: k * k for k in range(6)}  # reaches the children by fork, never pickled with the task
    out = parallel.fork_map(lambda k: (table[k], os.getpid()), list(range(6)), jobs=2)
    assert [v for v, _ in out] == [0, 1, 4, 9, 16, 25]
    assert os.getpid() not in {pid for _, pid in out}


def test_one_job_or_one_item_runs_in_this_process():
    assert parallel.fork_map(lambda _: os.getpid(), [1, 2], jobs=1) == [os.getpid()] * 2
    assert parallel.fork_map(lambda _: os.getpid(), [1], jobs=2) == [os.getpid()]


def _fail(k):
    if k == 2:
        raise ValueError(f"第{k}项出错")
    return k


def test_an_exception_in_a_child_is_raised_in_the_parent():
    with pytest.raises(ValueError, match="第2项出错"):
        parallel.fork_map(_fail, [1, 2, 3], jobs=2)


def test_background_returns_the_result_or_raises():
    job = parallel.Background(os.getpid)
    assert job.result() != os.getpid()
    with pytest.raises(ValueError, match="第2项出错"):
        parallel.Background(_fail, 2).result()
