"""The pacer on simulated time: what it lets through, when, and what it learns from 429s.

No test here waits or measures real time: the clock is a counter the test moves, and the quotas are
the fake server's own RateLimiter running on that same counter.
"""

from __future__ import annotations

import pytest

from conftest import Clock
from fake_aac import RateLimiter
from remove_users import Pacer


def make_pacer() -> tuple[Pacer, Clock]:
    clock = Clock()
    return Pacer(clock=clock, sleep=clock.sleep, wall=lambda: 1_800_000_000.0 + clock.now), clock


def answer(pacer: Pacer, ticket, status: int = 200, wait: float | None = None, headers: dict[str, str] | None = None) -> bool | None:
    pacer.on_answer(ticket, status, headers or {})
    return pacer.on_throttle(ticket, wait) if status == 429 else None


def simulate(limiter: RateLimiter, clock: Clock, pacer: Pacer, seconds: float, capacity: float = 400.0) -> tuple[int, int]:
    """One stream of requests, as fast as `capacity` a second allows, for `seconds` of simulated
    time; a refused request is simply dropped. Returns (accepted, refused)."""
    accepted = refused = 0
    end = clock.now + seconds
    while clock.now < end:
        ticket = pacer.wait_turn()
        wait = limiter.take()
        if wait is None:
            accepted += 1
            answer(pacer, ticket)
        else:
            refused += 1
            answer(pacer, ticket, 429, wait)
        clock.sleep(1.0 / capacity)
    return accepted, refused


def test_nothing_is_held_back_before_any_429():
    pacer, clock = make_pacer()
    for _ in range(1000):
        answer(pacer, pacer.wait_turn())
    assert pacer.delay() == 0
    assert pacer.current_rate() is None
    assert clock.now == 1000.0  # nobody waited


def test_a_named_wait_pauses_everyone_until_then():
    pacer, clock = make_pacer()
    tickets = [pacer.wait_turn() for _ in range(4)]
    answer(pacer, tickets[0], 429, wait=2.0)
    assert pacer.delay() == pytest.approx(2.0)
    clock.sleep(1.5)
    assert pacer.delay() == pytest.approx(0.5)
    ticket = pacer.wait_turn()  # sleeps on the simulated clock
    assert ticket.time >= 1002.0


@pytest.mark.parametrize("wait", [None, 0.0])
def test_a_rare_429_naming_no_wait_is_a_stray_that_leaves_the_pace_alone(wait):
    pacer, clock = make_pacer()
    for n in range(300):
        ticket = pacer.wait_turn()
        if n % 100 == 50:  # 1% of answers
            assert answer(pacer, ticket, 429, wait) is True
        else:
            answer(pacer, ticket)
        clock.sleep(0.001)
    assert pacer.current_rate() is None
    assert pacer.delay() == 0


def test_frequent_429s_naming_no_wait_set_a_pace():
    pacer, clock = make_pacer()
    verdicts = []
    for n in range(100):
        ticket = pacer.wait_turn()
        verdicts.append(answer(pacer, ticket, 429 if n % 10 == 0 else 200))
        clock.sleep(0.01)
    strays = [v for v in verdicts if v is not None]
    assert strays[: Pacer.STRAY_MAX] == [True] * Pacer.STRAY_MAX
    assert strays[Pacer.STRAY_MAX] is False
    assert pacer.current_rate() is not None


def test_the_pace_is_a_little_under_what_the_server_accepted_not_half_of_it():
    pacer, clock = make_pacer()
    for _ in range(100):  # 2 s at 50 accepted a second
        answer(pacer, pacer.wait_turn())
        clock.sleep(0.02)
    answer(pacer, pacer.wait_turn(), 429, wait=1.0)
    rate = pacer.current_rate()
    assert rate == pytest.approx(Pacer.MARGIN * 50, rel=0.05)


def test_waiting_is_not_counted_as_sending_time():
    pacer, clock = make_pacer()
    for _ in range(50):  # 1 s at 50 a second, then a 5 s named wait
        answer(pacer, pacer.wait_turn())
        clock.sleep(0.02)
    answer(pacer, pacer.wait_turn(), 429, wait=5.0)
    ticket = pacer.wait_turn()
    assert ticket.time == pytest.approx(1006.0)
    first = pacer.current_rate()
    for _ in range(100):
        answer(pacer, pacer.wait_turn())
    answer(pacer, pacer.wait_turn(), 429, wait=1.0)
    # The 100 accepted since the cut went at the pace set then; the 5 s wait does not dilute them.
    assert pacer.current_rate() == pytest.approx(Pacer.MARGIN * first, rel=0.1)


def test_an_idle_gap_such_as_the_confirmation_prompt_is_not_sending_time():
    pacer, clock = make_pacer()
    for _ in range(40):  # the listing: 40 answers in 0.4 s
        answer(pacer, pacer.wait_turn())
        clock.sleep(0.01)
    clock.sleep(30)  # the operator reads the plan
    for _ in range(100):
        answer(pacer, pacer.wait_turn())
        clock.sleep(0.01)
    answer(pacer, pacer.wait_turn(), 429, wait=1.0)
    assert pacer.current_rate() > 50


