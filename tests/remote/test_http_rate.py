"""The client's rate limiter (compiler/remote/http.py): the Astro API's per-method limits are
kept in every one-second window, and a burst up to the limit is not held back."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from compiler.remote.http import Limits, RateLimiter


class Clock:
    """Simulated time: sleeping moves it on."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.now += seconds


def starts(limiter: RateLimiter, clock: Clock, calls: list[tuple[str, float]]) -> dict[str, list[float]]:
    """Each call's start time by method; a call comes `gap` seconds after the previous start."""
    found: dict[str, list[float]] = {}
    for method, gap in calls:
        clock.now += gap
        limiter.wait(method)
        found.setdefault(method, []).append(clock.now)
    return found


@given(
    st.lists(
        st.tuples(st.sampled_from(["GET", "POST", "DELETE"]), st.sampled_from([0.0, 0.0, 0.01, 0.3, 1.5])), max_size=120
    )
)
def test_no_window_of_one_second_holds_more_than_the_limit(calls: list[tuple[str, float]]) -> None:
    clock = Clock()
    limits = Limits()
    found = starts(RateLimiter(limits, clock, clock.sleep), clock, calls)
    for method, times in found.items():
        rate = int(limits.per_second[method])
        assert times == sorted(times)
        assert all(later - earlier >= 1.0 for earlier, later in zip(times, times[rate:], strict=False))


def test_a_burst_up_to_the_limit_goes_at_once_then_a_window_per_limit() -> None:
    clock = Clock()
    times = starts(RateLimiter(Limits(), clock, clock.sleep), clock, [("GET", 0.0)] * 62)["GET"]
    assert times[:25] == [0.0] * 25  # no waiting within the limit
    assert 1.0 <= times[25] < 1.1 and 2.0 <= times[50] < 2.1 and times[-1] < 2.1


def test_a_method_without_a_limit_never_waits_and_a_slow_rate_spaces_requests() -> None:
    clock = Clock()
    limiter = RateLimiter(Limits(per_second={"POST": 0.5}), clock, clock.sleep)
    found = starts(limiter, clock, [("HEAD", 0.0)] * 3 + [("POST", 0.0)] * 3)
    assert found["HEAD"] == [0.0, 0.0, 0.0]
    assert found["POST"][0] == 0.0 and found["POST"][1] >= 2.0 and found["POST"][2] - found["POST"][1] >= 2.0


@given(st.sampled_from([1.0, 2.5, 7.9, 25.0]), st.lists(st.sampled_from([0.0, 0.0, 0.05, 0.4]), max_size=60))
def test_a_rate_that_is_not_whole_is_never_exceeded_in_any_second(rate: float, gaps: list[float]) -> None:
    clock = Clock()
    times = starts(RateLimiter(Limits(per_second={"GET": rate}), clock, clock.sleep), clock, [("GET", g) for g in gaps])
    allowed = int(rate)  # 2.5 per second is 2 in any second, never 3
    found = times.get("GET", [])
    assert all(later - earlier >= 1.0 for earlier, later in zip(found, found[allowed:], strict=False))
