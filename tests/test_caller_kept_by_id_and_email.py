"""The caller is kept by id and by email; a caller the listing does not hold stops the run."""

from __future__ import annotations

from remove_users import ExitStatus, Person, Protections, make_plan


def test_a_caller_id_missing_from_the_listing_stops_before_any_change(run, make_fake):
    fake = make_fake(people=3, caller_id_elsewhere=99000001)  # an account id, not the membership id
    result = run(fake, "--yes", "--include-admins", "--exclude", "student00001@example.edu")
    assert result.code == ExitStatus.ERROR
    assert "cannot tell who you are" in result.err and "99000001" in result.err
    assert fake.writes() == [] and fake.caller_id in fake.people and len(fake.people) == 5


def test_a_dry_run_stops_there_too(run, make_fake):
    fake = make_fake(people=3, caller_id_elsewhere=99000001)
    result = run(fake, "--dry-run", "--include-admins", "--exclude", "student00001@example.edu")
    assert result.code == ExitStatus.ERROR
    assert "To remove" not in result.out and "admin@example.edu" not in result.out


def test_a_second_record_with_the_callers_email_is_kept_as_the_caller():
    me = Person(1000, "Admin@Example.edu", "Avery Admin")
    twin = Person(2000, "admin@example.edu ", "Avery Admin (again)")
    other = Person(3000, "student@example.edu", "Student")
    plan = make_plan([me, twin, other], me.id, set(), Protections(include_admins=True), caller_email=me.email)
    assert [p.id for p in plan.remove] == [3000]
    assert dict((p.id, why) for p, why in plan.kept) == {1000: "the caller (you)", 2000: "the caller (you)"}
