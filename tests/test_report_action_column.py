"""Reports carry the action; a report begun by the previous version keeps its header and stays appendable."""

from __future__ import annotations

import json

from conftest import read_report, report_rows
from remove_users import REPORT_FIELDS, ExitStatus

OLD_HEADER = "time,workspace_id,person_id,email,name,outcome,http_status,request_id,detail,transferred_to"


def test_a_new_report_ends_with_the_action_and_host_columns(run, make_fake, tmp_path):
    fake = make_fake(people=2)
    report = tmp_path / "r.csv"
    assert run(fake, "--yes", "--no-protected-emails", "--report", str(report)).code == ExitStatus.OK
    header = report.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header == OLD_HEADER + ",action,host" and REPORT_FIELDS[-2:] == ["action", "host"]
    assert {r["action"] for r in report_rows(report)} == {"remove"}


def test_a_report_from_the_previous_version_keeps_its_header(run, make_fake, seeing, tmp_path):
    fake = make_fake(people=3, **seeing)
    report = tmp_path / "old.csv"
    old_row = "2026-06-01T10:00:00Z,4242,999,left@example.edu,Left Earlier,removed,204,req-1,,"
    report.write_text(f"{OLD_HEADER}\r\n{old_row}\r\n")
    result = run(fake, "--suspend", "--yes", "--report", str(report), "--only", "student00001@example.edu")
    assert result.code == ExitStatus.OK, result.err
    lines = report.read_text().splitlines()
    assert lines[0] == OLD_HEADER and lines[1] == old_row
    assert all(line.count(",") == OLD_HEADER.count(",") for line in lines)  # no column the header lacks
    assert {r["email"]: r["outcome"] for r in read_report(report)}["student00001@example.edu"] == "suspended"
    # ... and the undo still finds whom it suspended, without an action column
    undo = run(fake, "--unsuspend", "--yes", "--from-report", str(report), "--report", str(report))
    assert undo.code == ExitStatus.OK, undo.err
    assert fake.suspended_emails() == set()


def test_an_interrupted_suspension_is_settled_as_a_suspension(run, make_fake, seeing, tmp_path):
    fake = make_fake(people=3, **seeing)
    done, not_done = fake.id_of("student00001@example.edu"), fake.id_of("student00002@example.edu")
    fake.set_suspended(done)
    report = tmp_path / "r.csv"
    header = OLD_HEADER + ",action"
    rows = [
        f"2026-11-28T10:00:00Z,4242,{done},student00001@example.edu,Student 1,attempting,,,about to send,,suspend",
        f"2026-11-28T10:00:00Z,4242,{not_done},student00002@example.edu,Student 2,attempting,,,about to send,,suspend",
    ]
    report.write_text("\r\n".join([header, *rows]) + "\r\n")
    result = run(fake, "--yes", "--report", str(report), "--only", "student00003@example.edu")
    assert result.code == ExitStatus.OK, result.err
    last = {r["person_id"]: r for r in read_report(report)}
    assert last[str(done)]["outcome"] == "suspended" and last[str(done)]["action"] == "suspend"
    assert last[str(not_done)]["outcome"] == "failed" and "not suspended" in last[str(not_done)]["detail"]
    assert done in fake.people and not_done in fake.people  # settling a suspension removes nobody
    assert "Settled 2 `attempting` rows" in result.err and "1 suspended, 1 not suspended" in result.err


def test_a_report_of_another_workspace_undoes_nothing(run, make_fake, tmp_path):
    fake = make_fake(people=2)
    report = tmp_path / "r.csv"
    report.write_text(f"{OLD_HEADER},action\r\n2026-11-28T10:00:00Z,777,1002,a@example.edu,A,suspended,200,,,,suspend\r\n")
    result = run(fake, "--yes", "--unsuspend", "--from-report", str(report))
    assert result.code == ExitStatus.USAGE
    assert "shows nobody suspended in workspace" in result.err
    assert fake.writes() == []


def test_a_stop_after_acting_reaches_the_json_error_key(run, make_fake):
    fake = make_fake(people=8)
    fake.add_fault(method="PUT", status=403, times=None, message="Forbidden")
    fake.bulk_suspend_route = False
    result = run(fake, "--suspend", "--yes", "--no-protected-emails", "--json", "--concurrency", "1")
    assert result.code == ExitStatus.ERROR
    doc = json.loads(result.out)
    assert "were all refused (HTTP 403)" in doc["error"] and "No new suspensions were started" in doc["error"]
    assert result.err.count("remove_users: error: ") == 1
