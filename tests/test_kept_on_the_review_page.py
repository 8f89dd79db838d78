"""Issue 18: a person ticked `keep` on the review page is kept with the reason "kept on the review
page", by the plan's own rules: the stops, the run and the check after it all see them kept."""

from __future__ import annotations

import pytest

from remove_users import (
    REMOVE,
    Kept,
    Person,
    Planned,
    Protections,
    Selection,
    UsageError,
    Workspace,
    choose,
    kept_by_id,
    make_plan,
    near_misses,
)

ME = Person(1, "admin@example.edu", "Avery Admin")
PEOPLE = [ME] + [Person(n, f"s{n}@example.edu", f"Student {n}") for n in (11, 12, 13)]


def planned(keep: list[str]) -> Planned:
    ws = Workspace(4242, "Fall", ME, PEOPLE, set())
    protections = Protections(emails=keep)
    plan = make_plan(PEOPLE, ME.id, set(), protections, Selection(), caller_email=ME.email)
    near = near_misses(plan.unmatched, plan.remove)
    return Planned(ws, plan, REMOVE, None, protections, Selection(), [], [], None, near)


def test_make_plan_keeps_people_by_id():
    plan = make_plan(PEOPLE, ME.id, set(), Protections(ids={12}), caller_email=ME.email)
    assert [p.id for p in plan.remove] == [11, 13]
    assert (PEOPLE[2], Kept.REVIEW) in plan.kept
    assert Kept.REVIEW == "kept on the review page"


def test_ticked_people_move_to_the_kept_list_and_stay_kept_after_the_run():
    before = planned(["s9@example.edu"])
    after = kept_by_id(before, [12])
    assert [p.id for p in after.plan.remove] == [11, 13]
    assert after.plan.kept[-1] == (PEOPLE[2], Kept.REVIEW)
    assert [p.id for p in before.plan.remove] == [11, 12, 13]  # the page may tick again
    # The check after the run chooses again on the listing: the ticked person is no stranger.
    again = choose(after, PEOPLE, set())
    assert [p.id for p in again.remove] == [11, 13]


def test_a_near_miss_on_a_ticked_person_no_longer_counts():
    before = planned(["s12@example.ed"])  # a typo for s12@example.edu
    assert before.near == [("s12@example.ed", "s12@example.edu")]
    assert kept_by_id(before, [12]).near == []
    assert kept_by_id(before, [11]).near == before.near


def test_only_people_the_plan_acts_on_can_be_kept():
    with pytest.raises(UsageError, match="person id 1, 99 is not among those the plan acts on"):
        kept_by_id(planned([]), [1, 99, 12])
