"""Issue 19, item 2: a header that names two columns alike is ambiguous, and --email-column takes a
column's number (counting from 1) as well as its header."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_file
from remove_users import ExitStatus


def twins(tmp_path: Path) -> str:
    # The first Email is the manager's, the second the worker's: the header alone cannot tell.
    return write_file(
        tmp_path,
        "Manager,Email,Worker,Email\n"
        "Student Nine,student00009@example.edu,Student One,student00001@example.edu\n"
        "Student Nine,student00009@example.edu,Student Two,student00002@example.edu\n",
        "leavers.csv",
    )


@pytest.mark.parametrize("asked", [["--email-column", "Email"], []], ids=["asked", "unasked"])
def test_a_header_that_heads_two_columns_stops_naming_their_numbers(run, fake, tmp_path, asked):
    leavers = twins(tmp_path)
    before = fake.emails()
    result = run(fake, "--only-file", leavers, *asked, "--yes")
    assert result.code == ExitStatus.USAGE
    assert result.err == (
        f"remove_users: error: {leavers}: 2 columns are named 'Email' (columns 2 and 4); which "
        "one holds the listed people's addresses cannot be told from the header: choose one by its "
        "number, --email-column 2 or --email-column 4\n"
    )
    assert fake.emails() == before and fake.writes() == []


def test_a_twin_that_is_the_only_full_column_is_still_a_question(run, fake, tmp_path):
    path = tmp_path / "leavers.csv"
    text = "Manager,Email,Worker,Email\nNine,student00009@example.edu,One,\n"
    path.write_text(text, encoding="utf-8")
    result = run(fake, "--only-file", str(path), "--yes")
    assert result.code == ExitStatus.USAGE
    assert "2 columns are named 'Email' (columns 2 and 4)" in result.err
    assert fake.writes() == []


def test_the_column_number_reads_that_column(run, fake, tmp_path):
    leavers = twins(tmp_path)
    result = run(fake, "--only-file", leavers, "--email-column", "4", "--yes")
    assert result.code == ExitStatus.OK, result.err
    assert f"Emails from {leavers} (--only-file): column 4 ('Email')\n" in result.out
    assert "student00009@example.edu" in fake.emails()
    assert fake.emails().isdisjoint({"student00001@example.edu", "student00002@example.edu"})


def test_a_number_past_the_last_column_or_zero_is_refused(run, fake, tmp_path):
    leavers = twins(tmp_path)
    result = run(fake, "--only-file", leavers, "--email-column", "5", "--dry-run")
    assert result.code == ExitStatus.USAGE
    assert result.err == (
        f"remove_users: error: {leavers}: no column is numbered 5 (--email-column); its columns: "
        "1 'Manager', 2 'Email', 3 'Worker', 4 'Email'. Give --email-column once more with this "
        "file's email column, by header or number (each file uses the first it has)\n"
    )
    zero = run(fake, "--only-file", leavers, "--email-column", "0", "--dry-run")
    assert zero.code == ExitStatus.USAGE
    assert zero.err == (
        "remove_users: error: --email-column 0: columns are numbered from 1 (the first column)\n"
    )
    assert fake.requests == []


def test_a_number_that_is_also_another_columns_header_is_refused(run, fake, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("2,Email\nx,student00001@example.edu\n", encoding="utf-8")
    result = run(fake, "--only-file", str(path), "--email-column", "2", "--dry-run")
    assert result.code == ExitStatus.USAGE
    meant = "--email-column 2 could mean column 2 ('Email') or the column headed '2' (column 1)"
    assert meant in result.err


def test_help_tells_of_the_number(run):
    result = run(None, "--help")
    assert "--email-column COLUMN" in result.out
    assert "column's number" in " ".join(result.out.split())
    assert "FILE=COLUMN" in " ".join(result.out.split())


def leavers_with_the_manager_fourth(tmp_path: Path) -> str:
    path = tmp_path / "hr-leavers.csv"
    path.write_text(
        "Employee ID,Name,Leaving Date,Manager Email,Work Email\n"
        "1001,Student Three,2026-03-31,student00009@example.edu,student00003@example.edu\n",
        encoding="utf-8",
    )
    return str(path)


def test_a_number_with_several_files_must_say_which_file(run, fake, tmp_path):
    # The twin file's advice is "--email-column 4"; in the leavers file column 4 is the manager's.
    keep, leavers = twins(tmp_path), leavers_with_the_manager_fourth(tmp_path)
    before = fake.emails()
    result = run(fake, "--exclude-file", keep, "--only-file", leavers, "--email-column", "4", "--yes")
    assert result.code == ExitStatus.USAGE
    assert result.err == (
        "remove_users: error: --email-column 4: a column number means one file's column, and this "
        f"run reads 2 files of emails ({keep}, {leavers}); say which file it is for: "
        f"--email-column {keep}=4\n"
    )
    assert fake.emails() == before and fake.requests == []


def test_a_number_given_for_one_file_reads_that_file_only(run, fake, tmp_path):
    keep, leavers = twins(tmp_path), leavers_with_the_manager_fourth(tmp_path)
    result = run(
        fake, "--exclude-file", keep, "--only-file", leavers, "--email-column", f"{keep}=4", "--yes"
    )
    assert result.code == ExitStatus.OK, result.err
    assert f"Emails from {keep} (--exclude-file): column 4 ('Email')" in result.out
    assert f"Emails from {leavers} (--only-file): column 'Work Email'" in result.out
    assert "student00003@example.edu" not in fake.emails()
    assert "student00009@example.edu" in fake.emails()


def test_a_number_that_lands_on_someone_elses_column_is_a_question(run, fake, tmp_path):
    leavers = leavers_with_the_manager_fourth(tmp_path)
    result = run(fake, "--only-file", leavers, "--email-column", "4", "--yes")
    assert result.code == ExitStatus.USAGE
    assert result.err == (
        f"remove_users: error: {leavers}: --email-column 4 is the column 'Manager Email', which "
        "reads as a manager's address; if it is the one meant, give the number for this file: "
        f"--email-column {leavers}=4\n"
    )
    assert "student00009@example.edu" in fake.emails() and fake.writes() == []
    meant = run(fake, "--only-file", leavers, "--email-column", f"{leavers}=4", "--dry-run")
    assert meant.code == ExitStatus.OK, meant.err
    assert f"Emails from {leavers} (--only-file): column 'Manager Email'" in meant.out


def test_a_header_still_applies_to_every_file(run, fake, tmp_path):
    keep = tmp_path / "staff.csv"
    keep.write_text("Name,Work Email\nOne,student00001@example.edu\n", encoding="utf-8")
    leavers = leavers_with_the_manager_fourth(tmp_path)
    result = run(
        fake, "--exclude-file", str(keep), "--only-file", leavers, "--email-column", "work email",
        "--dry-run",
    )  # fmt: skip
    assert result.code == ExitStatus.OK, result.err
    assert "protected email: 1" in result.out and "To remove: 1" in result.out
