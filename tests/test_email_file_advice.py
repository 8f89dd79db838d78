"""A file that is not what the tool reads gets advice fitting what it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from remove_users import ExitStatus


@pytest.mark.parametrize(
    "line, delimiter",
    [
        ("ta@example.edu; student00001@example.edu", ";"),
        ("Terry <ta@example.edu>; Student One <student00001@example.edu>", ";"),
        ("ta@example.edu, student00001@example.edu", ","),
    ],
)
def test_a_list_on_one_line_is_told_to_put_one_per_line(run, fake, tmp_path: Path, line, delimiter):
    path = tmp_path / "keep.txt"
    path.write_text(line + "\n")
    result = run(fake, "--exclude-file", str(path), "--dry-run")
    assert result.code == ExitStatus.USAGE
    assert result.err == (
        f"remove_users: error: {path}: line 1 holds 2 entries separated by {delimiter!r} (a list pasted from Outlook?), "
        "not a spreadsheet header; put one email per line\n"
    )
    assert fake.requests == []


def test_an_excel_workbook_is_told_to_save_as_csv(run, fake, tmp_path: Path):
    path = tmp_path / "keep.xlsx"
    path.write_bytes(b"PK\x03\x04binaryjunk\x00\x01")
    result = run(fake, "--exclude-file", str(path), "--dry-run")
    assert result.code == ExitStatus.USAGE
    assert result.err == f"remove_users: error: {path} looks like an Excel workbook, not text; in Excel save it as CSV UTF-8 and give that file\n"


def test_an_unclosed_quote_stops_the_run_instead_of_swallowing_later_rows(run, fake, tmp_path: Path):
    # A nickname typed with one quote: csv would read every later line into one cell, so the
    # people on them would silently protect nobody.
    path = tmp_path / "staff.csv"
    path.write_text(
        "Name,Email\nStudent One,student00001@example.edu\n\"Bobby Two,student00002@example.edu\n"
        "Student Three,student00003@example.edu\nStudent Four,student00004@example.edu\n"
    )
    result = run(fake, "--exclude-file", str(path), "--yes")
    assert result.code == ExitStatus.USAGE
    assert f"{path}: line 3 opens a quote" in result.err and "fix or remove the stray quote" in result.err
    assert fake.writes() == []


def test_a_quoted_name_with_a_comma_is_still_read(run, fake, tmp_path: Path):
    path = tmp_path / "staff.csv"
    path.write_text('Name,Email\n"Two, Student",student00002@example.edu\nStudent Three,student00003@example.edu\n')
    result = run(fake, "--exclude-file", str(path), "--dry-run", "--json")
    assert result.code == ExitStatus.OK, result.err
    assert "student00002@example.edu" not in {p["email"] for p in __import__("json").loads(result.out)["people"]}
