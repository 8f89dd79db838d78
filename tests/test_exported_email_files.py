"""Issue 10, item 5: --exclude-file and --only-file read files as admins export them."""

from __future__ import annotations

import json

import pytest

from conftest import write_file
from remove_users import ExitStatus


@pytest.mark.parametrize(
    "text",
    [
        "Name;Work Email;Section\nOne;student00001@example.edu;A\nTwo;student00002@example.edu;B\n",  # European Excel
        "Name\tEmail Address [Required]\nOne\tstudent00001@example.edu\nTwo\tstudent00002@example.edu\n",  # tab
        "Name,E-mail 1 - Value\nOne,student00001@example.edu\n\"Two, Jr.\",student00002@example.edu\n",
        "\ufeffFirst;Last;EMAIL_ADDRESS\nA;One;student00001@example.edu\nB;Two;student00002@example.edu\n",  # BOM
    ],
)
def test_delimiters_and_email_column_names(run, fake, tmp_path, text):
    result = run(fake, "--exclude-file", write_file(tmp_path, text, "keep.csv"), "--dry-run")
    assert result.code == ExitStatus.OK, result.err
    assert "protected email: 2" in result.out


def test_excel_unicode_text_export_in_utf16(run, fake, tmp_path):
    path = write_file(
        tmp_path,
        "\ufeffName\tE-mail\nOne\tstudent00001@example.edu\n",
        "keep.csv",
        encoding="utf-16-le",
    )
    result = run(fake, "--exclude-file", path, "--dry-run")
    assert result.code == ExitStatus.OK, result.err
    assert "protected email: 1" in result.out


def test_comments_after_an_address_in_a_plain_list(run, fake, tmp_path):
    listing = write_file(
        tmp_path,
        "# TAs\nstudent00001@example.edu   # head TA, keep\nstudent00002@example.edu\t# lab\n",
        "keep.txt",
    )
    # In a spreadsheet's cell `#` is data (test_email_file_rows_as_csv_reads_them.py).
    result = run(fake, "--exclude-file", listing, "--dry-run")
    assert result.code == ExitStatus.OK, result.err
    assert "protected email: 2" in result.out


def test_google_contacts_export_picks_the_column_that_holds_emails(run, fake, tmp_path):
    path = write_file(
        tmp_path,
        "Name,E-mail 1 - Type,E-mail 1 - Value\nOne,* Work,student00001@example.edu\n",
        "keep.csv",
    )
    result = run(fake, "--exclude-file", path, "--dry-run")
    assert result.code == ExitStatus.OK, result.err
    assert "protected email: 1" in result.out


def test_several_email_columns_are_named_and_one_is_asked_for(run, fake, tmp_path):
    text = "Name,Email,Work Email\nOne,student00002@example.edu,student00001@example.edu\n"
    path = write_file(tmp_path, text, "keep.csv")
    result = run(fake, "--exclude-file", path, "--dry-run")
    assert result.code == ExitStatus.USAGE
    assert result.err == (
        f"remove_users: error: {path}: several columns name an email ('Email'; 'Work Email'); "
        "choose one with --email-column, for example --email-column 'Email'\n"
    )
    assert fake.requests == []
    result = run(fake, "--exclude-file", path, "--email-column", "work email", "--dry-run")
    assert result.code == ExitStatus.OK, result.err
    assert "protected email: 1" in result.out


def test_an_unknown_email_column_lists_the_columns(run, fake, tmp_path):
    path = write_file(tmp_path, "Name,Mail\nOne,student00001@example.edu\n", "keep.csv")
    result = run(fake, "--exclude-file", path, "--email-column", "Email", "--dry-run")
    assert result.code == ExitStatus.USAGE
    assert "no column is named 'Email'" in result.err and "1 'Name', 2 'Mail'" in result.err


def test_rows_with_an_empty_email_cell_are_counted_in_one_line(run, fake, tmp_path):
    path = write_file(
        tmp_path,
        "Name;Email\nOne;student00001@example.edu\nNo email;\n;;\nAlso none;  \n"
        "Two;student00002@example.edu\n",
        "keep.csv",
    )
    result = run(fake, "--exclude-file", path, "--dry-run")
    assert result.code == ExitStatus.OK, result.err
    assert "protected email: 2" in result.out
    assert f"remove_users: warning: {path}: 2 rows have an empty email cell (line 3, 5); they protect nobody\n" in result.err
    leavers = write_file(
        tmp_path, "Email\nstudent00003@example.edu\n\n,\nstudent00004@example.edu\n", "leavers.csv"
    )
    result = run(fake, "--only-file", leavers, "--dry-run")
    assert "To remove: 2" in result.out  # a row of empty cells is not a person: no warning for it
    assert "empty email cell" not in result.err


def test_more_than_ten_unmatched_protected_entries_make_one_line(run, fake, tmp_path):
    path = write_file(
        tmp_path, "".join(f"gone{n:02d}@example.edu\n" for n in range(12)), "keep.txt"
    )
    result = run(fake, "--exclude-file", path, "--dry-run", "--json")
    assert result.code == ExitStatus.OK
    assert result.err.count("match no member") == 1
    assert (
        "remove_users: warning: 12 protected emails match no member of this workspace (typos, or people who left); "
        '-v lists each, as does --json under "unmatched"\n'
    ) in result.err
    assert json.loads(result.out)["unmatched"] == [f"gone{n:02d}@example.edu" for n in range(12)]
    verbose = run(fake, "--exclude-file", path, "--dry-run", "-v")
    assert verbose.err.count("matches no member of this workspace") == 12
    ten = write_file(tmp_path, "".join(f"gone{n:02d}@example.edu\n" for n in range(10)), "ten.txt")
    assert run(fake, "--exclude-file", ten, "--dry-run").err.count("matches no member of this workspace") == 10
