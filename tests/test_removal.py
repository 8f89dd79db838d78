"""Steps 4 to 10: plan output, dry run, confirmation, removal outcomes, retries, log, report, summary."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conftest import only_report, read_report, student
from remove_users import ExitStatus

PROTECTED = "student00001@example.edu"


def remaining(fake):
    return sorted(fake.emails())


# -- step 4: the plan, and the dry run --------------------------------------------------------


def test_dry_run_prints_the_plan_and_sends_no_write(run, fake):
    result = run(fake, "--exclude", PROTECTED.upper(), "--dry-run")
    assert result.code == ExitStatus.OK
    assert "Workspace: Fall 2026 Data Science (id 4242)" in result.out
    assert "Members: 22" in result.out and "To remove: 19" in result.out and "Kept: 3" in result.out
    assert "the caller (you): 1" in result.out and "protected email: 1" in result.out and "admin: 1" in result.out
    student2 = fake.id_of("student00002@example.edu")
    assert f"{student2}  student00002@example.edu  Student 2" in result.out
    assert PROTECTED not in result.out.split("People who would be removed:")[1]
    assert fake.writes() == []
    assert len(fake.people) == 22
    assert list(Path.cwd().glob("*.csv")) == []  # the report starts with the first removal


def test_unmatched_protected_email_is_warned_about(run, fake):
    result = run(fake, "--exclude", "typo@example.edu", "--dry-run")
    assert "protected email typo@example.edu matches no member" in result.err


# -- step 5: confirmation ----------------------------------------------------------------------


def test_not_a_terminal_and_no_yes_is_exit_2_naming_yes(run, fake):
    result = run(fake, "--exclude", PROTECTED)
    assert result.code == ExitStatus.USAGE
    assert "--yes", "--no-protected-emails" in result.err
    assert fake.writes() == []


def test_typing_the_workspace_name_confirms(run, fake):
    result = run(fake, "--exclude", PROTECTED, stdin="  fall 2026 DATA science \n")
    assert result.code == ExitStatus.OK
    assert "Type the workspace name (Fall 2026 Data Science)" in result.err
    assert "their flows, datasets and connections are deleted (no --transfer-to)" in result.err
    assert remaining(fake) == ["admin@example.edu", "coadmin1@example.edu", PROTECTED]


@pytest.mark.parametrize("typed", ["yes\n", "\n", ""])
def test_anything_else_declines_with_exit_4(run, fake, typed):
    result = run(fake, "--exclude", PROTECTED, stdin=typed)
    assert result.code == ExitStatus.SAFETY_STOP
    assert "not confirmed" in result.err
    assert fake.writes() == []
    assert list(Path.cwd().glob("*.csv")) == []


def test_a_nameless_workspace_is_confirmed_by_its_id(run, make_fake):
    fake = make_fake(people=2, workspace_name=None)
    result = run(fake, "--exclude", "nobody@example.edu", stdin="4242\n")
    assert result.code == ExitStatus.OK
    assert "Type the workspace id (4242)" in result.err
    assert len(fake.people) == 2


# -- step 6: outcomes ----------------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["204", "200", "mixed"])
def test_any_2xx_is_removed(run, make_fake, answer):
    fake = make_fake(people=6, delete_answer=answer)
    result = run(fake, "--yes", "--exclude", PROTECTED)
    assert result.code == ExitStatus.OK
    assert remaining(fake) == ["admin@example.edu", "coadmin1@example.edu", PROTECTED]
    assert "Summary: removed 5, already gone 0, failed 0, not attempted 0, kept 3" in result.out
    assert {row["outcome"] for row in only_report()} == {"removed"}


def test_404_and_410_are_already_gone_not_failures(run, fake):
    gone = fake.id_of("student00002@example.edu")
    gone2 = fake.id_of("student00003@example.edu")
    fake.add_fault(method="DELETE", person_id=gone, status=404, message="not a member")
    fake.add_fault(method="DELETE", person_id=gone2, status=410, message="gone")
    result = run(fake, "--yes", "--no-protected-emails", "--no-verify")  # the fake still lists them: verification would say failed
    assert result.code == ExitStatus.OK
    assert "already gone 2" in result.out
    assert f"already gone student00002@example.edu (id {gone})" in result.err
    rows = {row["email"]: row for row in only_report()}
    assert rows["student00002@example.edu"]["outcome"] == "already-gone"
    assert rows["student00003@example.edu"]["http_status"] == "410"


def test_403_on_one_person_fails_them_once_and_the_rest_go_on(run, fake):
    owner = fake.id_of("student00004@example.edu")
    fake.add_fault(method="DELETE", person_id=owner, status=403, message="Cannot remove the workspace owner", times=None)
    result = run(fake, "--yes", "--no-protected-emails")
    assert result.code == ExitStatus.SOME_FAILED
    assert fake.count("DELETE", rf"/people/{owner}$") == 1  # a permanent failure is not hammered
    assert remaining(fake) == ["admin@example.edu", "coadmin1@example.edu", "student00004@example.edu"]
    line = next(l for l in result.err.splitlines() if "student00004" in l)
    assert "FAILED" in line and "HTTP 403" in line and "Cannot remove the workspace owner" in line and "request id req-" in line
    assert "failed 1" in result.out
    row = next(r for r in only_report() if r["email"] == "student00004@example.edu")
    assert row["outcome"] == "failed" and row["http_status"] == "403" and row["request_id"].startswith("req-")


# -- step 7: retries ------------------------------------------------------------------------------


def test_5xx_is_retried_then_succeeds(run, fake):
    target = fake.id_of("student00005@example.edu")
    fake.add_fault(method="DELETE", person_id=target, status=503, times=2)
    result = run(fake, "--yes", "--no-protected-emails")
    assert result.code == ExitStatus.OK
    assert fake.count("DELETE", rf"/people/{target}$") == 3
    assert target not in fake.people


@pytest.mark.parametrize("status", [500, 502, 504])
def test_persistent_5xx_gives_up_after_5_attempts(run, fake, status):
    target = fake.id_of("student00005@example.edu")
    fake.add_fault(method="DELETE", person_id=target, status=status, times=None, html=status == 502)
    result = run(fake, "--yes", "--no-protected-emails")
    assert result.code == ExitStatus.SOME_FAILED
    assert fake.count("DELETE", rf"/people/{target}$") == 5
    assert target in fake.people


def test_connection_reset_is_retried(run, fake):
    target = fake.id_of("student00006@example.edu")
    fake.add_fault(method="DELETE", person_id=target, reset=True, times=2)
    result = run(fake, "--yes", "--no-protected-emails")
    assert result.code == ExitStatus.OK
    assert target not in fake.people
    row = next(r for r in only_report() if r["person_id"] == str(target))
    assert row["outcome"] == "removed"


def test_a_lost_answer_then_404_counts_as_removed(run, fake):
    target = fake.id_of("student00006@example.edu")
    fake.add_fault(method="DELETE", person_id=target, reset=True, act_first=True, times=1)
    result = run(fake, "--yes", "--no-protected-emails")
    assert result.code == ExitStatus.OK
    row = next(r for r in only_report() if r["person_id"] == str(target))
    assert row["outcome"] == "removed" and row["http_status"] == "404" and "earlier attempt" in row["detail"]


def test_endless_resets_are_unknown_not_removed(run, fake):
    target = fake.id_of("student00006@example.edu")
    fake.add_fault(method="DELETE", person_id=target, reset=True, times=None)
    result = run(fake, "--yes", "--no-protected-emails", "--no-verify")
    assert result.code == ExitStatus.SOME_FAILED
    assert fake.count("DELETE", rf"/people/{target}$") == 5
    row = next(r for r in only_report() if r["person_id"] == str(target))
    assert row["outcome"] == "unknown"


def test_timeout_is_retried(run, fake):
    target = fake.id_of("student00007@example.edu")
    calls = []

    def slow_once(method, path):
        if method == "DELETE" and path.endswith(f"/{target}"):
            calls.append(1)
            if len(calls) == 1:
                time.sleep(0.6)

    fake.hooks.append(slow_once)
    result = run(fake, "--yes", "--no-protected-emails", "--timeout", "0.3")
    assert result.code == ExitStatus.OK
    assert len(calls) >= 2
    assert target not in fake.people


@pytest.mark.parametrize("header", ["x-retry-after", "Retry-After"])
def test_429_waits_as_asked_and_pauses_every_worker(run, fake, header):
    fake.add_fault(method="DELETE", status=429, times=1, headers={header: "0.6"})
    result = run(fake, "--yes", "--no-protected-emails", "--concurrency", "4")
    assert result.code == ExitStatus.OK
    assert len(fake.people) == 2
    deletes = [r for r in fake.requests if r.method == "DELETE"]
    throttled_at = next(r.time for r in deletes if r.status == 429)
    # Nobody starts a request in the wait window (the three others in flight were already sent).
    started_in_window = [r for r in deletes if throttled_at + 0.05 < r.time < throttled_at + 0.5]
    assert started_in_window == []


def test_429_with_an_http_date(run, fake):
    import email.utils

    fake.add_fault(method="DELETE", status=429, times=1, headers={"Retry-After": email.utils.formatdate(time.time() + 1, usegmt=True)})
    result = run(fake, "--yes", "--no-protected-emails")
    assert result.code == ExitStatus.OK
    assert len(fake.people) == 2


def test_429_asking_over_300_seconds_stops_the_run(run, fake):
    target = fake.id_of("student00008@example.edu")
    fake.add_fault(method="DELETE", person_id=target, status=429, times=None, headers={"x-retry-after": "3600"})
    result = run(fake, "--yes", "--no-protected-emails", "--concurrency", "1")
    assert result.code == ExitStatus.ERROR
    assert fake.count("DELETE", rf"/people/{target}$") == 1
    assert "asked to wait 3600 s" in result.err and "Re-run the same command later" in result.err
    deletes = [r for r in fake.requests if r.method == "DELETE"]
    assert deletes[-1].path.endswith(f"/{target}")  # nothing is sent after the 429 that asked for an hour
    assert len(fake.people) > 10


def test_a_budget_spent_until_a_far_reset_stops_the_run_like_a_long_429(run, fake):
    # A spent daily quota: every answer after the first removal says 0 left until tomorrow.
    def budget() -> dict[str, str]:
        if fake.count("DELETE") == 0:
            return {}
        return {"x-rate-limit-day-remaining": "0", "x-rate-limit-day-reset": str(int(time.time()) + 86400)}

    fake._budget_headers = budget
    result = run(fake, "--yes", "--no-protected-emails", "--concurrency", "1")
    assert result.code == ExitStatus.ERROR
    assert fake.count("DELETE") == 1  # nothing sent after the answer that spent the budget
    assert "x-rate-limit-day-remaining: 0" in result.err and "Re-run the same command later" in result.err
    rows = only_report()
    assert sum(row["outcome"] == "removed" for row in rows) == 1
    assert sum(row["outcome"] == "not-attempted" for row in rows) == len(rows) - 1


@pytest.mark.parametrize("reset", ["nan", "-5", "inf", "soon"])
def test_a_budget_with_a_reset_that_means_nothing_is_ignored(run, fake, reset):
    fake._budget_headers = lambda: {"x-rate-limit-day-remaining": "0", "x-rate-limit-day-reset": reset}
    result = run(fake, "--yes", "--no-protected-emails")
    assert result.code == ExitStatus.OK
    assert len(fake.people) == 2


def test_uncured_401_stops_new_removals(run, make_fake):
    fake = make_fake(people=10, access_token_uses=10)  # 6 listing calls, then 4 removals
    result = run(fake, "--yes", "--no-protected-emails", "--concurrency", "1")
    assert result.code == ExitStatus.ERROR
    assert "access token was rejected" in result.err
    rows = only_report()
    outcomes = [r["outcome"] for r in rows]
    assert outcomes.count("removed") == 4 and outcomes.count("failed") == 1 and outcomes.count("not-attempted") == 5
    assert len(rows) == 10
    assert fake.count("DELETE") == 5


def test_at_most_concurrency_requests_in_flight(run, make_fake):
    fake = make_fake(people=40, latency=0.03)
    result = run(fake, "--yes", "--no-protected-emails", "--concurrency", "3")
    assert result.code == ExitStatus.OK
    assert len(fake.people) == 2
    assert fake.max_in_flight == 3


# -- steps 8 to 10: log lines, the report, the summary --------------------------------------------


def test_each_outcome_is_logged_with_a_running_count(run, make_fake):
    fake = make_fake(people=3)
    result = run(fake, "--yes", "--no-protected-emails", "--concurrency", "1")
    lines = [l for l in result.err.splitlines() if l.startswith("[")]
    assert [l.split("]")[0] for l in lines] == ["[1/3", "[2/3", "[3/3"]
    assert sorted(l.split("] ")[1] for l in lines) == [
        f"removed {student(n)} (id {fake.next_id - 4 + n})" for n in (1, 2, 3)
    ]


def test_quiet_keeps_failures_and_summary_but_not_progress(run, fake):
    target = fake.id_of("student00004@example.edu")
    fake.add_fault(method="DELETE", person_id=target, status=403, times=None)
    result = run(fake, "--yes", "--no-protected-emails", "-q")
    assert result.code == ExitStatus.SOME_FAILED
    assert "removed student00002" not in result.err
    assert "FAILED student00004@example.edu" in result.err
    assert "Summary: removed 19" in result.out
    assert "People to remove" not in result.out


def test_report_rows_match_the_server_and_it_is_appended_to(run, make_fake, tmp_path):
    fake = make_fake(people=5)
    report = tmp_path / "audit.csv"
    result = run(fake, "--yes", "--no-protected-emails", "--report", str(report))
    assert result.code == ExitStatus.OK
    assert f"Report: {report}" in result.out
    rows = read_report(report)
    assert len(rows) == 5
    assert {r["person_id"] for r in rows} == {str(i) for i in range(1002, 1007)}
    first = rows[0]
    assert set(first) >= {"time", "workspace_id", "person_id", "email", "name", "outcome", "http_status", "request_id", "detail"}
    assert first["workspace_id"] == "4242" and first["http_status"] == "204"
    fake.add_person("new@example.edu", "New")
    run(fake, "--yes", "--no-protected-emails", "--report", str(report))
    rows = read_report(report)
    assert len(rows) == 6 and rows[-1]["email"] == "new@example.edu"
    assert report.read_text().count("person_id") == 1  # one header: appended, never rewritten


def test_default_report_name(run, fake):
    run(fake, "--yes", "--no-protected-emails")
    (report,) = Path.cwd().glob("remove_users-4242-*Z.csv")
    assert len(read_report(report)) == 20


def test_spreadsheet_formulas_in_names_are_defused(run, make_fake):
    fake = make_fake(people=0)
    fake.add_person("evil@example.edu", "=HYPERLINK(\"x\")")
    run(fake, "--yes", "--no-protected-emails")
    assert only_report()[0]["name"].startswith("'=")


def test_nothing_to_remove_is_exit_0(run, make_fake):
    fake = make_fake(people=0)
    result = run(fake, "--yes", "--no-protected-emails")
    assert result.code == ExitStatus.OK
    assert "Nobody to remove." in result.out
    assert fake.writes() == []


@pytest.mark.parametrize("fault", [dict(reset=True), dict(status=503)], ids=["reset", "503"])
def test_a_backoff_leaves_its_slot_to_other_removals(run, fake, monkeypatch, fault):
    import remove_users

    monkeypatch.setattr(remove_users, "BACKOFF_BASE", 0.4)
    monkeypatch.setattr(remove_users, "BACKOFF_CAP", 1.0)
    slow = fake.id_of("student00001@example.edu")
    fake.add_fault(method="DELETE", person_id=slow, times=1, **fault)
    result = run(fake, "--yes", "--no-protected-emails", "--concurrency", "1")
    assert result.code == ExitStatus.OK
    deletes = [r.path for r in fake.requests if r.method == "DELETE"]
    first, second = [i for i, path in enumerate(deletes) if path.endswith(f"/{slow}")]
    assert second - first > 1  # others were removed while it waited
