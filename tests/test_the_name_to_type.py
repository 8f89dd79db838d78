"""Issue 18: one rule for the name that confirms a run, read by the terminal's prompt and the review
page alike: the workspace's name, or its id where the name cannot be typed; trimmed, any case."""

from __future__ import annotations

import io

import pytest

from remove_users import REMOVE, Person, Plan, Terminal, Workspace, confirm, name_to_type

ME = Person(1, "admin@example.edu", "Avery Admin")


def workspace(name: str | None) -> Workspace:
    return Workspace(4242, name, ME, [ME], set())


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Fall 2026 Data Science", ("Fall 2026 Data Science", "workspace name")),
        ("  ", ("4242", "workspace id")),  # a bare Enter must not confirm
        (None, ("4242", "workspace id")),
        ("Fall\x1b[2K 2026", ("4242", "workspace id")),  # cannot be typed
    ],
)
def test_the_name_to_type(name, expected):
    assert name_to_type(workspace(name)) == expected


@pytest.mark.parametrize(
    "typed, confirmed",
    [("  fall 2026 DATA science ", True), ("Fall 2026 Data", False), ("", False)],
)
def test_the_prompt_takes_it_trimmed_in_any_case(typed, confirmed):
    answers = Terminal(stdin=io.StringIO(typed + "\n"), stderr=io.StringIO())
    plan = Plan([Person(2, "s1@example.edu", "S")], [], [])
    ws = workspace("Fall 2026 Data Science")
    assert confirm(answers, ws, plan, None, REMOVE) is confirmed
