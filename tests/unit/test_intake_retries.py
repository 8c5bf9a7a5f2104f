"""A batch the store cannot take is retried, then the failure is raised (the worker then exits unacknowledged)."""
import pytest

from domain.intake import BatchResult
from streams.intake import with_retries


def test_a_batch_that_fails_twice_is_retried_until_it_succeeds():
    calls = []

    def flaky(records):
        calls.append(records)
        if len(calls) < 3:
            raise ConnectionError("database restarting")
        return BatchResult()

    assert isinstance(with_retries(flaky, ["r"], delays_s=(0, 0, 0)), BatchResult)
    assert len(calls) == 3


def test_a_batch_that_keeps_failing_raises_after_the_last_retry():
    calls = []

    def broken(records):
        calls.append(records)
        raise ConnectionError("gone")

    with pytest.raises(ConnectionError):
        with_retries(broken, ["r"], delays_s=(0, 0))
    assert len(calls) == 3
