"""A report edited by hand (a column inserted, columns moved) is appended to by name under its own
header, so the undo and the grace removal still read every row; a file whose first line is not a
report's is refused, never written into."""

from __future__ import annotations

import csv

from conftest import SEEING, report_rows, student
from remove_users import ExitStatus

STATUS = SEEING["status-field"]


def insert_column(path: str, at: int, name: str) -> None:
    """What a reviewer does in a spreadsheet: a column of their own, inserted before column `at`."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    for n, row in enumerate(rows):
        row.insert(at, name if n == 0 else "checked")
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


def test_rows_appended_under_an_edited_header_are_read_back_by_the_undo(run, make_fake):
    fake = make_fake(people=3, **STATUS)
    assert run(fake, "--suspend", "--yes", "--only", student(1), "--report", "r.csv").code == 0
    insert_column("r.csv", 4, "note")  # after `email`
    assert run(fake, "--suspend", "--yes", "--only", student(2), "--report", "r.csv").code == 0
    header = open("r.csv", encoding="utf-8-sig").readline().strip()
    assert header.split(",")[3:6] == ["email", "note", "name"]  # the reviewer's header is kept
    second = [r for r in report_rows("r.csv") if r["email"] == student(2)]
    assert second and {r["person_id"] for r in second} == {str(fake.id_of(student(2)))}
    assert {r["note"] for r in second} == {""} and second[-1]["outcome"] == "suspended"
    undo = run(fake, "--unsuspend", "--yes", "--from-report", "r.csv")
    assert undo.code == ExitStatus.OK, undo.err
    assert fake.suspended_emails() == set()
    assert "Summary: unsuspended 2," in undo.out


def test_a_file_that_is_not_a_report_is_refused_and_left_alone(run, make_fake, tmp_path):
    fake = make_fake(people=2)
    other = tmp_path / "grades.csv"
    other.write_text("student,grade\r\nada@example.edu,A\r\n")
    before = other.read_bytes()
    result = run(fake, "--yes", "--only", student(1), "--report", str(other))
    assert result.code == ExitStatus.USAGE
    assert f"the report {other} is not a report of this tool" in result.err
    assert "time, workspace_id, person_id, outcome column" in result.err
    assert other.read_bytes() == before and fake.writes() == []
    assert student(1) in fake.emails()
