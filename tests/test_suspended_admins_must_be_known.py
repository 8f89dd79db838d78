"""A removal of suspended members stops (exit 1) when nothing shows that the admins route lists
suspended admins: it listed none, and a route that ignores includeStatus=new,suspended would leave
a suspended admin looking like any suspended member. --allow-unknown-admins (with the admins in
--exclude) or --include-admins proceeds; an admins answer that shows a suspended admin is proof."""

from __future__ import annotations

from conftest import SEEING, student
from remove_users import ExitStatus

STATUS = SEEING["status-field"]
CO = "coadmin1@example.edu"


def admins_ignore_include_status(fake) -> None:
    """The admins route answers its active admins only, whatever includeStatus asks."""
    original = fake._route_v4

    def route(method, path, query, body):
        if not path.endswith("/admins"):
            return original(method, path, query, body)
        query = {k: v for k, v in query.items() if k != "includeStatus"}
        fake.hide_suspended = True
        try:
            return original(method, path, query, body)
        finally:
            fake.hide_suspended = False

    fake._route_v4 = route


def test_a_suspended_admin_the_admins_route_leaves_out_is_not_removed(run, make_fake):
    fake = make_fake(people=2, **STATUS)
    fake.set_suspended(fake.id_of(CO), days_ago=40)
    fake.set_suspended(fake.id_of(student(1)), days_ago=40)
    admins_ignore_include_status(fake)
    result = run(fake, "--yes", "--only-suspended")
    assert result.code == ExitStatus.ERROR
    assert (
        "2 people this run would remove are suspended, not by this tool, but the admins route"
        " listed no" in result.err
    )
    assert "--allow-unknown-admins" in result.err
    assert {CO, student(1)} <= fake.emails() and fake.writes() == []
    dry = run(fake, "--dry-run", "--only-suspended")
    assert dry.code == ExitStatus.OK and "the real run would stop here" in dry.err
    # Taken on, with the admins protected by hand:
    done = run(fake, "--yes", "--only-suspended", "--allow-unknown-admins", "--exclude", CO)
    assert done.code == ExitStatus.OK, done.err
    assert CO in fake.emails() and student(1) not in fake.emails()


def test_an_admins_answer_showing_a_suspended_admin_is_proof_enough(run, make_fake):
    fake = make_fake(people=2, **STATUS)
    fake.set_suspended(fake.id_of(CO), days_ago=40)
    fake.set_suspended(fake.id_of(student(1)), days_ago=40)
    result = run(fake, "--yes", "--only-suspended")
    assert result.code == ExitStatus.OK, result.err
    assert CO in fake.emails() and student(1) not in fake.emails()
    assert "  admin: 1" in result.out  # the suspended co-admin, whom the admins route lists


def test_a_suspension_run_is_not_stopped(run, make_fake):
    fake = make_fake(people=2, **STATUS)
    fake.set_suspended(fake.id_of(student(1)), days_ago=40)
    result = run(fake, "--suspend", "--yes", "--no-protected-emails")
    assert result.code == ExitStatus.OK, result.err


def test_people_this_tool_suspended_are_removed_without_a_flag(run, make_fake, tmp_path):
    """That suspend run kept the admins it could see: its people need no proof from the route."""
    fake = make_fake(people=3, **STATUS)
    admins_ignore_include_status(fake)
    report = tmp_path / "term.csv"
    keep = ("--exclude", student(3))
    assert run(fake, "--suspend", "--yes", *keep, "--report", str(report)).code == ExitStatus.OK
    assert fake.suspended_emails() >= {student(1), student(2)} and CO not in fake.suspended_emails()
    result = run(fake, "--yes", "--only-suspended", *keep, "--report", str(report))
    assert result.code == ExitStatus.OK, result.err
    assert student(1) not in fake.emails() and student(2) not in fake.emails()
    assert CO in fake.emails()
