"""After `kill -9`, the next run with the default (timestamped) report name settles the `attempting`
rows the killed run left in its own default-named report, and touches no other file."""

from __future__ import annotations

from pathlib import Path

from conftest import read_report
from remove_users import AuditReport, ExitStatus, Person, report_host


def killed_run_report(path: Path, workspace_id: int, people: list[Person], fake) -> None:
    """What a run against the fake, killed right after its intent rows, leaves behind."""
    report = AuditReport(str(path), workspace_id, host=report_host(fake.base_url))
    for person in people:
        report.attempt(person)
    report.close()


def test_the_next_default_run_settles_the_killed_runs_report(run, make_fake, tmp_path):
    fake = make_fake(people=4)
    ws = fake.workspace["id"]
    one, two = (Person(fake.id_of(e), e, "") for e in ("student00001@example.edu", "student00002@example.edu"))
    old = tmp_path / f"remove_users-{ws}-20261128T234908Z.csv"
    killed_run_report(old, ws, [one, two], fake)
    del fake.people[one.id]  # the server acted on the first before the kill
    other_ws = tmp_path / "remove_users-9999-20261128T234908Z.csv"
    killed_run_report(other_ws, 9999, [two], fake)
    renamed = tmp_path / f"remove_users-{ws}-fall.csv"
    killed_run_report(renamed, ws, [two], fake)
    before = {p: p.read_bytes() for p in (other_ws, renamed)}

    result = run(fake, "--yes", "--only", "student00003@example.edu")
    assert result.code == ExitStatus.OK, result.err
    outcomes = {r["email"]: (r["outcome"], r["detail"][:8]) for r in read_report(old)}
    assert outcomes == {"student00001@example.edu": ("removed", "settled:"), "student00002@example.edu": ("failed", "settled:")}
    assert f"Settled 2 `attempting` rows an earlier run left in {old.name}: 1 removed, 1 still members" in result.err
    assert {p: p.read_bytes() for p in (other_ws, renamed)} == before  # another workspace, a name not the default's
    assert "student00002@example.edu" in fake.emails()

    again = run(fake, "--yes", "--only", "student00004@example.edu")
    assert again.code == ExitStatus.OK
    assert "Settled" not in again.err  # settled once; the rows stay settled


def test_a_given_report_leaves_default_named_reports_alone(run, make_fake, tmp_path):
    fake = make_fake(people=2)
    ws = fake.workspace["id"]
    old = tmp_path / f"remove_users-{ws}-20261128T234908Z.csv"
    killed_run_report(old, ws, [Person(fake.id_of("student00001@example.edu"), "student00001@example.edu", "")], fake)
    before = old.read_bytes()
    result = run(fake, "--yes", "--only", "student00002@example.edu", "--report", str(tmp_path / "mine.csv"))
    assert result.code == ExitStatus.OK, result.err
    assert old.read_bytes() == before
