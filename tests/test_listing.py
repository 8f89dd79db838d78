"""Step 2: the whole workspace is read, every page, and checked, before anyone is planned."""

from __future__ import annotations

import pytest

from conftest import student
from remove_users import ExitStatus


@pytest.mark.parametrize("concurrency", ["1", "4"])
def test_every_page_is_read_although_the_server_caps_pages(run, make_fake, concurrency):
    fake = make_fake(people=61, page_cap=7)
    result = run(fake, "--dry-run", "--concurrency", concurrency)
    assert result.code == ExitStatus.OK
    assert "Members: 63" in result.out
    assert "To remove: 61" in result.out
    for n in (1, 30, 61):
        assert student(n) in result.out
    pages = [r for r in fake.requests if r.path == "/v4/people"]
    assert all(r.query["limit"] == "100" for r in pages)
    offsets = sorted(int(r.query["offset"]) for r in pages)
    assert offsets == list(range(0, 64, 7))  # 0, 7, ..., 63: the last, empty page ends the walk


def test_a_failing_page_stops_the_run_before_any_removal(run, make_fake):
    fake = make_fake(people=60, page_cap=10)
    fake.add_fault(method="GET", path=r"^/v4/people$", status=400, message="offset out of range")
    fake.faults[0].times = None
    result = run(fake, "--yes", "--no-protected-emails")
    assert result.code == ExitStatus.ERROR
    assert "GET /v4/people" in result.err and "HTTP 400" in result.err and "offset out of range" in result.err
    assert "request id req-" in result.err
    assert fake.writes() == []
    assert len(fake.people) == 62


def test_a_listing_that_does_not_add_up_stops_the_run(run, make_fake):
    fake = make_fake(people=30, page_cap=10)
    calls = []

    def join_midway(method, path):
        if method == "GET" and path == "/v4/people":
            calls.append(1)
            if len(calls) == 2:
                fake.add_person("latecomer@example.edu", "Late")

    fake.hooks.append(join_midway)
    result = run(fake, "--yes", "--no-protected-emails", "--concurrency", "1")
    assert result.code == ExitStatus.ERROR
    assert "does not add up" in result.err
    assert fake.writes() == []


def test_admins_from_the_route_are_kept_even_without_the_record_flag(run, make_fake):
    fake = make_fake(people=5)
    quiet_admin = fake.add_person("quiet.admin@example.edu", "Quiet Admin")  # isAdmin false on the record
    fake.admin_ids.add(quiet_admin)
    result = run(fake, "--dry-run")
    assert "admin: 2" in result.out
    assert "quiet.admin@example.edu" not in result.out.split("People who would be removed:")[1]


def test_missing_admins_route_warns_and_falls_back_to_the_record_flag(run, make_fake):
    fake = make_fake(people=5, admins_route=False, admin_flag_on_all=True)
    result = run(fake, "--dry-run", "--allow-unknown-admins")
    assert result.code == ExitStatus.OK
    assert "/admins: HTTP 404" in result.err and "--allow-unknown-admins" in result.err
    assert "admin: 1" in result.out  # coadmin1 by its isAdmin flag
    assert "coadmin1@example.edu" not in result.out.split("People who would be removed:")[1]


def test_include_admins_removes_other_admins_but_never_the_caller(run, make_fake):
    fake = make_fake(people=3)
    result = run(fake, "--yes", "--no-protected-emails", "--include-admins")
    assert result.code == ExitStatus.OK
    assert fake.emails() == {"admin@example.edu"}


def test_no_email_on_record_is_kept_with_a_warning(run, make_fake):
    fake = make_fake(people=2)
    ghost = fake.add_person(None, "Ghost Person")
    result = run(fake, "--yes", "--no-protected-emails")
    assert result.code == ExitStatus.OK
    assert ghost in fake.people
    assert f"person id {ghost} (Ghost Person) has no email" in result.err


def test_workspace_read_failure_is_exit_1_with_the_request_named(run, fake):
    fake.add_fault(method="GET", path=r"^/v4/workspaces/current$", status=403, message="Admin rights required")
    result = run(fake, "--dry-run")
    assert result.code == ExitStatus.ERROR
    assert "GET /v4/workspaces/current: HTTP 403: Admin rights required" in result.err


def test_html_error_page_is_reported_not_parsed_as_json(run, fake):
    fake.add_fault(method="GET", path=r"^/v4/people/current$", status=502, html=True, message="Bad Gateway", times=None)
    result = run(fake, "--dry-run")
    assert result.code == ExitStatus.ERROR
    assert "HTTP 502: 502 Bad Gateway" in result.err
    assert fake.count("GET", r"^/v4/people/current$") == 5  # retried, then given up
