"""rules.dismissal (AS-08): the pure state machine, its end-of-day rule and the release check."""

from datetime import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shuangjian.rules import dismissal
from shuangjian.rules.dismissal import Event, ReleaseMode, State

STEP_EVENTS = [e for e in Event if e != Event.CLOSE]


@settings(max_examples=200, deadline=None)
@given(events=st.lists(st.sampled_from(STEP_EVENTS), max_size=20), told=st.booleans())
def test_any_sequence_ends_in_exactly_one_final_state(events, told):
    state = State.EXPECTED
    for event in events:
        try:
            after = dismissal.step(state, event)
        except dismissal.Refused as refused:
            assert (event, state) not in dismissal.STEPS and refused.state == state
            continue
        assert state not in dismissal.FINAL  # nothing leaves a final state
        state = after
    final = dismissal.closing_state(state, absence_notified=told)
    assert final in dismissal.FINAL
    assert dismissal.closing_state(final, absence_notified=not told) == final
    if state in dismissal.FINAL:
        assert final == state


@pytest.mark.parametrize(
    ("state", "event", "code"),
    [
        (State.EXPECTED, Event.RELEASE, "not_signed_in"),
        (State.HANDED_OVER, Event.HAND_OVER, "already_handed_over"),
        (State.PRESENT, Event.SIGN_IN, "already_signed_in"),
        (State.PRESENT, Event.LEAVE, "already_signed_in"),
        (State.PRESENT, Event.HAND_OVER, "already_signed_in"),
        (State.RELEASED, Event.RELEASE, "already_final"),
        (State.ON_LEAVE, Event.SIGN_IN, "already_final"),
        (State.ABSENT_UNEXPLAINED, Event.SIGN_IN, "already_final"),
        (State.EXPECTED, Event.CLOSE, "close_is_not_a_step"),
    ],
)
def test_refusals_name_why(state, event, code):
    with pytest.raises(dismissal.Refused) as exc:
        dismissal.step(state, event)
    assert exc.value.code == code


@pytest.mark.parametrize(
    ("state", "told", "final"),
    [
        (State.EXPECTED, False, State.ABSENT_UNEXPLAINED),
        (State.HANDED_OVER, False, State.ABSENT_UNEXPLAINED),
        (State.EXPECTED, True, State.ABSENT_NOTIFIED),
        (State.PRESENT, True, State.ABSENT_UNEXPLAINED),  # signed in, never released
        (State.RELEASED, False, State.RELEASED),
        (State.ON_LEAVE, False, State.ON_LEAVE),
    ],
)
def test_closing_state(state, told, final):
    assert dismissal.closing_state(state, absence_notified=told) == final


def check(at, **kw):
    args = {
        "end": time(18),
        "mode": ReleaseMode.BUS,
        "guardian_name": "",
        "has_consent": False,
        "early_leave_approved": False,
    }
    return dismissal.check_release(at=at, **{**args, **kw})


def test_release_window_boundaries():
    window, late = dismissal.DISMISSAL_WINDOW_MINUTES, dismissal.LATE_AFTER_MINUTES
    assert window == 10 and late == 15
    assert check(time(17, 50)).code == ""  # the dismissal window opens
    assert check(time(17, 49, 59)).code == "early_leave_not_approved"
    assert check(time(17, 49), early_leave_approved=True).code == ""
    assert not check(time(18, 15)).late
    assert check(time(18, 15, 1)).late


def test_release_modes():
    assert check(time(18), mode=ReleaseMode.GUARDIAN).code == "guardian_not_named"
    assert check(time(18), mode=ReleaseMode.GUARDIAN, guardian_name="奶奶").code == ""
    assert check(time(18), mode=ReleaseMode.ALONE).code == "no_consent_to_go_alone"
    assert check(time(18), mode=ReleaseMode.ALONE, has_consent=True).code == ""
    assert check(time(18), mode=ReleaseMode.EXTENDED_CARE).code == ""


def test_the_model_choices_are_the_rule_states_and_modes():
    """Attendance keeps rules.dismissal's states and release modes as its choices: the two
    lists must not drift apart (a state the rule knows but the column refuses, or the reverse)."""
    from shuangjian.afternoon.models import Attendance

    assert set(Attendance.State.values) == {s.value for s in State}
    assert set(Attendance.ReleaseMode.values) == {m.value for m in ReleaseMode}
