"""Items 2 and 3: answers that are not what they seem, and a server that says stop."""

from __future__ import annotations

import pytest

from conftest import only_report, student
from remove_users import ExitStatus

STUDENTS = {student(n) for n in range(1, 21)}


def outcomes() -> dict[str, str]:
    return {r["email"]: r["outcome"] for r in only_report()}


@pytest.mark.parametrize("body", ["html", "exception"])
def test_a_2xx_sign_in_page_or_error_body_is_not_a_removal(run, fake, body):
    fake.add_fault(method="DELETE", status=200, html=body == "html", message="Sign in to continue")
    result = run(fake, "--yes", "--no-protected-emails", "--no-verify")
    assert result.code == ExitStatus.SOME_FAILED
    assert set(outcomes().values()) == {"unknown"}
    assert STUDENTS <= fake.emails()  # the proxy removed nobody
    assert "not taken as a removal" in result.err
    # With verification, the listing decides: still members, so failed.
    fake.add_person("x@example.edu", "X")
    result = run(fake, "--yes", "--no-protected-emails", "--report", "v.csv")
    assert result.code == ExitStatus.SOME_FAILED
    assert "verified: 0 of 21" in result.out


def test_a_404_naming_a_missing_route_stops_the_run_and_is_never_already_gone(run, fake):
    fake.add_fault(method="DELETE", status=404, name="RouteNotFoundException", message="No route for DELETE")
    result = run(fake, "--yes", "--no-protected-emails", "--concurrency", "1")
    assert result.code == ExitStatus.ERROR
    assert "naming a missing route" in result.err and "No new removals were started" in result.err
    assert fake.count("DELETE") == 1
    rows = outcomes()
    assert "already-gone" not in rows.values()
    assert list(rows.values()).count("failed") == 1 and list(rows.values()).count("not-attempted") == 19
    assert STUDENTS <= fake.emails()


def test_404_for_the_first_five_with_none_succeeding_stops_and_is_not_already_gone(run, fake):
    fake.add_fault(method="DELETE", status=404, message="Person not found")
    result = run(fake, "--yes", "--no-protected-emails", "--concurrency", "2")
    assert result.code == ExitStatus.ERROR
    assert "the first 5 removals all answered 404" in result.err or "removals all answered 404" in result.err
    assert fake.count("DELETE") <= 7  # the streak, plus what was in flight
    rows = outcomes()
    assert "already-gone" not in rows.values()
    assert "already gone 0" in result.out


def test_404s_in_a_row_after_a_success_are_still_already_gone(run, fake):
    leavers = [fake.id_of(student(n)) for n in range(10, 17)]

    def leave(method, path):  # seven people leave on their own once removals have started
        if method == "DELETE":
            for pid in leavers:
                fake.people.pop(pid, None)

    fake.hooks.append(leave)
    result = run(fake, "--yes", "--no-protected-emails", "--concurrency", "1")
    assert result.code == ExitStatus.OK, result.err
    assert "already gone 7" in result.out
    assert "verified: 20 of 20" in result.out


def test_a_504_after_the_backend_acted_then_404_is_removed(run, fake):
    target = fake.id_of("student00005@example.edu")
    fake.add_fault(method="DELETE", person_id=target, status=504, act_first=True, times=1, html=True, message="Gateway Timeout")
    result = run(fake, "--yes", "--no-protected-emails", "--no-verify")
    assert result.code == ExitStatus.OK, result.err
    row = next(r for r in only_report() if r["person_id"] == str(target))
    assert row["outcome"] == "removed" and "earlier attempt" in row["detail"]
    assert "already gone 0" in result.out


def test_persistent_504s_are_unknown_not_failed(run, fake):
    target = fake.id_of("student00005@example.edu")
    fake.add_fault(method="DELETE", person_id=target, status=504)
    result = run(fake, "--yes", "--no-protected-emails", "--no-verify")
    assert result.code == ExitStatus.SOME_FAILED
    assert next(r for r in only_report() if r["person_id"] == str(target))["outcome"] == "unknown"


def test_403_for_everyone_stops_after_five_naming_the_role(run, fake):
    fake.add_fault(method="DELETE", status=403, message="Forbidden")
    result = run(fake, "--yes", "--no-protected-emails", "--concurrency", "1")
    assert result.code == ExitStatus.ERROR
    assert "Workspace Admin role" in result.err
    assert fake.count("DELETE") == 5
    values = list(outcomes().values())
    assert values.count("failed") == 5 and values.count("not-attempted") == 15


def test_403_on_a_few_after_a_success_goes_on(run, fake):
    for n in (2, 3, 4, 5, 6, 7):
        fake.add_fault(method="DELETE", person_id=fake.id_of(student(n)), status=403)
    result = run(fake, "--yes", "--no-protected-emails", "--concurrency", "1")
    assert result.code == ExitStatus.SOME_FAILED
    assert fake.count("DELETE") == 20


def test_a_429_asking_for_a_day_stops_at_once(run, fake):
    fake.add_fault(method="DELETE", status=429, headers={"Retry-After": "86400"})
    result = run(fake, "--yes", "--no-protected-emails", "--concurrency", "4")
    assert result.code == ExitStatus.ERROR
    assert "asked to wait 86400 s" in result.err and "Re-run the same command later" in result.err
    assert fake.count("DELETE") <= 4  # those already in flight, nothing after
    assert set(outcomes().values()) == {"not-attempted"}
    assert STUDENTS <= fake.emails()
