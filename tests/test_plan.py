"""Step 3: the plan is a pure function; these tables pin who goes and who stays, and why."""

from __future__ import annotations

import pytest

from remove_users import (
    Kept,
    Person,
    Protections,
    make_plan,
)

CALLER = Person(1, "me@uni.edu", "Me", is_admin=True)
ADMIN = Person(2, "ta@uni.edu", "TA")
KEEP = Person(3, "Keep.Me@Uni.edu", "Keeper")
GOES = Person(4, "bye@uni.edu", "Leaver")
NO_EMAIL = Person(5, None, "Ghost")
PEOPLE = [CALLER, ADMIN, KEEP, GOES, NO_EMAIL]


def reasons(plan):
    return {p.id: r for p, r in plan.kept}


@pytest.mark.parametrize(
    "protected, include_admins, removed, kept",
    [
        ([], False, {3, 4}, {1: Kept.CALLER, 2: Kept.ADMIN, 5: Kept.NO_EMAIL}),
        (["  keep.me@uni.EDU "], False, {4}, {1: Kept.CALLER, 2: Kept.ADMIN, 3: Kept.PROTECTED, 5: Kept.NO_EMAIL}),
        (["keep.me@uni.edu"], True, {2, 4}, {1: Kept.CALLER, 3: Kept.PROTECTED, 5: Kept.NO_EMAIL}),
        (["ta@uni.edu"], True, {3, 4}, {1: Kept.CALLER, 2: Kept.PROTECTED, 5: Kept.NO_EMAIL}),
        (["me@uni.edu"], True, {2, 3, 4}, {1: Kept.CALLER, 5: Kept.NO_EMAIL}),
    ],
)
def test_plan_table(protected, include_admins, removed, kept):
    plan = make_plan(PEOPLE, caller_id=1, admin_ids={2}, protections=Protections(protected, include_admins))
    assert {p.id for p in plan.remove} == removed
    assert reasons(plan) == kept


def test_caller_is_kept_whatever_the_flags():
    plan = make_plan([CALLER], caller_id=1, admin_ids=set(), protections=Protections([], include_admins=True))
    assert plan.remove == [] and reasons(plan) == {1: Kept.CALLER}


def test_caller_kept_even_if_not_admin_and_email_differs():
    me = Person(9, "other@uni.edu", "Me")
    plan = make_plan([me, GOES], caller_id=9, admin_ids=set(), protections=Protections())
    assert [p.id for p in plan.remove] == [4]


def test_unmatched_protected_entries_are_reported_once():
    plan = make_plan(PEOPLE, 1, {2}, Protections(["typo@uni.edu", "TYPO@uni.edu", "bye@uni.edu"]))
    assert plan.unmatched == ["typo@uni.edu"]
    assert {p.id for p in plan.remove} == {3}


def test_kept_counts_in_fixed_order():
    plan = make_plan(PEOPLE, 1, {2}, Protections(["keep.me@uni.edu"]))
    assert list(plan.kept_counts()) == [Kept.CALLER, Kept.PROTECTED, Kept.ADMIN, Kept.NO_EMAIL]


def test_admin_by_record_flag_needs_the_admin_set():
    # read_workspace folds isAdmin into admin_ids; make_plan trusts admin_ids alone.
    flagged = Person(7, "boss@uni.edu", "Boss", is_admin=True)
    assert make_plan([flagged], 1, {7}, Protections()).remove == []