def test_429s_already_in_flight_when_the_pace_was_cut_do_not_cut_it_again():
    pacer, clock = make_pacer()
    for _ in range(100):
        answer(pacer, pacer.wait_turn())
        clock.sleep(0.01)
    burst = [pacer.wait_turn() for _ in range(8)]
    answer(pacer, burst[0], 429, wait=1.0)
    rate = pacer.current_rate()
    for ticket in burst[1:]:
        answer(pacer, ticket, 429, wait=1.0)
    assert pacer.current_rate() == pytest.approx(rate)


def test_the_pace_probes_upward_slowly_after_a_cut():
    pacer, clock = make_pacer()
    for _ in range(100):
        answer(pacer, pacer.wait_turn())
        clock.sleep(0.01)
    answer(pacer, pacer.wait_turn(), 429, wait=1.0)
    rate = pacer.current_rate()
    for _ in range(int(rate * 10)):  # ten seconds at the pace
        answer(pacer, pacer.wait_turn())
    grown = pacer.current_rate() / rate
    assert 1.02 < grown < 1.15


def test_a_remaining_budget_is_never_exceeded_before_its_reset():
    pacer, clock = make_pacer()
    tickets = [pacer.wait_turn() for _ in range(3)]
    # The first answer says 4 remain; the two sent after it may not be counted yet.
    answer(pacer, tickets[0], headers={"x-rate-limit-minute-remaining": "4", "x-rate-limit-minute-reset": "20"})
    assert pacer.delay() == 0
    pacer.wait_turn()
    pacer.wait_turn()
    assert pacer.delay() == pytest.approx(20.0)
    ticket = pacer.wait_turn()
    assert ticket.time == pytest.approx(1020.0)


def test_a_reset_given_as_a_unix_time_is_read_as_one():
    pacer, clock = make_pacer()
    ticket = pacer.wait_turn()
    wall_now = 1_800_000_000.0 + clock.now
    answer(pacer, ticket, headers={"X-Rate-Limit-Hour-Remaining": "0", "X-Rate-Limit-Hour-Reset": str(int(wall_now + 30))})
    assert pacer.delay() == pytest.approx(30.0, abs=1.0)


def test_a_new_window_replaces_the_old_budget():
    pacer, clock = make_pacer()
    ticket = pacer.wait_turn()
    answer(pacer, ticket, headers={"x-rate-limit-minute-remaining": "0", "x-rate-limit-minute-reset": "3"})
    clock.sleep(2.5)  # the server's window turned before our rounded-up reset
    ticket = pacer.wait_turn()
    answer(pacer, ticket, headers={"x-rate-limit-minute-remaining": "99", "x-rate-limit-minute-reset": "60"})
    assert pacer.delay() == 0


# -- against quotas: the shares the benchmark measures on real time, here on simulated time --------


@pytest.mark.parametrize(
    "kind, limit, window, seconds, least_share",
    [
        ("sliding", 20, 1.0, 120, 0.85),
        ("bucket", 20, 1.0, 120, 0.90),
        ("fixed", 300, 60.0, 300, 0.95),
    ],
)
def test_the_pace_uses_most_of_a_quota_with_few_429s(kind, limit, window, seconds, least_share):
    pacer, clock = make_pacer()
    limiter = RateLimiter(limit, kind, window, clock=clock)
    accepted, refused = simulate(limiter, clock, pacer, seconds)
    share = accepted / limiter.allowed(seconds)
    assert share >= least_share, (share, accepted, refused)
    assert refused / (accepted + refused) < 0.05, (accepted, refused)


def test_a_fixed_window_that_publishes_its_budget_is_never_exceeded():
    pacer, clock = make_pacer()
    limiter = RateLimiter(300, "fixed", 60.0, clock=clock)
    accepted = refused = 0
    end = clock.now + 300
    while clock.now < end:
        ticket = pacer.wait_turn()
        wait = limiter.take()
        remaining, reset = limiter.budget()
        headers = {"x-rate-limit-minute-remaining": str(remaining), "x-rate-limit-minute-reset": str(int(reset) + 1)}
        if wait is None:
            accepted += 1
            answer(pacer, ticket, headers=headers)
        else:
            refused += 1
            answer(pacer, ticket, 429, wait, headers)
        clock.sleep(1 / 400)
    assert refused == 0
    assert accepted >= 0.95 * limiter.allowed(300) - 300


def test_waiting_out_a_spent_budget_is_not_counted_as_sending_time():
    pacer, clock = make_pacer()
    ticket = None
    for n in range(240):  # a per-minute budget spent in the first 1.2 s
        ticket = pacer.wait_turn()
        answer(pacer, ticket, headers={"x-rate-limit-minute-remaining": str(239 - n), "x-rate-limit-minute-reset": "60"})
        clock.sleep(0.005)
    ticket = pacer.wait_turn()  # waits out the minute
    assert ticket.time >= 1060.0
    for _ in range(100):
        answer(pacer, pacer.wait_turn())
        clock.sleep(0.005)
    answer(pacer, pacer.wait_turn(), 429, wait=1.0)
    # Paced at what was accepted while sending (~200 a second), not at 240 a minute.
    assert pacer.current_rate() > 100
