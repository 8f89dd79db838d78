"""Issue 17, item 4: the Action owns its words everywhere: a suspension run never says it removes."""

from __future__ import annotations

from conftest import SEEING, CtrlCAtTheKeyboard
from remove_users import ExitStatus


def test_ctrl_c_at_a_suspensions_confirmation_says_nobody_was_suspended(run, make_fake):
    fake = make_fake(people=4, **SEEING["state-hidden"])
    result = run(fake, "--suspend", "--no-protected-emails", stdin=CtrlCAtTheKeyboard(""))
    assert result.code == 130
    assert "interrupted by Ctrl-C before any suspension; nobody was suspended" in result.err
    assert "remov" not in result.err.replace("remove_users:", "")
    assert fake.writes() == []


def test_a_near_miss_question_says_who_would_be_suspended(run, make_fake):
    fake = make_fake(people=4, **SEEING["state-hidden"])
    result = run(fake, "--suspend", "--exclude", "student0001@example.edu", stdin="no\n")
    assert result.code == ExitStatus.SAFETY_STOP
    assert "(who would be suspended)" in result.err and "who would be removed" not in result.err
    assert fake.writes() == []
