"""Workspace and person ids are numbered per tenant, so each report row carries the AAC host it
was written against (a `host` column at the end), and a run reads only its own host's rows: another
tenant's default-named report in the same folder never dates a suspension, is never settled against
this listing and is never undone here."""

from __future__ import annotations

from pathlib import Path

import datetime as dt

from conftest import SEEING, age_rows, read_report, report_rows, student, suspended_by_hand
from remove_users import REPORT_FIELDS, ExitStatus, report_host

STATUS = SEEING["status-field"]


def test_rows_name_the_host_they_were_written_against(run, make_fake):
    fake = make_fake(people=2, **STATUS)
    assert run(fake, "--suspend", "--yes", "--only", student(1), "--report", "r.csv").code == 0
    assert REPORT_FIELDS[-2:] == ["action", "host"]
    assert {r["host"] for r in report_rows("r.csv")} == {report_host(fake.base_url)}
    assert report_host(fake.base_url).startswith("127.0.0.1:")
    assert report_host("https://US1.alteryxcloud.com:443") == "us1.alteryxcloud.com"


def test_another_tenants_report_does_not_date_a_suspension_here(run, make_fake):
    us, eu = make_fake(people=3, **STATUS), make_fake(people=3, **STATUS)  # both workspace 4242
    assert run(eu, "--suspend", "--yes", "--only", student(1)).code == 0
    (eu_report,) = Path.cwd().glob("remove_users-4242-*.csv")
    age_rows(eu_report, student(1), 40)
    suspended_by_hand(us, student(1), 1)  # the same id and email in the us tenant: someone else
    result = run(us, "--yes", "--suspended-days", "30")
    assert result.code == ExitStatus.OK, result.err
    assert student(1) in us.emails(), "the eu tenant's report dated a us suspension"
    assert "suspension time unknown: 1" in result.out
    assert f"rows of another AAC host skipped (its people are not this workspace's): {eu_report.name}" in result.out


def test_another_tenants_interrupted_removal_is_not_settled_here(run, make_fake):
    us, eu = make_fake(people=3, **STATUS), make_fake(people=5, **STATUS)
    only_eu = eu.id_of(student(5))  # no such id in us
    name = "remove_users-4242-20260101T000000Z.csv"  # an eu run killed mid-removal
    Path(name).write_text(
        ",".join(REPORT_FIELDS) + "\r\n"
        f"2026-01-01T00:00:00Z,4242,{only_eu},{student(5)},S5,attempting,,,about to send the"
        f" removal,,remove,{report_host(eu.base_url)}\r\n"
    )
    before = Path(name).read_bytes()
    result = run(us, "--yes", "--only", student(1))
    assert result.code == ExitStatus.OK, result.err
    assert Path(name).read_bytes() == before and "Settled" not in result.err
    assert read_report(name)[-1]["outcome"] == "attempting"
    assert student(5) in eu.emails()


def test_another_tenants_report_undoes_nobody_here(run, make_fake):
    us, eu = make_fake(people=3, **STATUS), make_fake(people=3, **STATUS)
    assert run(eu, "--suspend", "--yes", "--only", student(1), "--report", "eu.csv").code == 0
    suspended_by_hand(us, student(1), 1)
    result = run(us, "--unsuspend", "--yes", "--from-report", "eu.csv")
    assert result.code == ExitStatus.USAGE
    assert f"its rows of another host, {report_host(eu.base_url)}, were skipped" in result.err
    assert us.writes() == [] and student(1) in us.suspended_emails()


OLD_HEADER = "time,workspace_id,person_id,email,name,outcome,http_status,request_id,detail,transferred_to,action"


def test_a_default_named_report_without_hosts_is_read_only_when_given(run, make_fake):
    fake = make_fake(people=3, **SEEING["isDisabled"])
    pid = fake.id_of(student(1))
    fake.set_suspended(pid, days_ago=40)
    fake.time_passes(pid, 0)
    name = "remove_users-4242-20260101T000000Z.csv"  # an earlier version's: whose tenant, unsaid
    when = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%SZ")
    Path(name).write_text(
        f"{OLD_HEADER}\r\n{when},4242,{pid},{student(1)},S1,suspended,200,,,,suspend\r\n"
        f"{when},4242,{fake.id_of(student(2))},{student(2)},S2,attempting,,,,,remove\r\n"
    )
    before = Path(name).read_bytes()
    found = run(fake, "--yes", "--suspended-days", "30", "--allow-unknown-admins")
    assert found.code == ExitStatus.OK, found.err
    assert student(1) in fake.emails() and "suspension time unknown: 1" in found.out
    assert "rows of another AAC host skipped (its people are not this workspace's)" in found.out
    assert run(fake, "--yes", "--only", student(3)).code == ExitStatus.OK
    assert Path(name).read_bytes() == before  # not settled against this tenant's listing
    given = run(fake, "--yes", "--suspended-days", "30", "--allow-unknown-admins", "--report", name)
    assert given.code == ExitStatus.OK, given.err
    assert student(1) not in fake.emails()  # named by the user: read as this host's
