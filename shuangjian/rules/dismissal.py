"""The after-school afternoon of one pupil (AS-08): states, events, allowed steps, the day's end.

Sources (seed 001 篇七, 课后托管服务实施方案):
  - 下午放学后，班主任老师负责清点需要留校看护的学生，清点好人数交接给看护教师（如有请假者，
    班主任要及时通知到看护教师） — the hand-over and the leave chain parent → head teacher →
    care teacher;
  - 看护教师每天……做好各班需要看护学生的签到工作……保证不遗漏一个学生 — sign-in, none lost;
  - 提前离校回家必须向老师办理请假手续 — early leave needs a recorded request;
  - 弹性离校，提供适当延时托管服务 (篇三) — release to extended care;
  - requirement AS-08: every enrolled pupil ends each day in exactly one state (released, on
    leave, absent-notified, absent-unexplained — the last raises an alert).

A pupil's row starts `expected`.  During the afternoon only the steps in STEPS are allowed; any
other (event, state) pair is refused and changes nothing.  At the end of the day `closing_state`
puts every row that is not final yet into a final state:
  - not arrived, and the parent asked for leave that was not approved (pending or refused):
    absence notified — the school was told;
  - not arrived, nobody told the school: absent, unexplained;
  - signed in but never released: absent, unexplained too — the pupil's whereabouts are not
    recorded, which is exactly what the alert is for.
A final state never changes again.
"""

from dataclasses import dataclass
from datetime import time
from enum import StrEnum

from . import Source

SOURCE = Source("课后托管服务实施方案（seed 001 篇七）：学生交接、签到、请假、离校", "AS-08")


class State(StrEnum):
    EXPECTED = "expected"  # enrolled, the session is on, nothing recorded yet
    HANDED_OVER = "handed_over"  # the head teacher handed the pupil to the care teacher
    PRESENT = "present"  # signed in by the care teacher (or the gate device)
    RELEASED = "released"  # left: to a guardian, alone with consent, the bus or extended care
    ON_LEAVE = "on_leave"  # approved whole-session leave
    ABSENT_NOTIFIED = "absent_notified"  # absent, the parent told the school
    ABSENT_UNEXPLAINED = "absent_unexplained"  # unaccounted for: raises an alert


class Event(StrEnum):
    HAND_OVER = "hand_over"
    SIGN_IN = "sign_in"
    LEAVE = "leave"  # a whole-session leave request was approved
    RELEASE = "release"
    CLOSE = "close"  # the end-of-day reconciliation


FINAL = frozenset({State.RELEASED, State.ON_LEAVE, State.ABSENT_NOTIFIED, State.ABSENT_UNEXPLAINED})
NOT_ARRIVED = frozenset({State.EXPECTED, State.HANDED_OVER})

STEPS: dict[tuple[Event, State], State] = {
    (Event.HAND_OVER, State.EXPECTED): State.HANDED_OVER,
    (Event.SIGN_IN, State.EXPECTED): State.PRESENT,  # a pupil who comes on their own (junior)
    (Event.SIGN_IN, State.HANDED_OVER): State.PRESENT,
    (Event.LEAVE, State.EXPECTED): State.ON_LEAVE,
    (Event.LEAVE, State.HANDED_OVER): State.ON_LEAVE,
    (Event.RELEASE, State.PRESENT): State.RELEASED,
}


class Refused(Exception):
    """An event the pupil's state does not allow; `code` names why."""

    def __init__(self, code: str, event: Event, state: State) -> None:
        super().__init__(f"{code}: {event} in state {state}")
        self.code, self.event, self.state = code, event, state


def step(state: State, event: Event) -> State:
    """The state after `event`, or Refused when the step is not allowed."""
    if event == Event.CLOSE:
        raise Refused("close_is_not_a_step", event, state)
    after = STEPS.get((event, State(state)))
    if after is not None:
        return after
    if state in FINAL:
        raise Refused("already_final", event, state)
    if event == Event.RELEASE:
        raise Refused("not_signed_in", event, state)
    if event == Event.HAND_OVER and state == State.HANDED_OVER:
        raise Refused("already_handed_over", event, state)
    raise Refused("already_signed_in", event, state)


def closing_state(state: State, *, absence_notified: bool) -> State:
    """The final state of a row at the end of the day (see the module docstring)."""
    state = State(state)
    if state in FINAL:
        return state
    if state in NOT_ARRIVED and absence_notified:
        return State.ABSENT_NOTIFIED
    return State.ABSENT_UNEXPLAINED


class ReleaseMode(StrEnum):
    GUARDIAN = "guardian"  # collected by a named guardian
    ALONE = "alone"  # goes home alone: only with a parent's recorded consent
    BUS = "bus"  # the school bus
    EXTENDED_CARE = "extended_care"  # 延时托管: handed on to extended care


# The seed names no times; these are the school's usual practice and may be tuned.  Dismissal
# (整队放学) starts up to 10 minutes before the session ends: earlier is early leave.  A pupil
# collected more than 15 minutes after the end is a late pick-up (the 接待室 of 篇七 (4)).
DISMISSAL_WINDOW_MINUTES = 10
LATE_AFTER_MINUTES = 15


@dataclass(frozen=True)
class ReleaseCheck:
    code: str  # "" when the release is allowed
    early: bool  # before the dismissal window: needs approved early leave
    late: bool  # a late pick-up


def check_release(
    *,
    at: time,
    end: time,
    mode: ReleaseMode,
    guardian_name: str,
    has_consent: bool,
    early_leave_approved: bool,
) -> ReleaseCheck:
    """Whether a release at `at` from a session ending at `end` may be recorded.

    Before the dismissal window only with an approved early-leave request (提前离校必须办理请假手续); to a
    guardian only with the guardian's name; alone only with a parent's recorded consent.
    """
    end_minute = end.hour * 60 + end.minute
    minute = at.hour * 60 + at.minute + at.second / 60
    early = minute < end_minute - DISMISSAL_WINDOW_MINUTES
    late = minute > end_minute + LATE_AFTER_MINUTES
    code = ""
    if mode == ReleaseMode.GUARDIAN and not guardian_name.strip():
        code = "guardian_not_named"
    elif mode == ReleaseMode.ALONE and not has_consent:
        code = "no_consent_to_go_alone"
    elif early and not early_leave_approved:
        code = "early_leave_not_approved"
    return ReleaseCheck(code=code, early=early, late=late)
