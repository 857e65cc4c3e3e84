"""The one retry rule: pauses double after each failure up to the cap, and start over after a success."""

from __future__ import annotations

from dsmrhub.backoff import FIRST_RETRY, Backoff


def test_pauses_double_up_to_the_cap_and_start_over_after_a_reset():
    backoff = Backoff(cap=5.0)
    assert [backoff.next() for _ in range(6)] == [FIRST_RETRY, 1.0, 2.0, 4.0, 5.0, 5.0]
    backoff.reset()
    assert backoff.next() == FIRST_RETRY


def test_a_first_pause_above_the_cap_is_the_cap():
    backoff = Backoff(initial=60.0, cap=30.0)
    assert (backoff.initial, backoff.next(), backoff.next()) == (30.0, 30.0, 30.0)
