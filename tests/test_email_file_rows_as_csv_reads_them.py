"""An email file's rows are the rows a CSV reader sees: a record ends only at a newline, a cell
that starts with `#` is data, and a quote that is never closed is refused wherever it is."""

from __future__ import annotations

import csv
import io

import pytest

from conftest import write_file
from remove_users import ExitStatus


# Characters str.splitlines breaks at but csv does not; csv.writer leaves them unquoted in a cell.
NOT_NEWLINES = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("char", NOT_NEWLINES, ids=[f"U+{ord(c):04X}" for c in NOT_NEWLINES])
def test_a_name_holding_a_line_separator_does_not_split_its_row(run, fake, tmp_path, char):
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["Employee ID", "Name", "Email", "Manager Email", "Leaving Date"])
    writer.writerow(["1001", f"Student{char}1", "student00001@example.edu", "student00009@example.edu", "2026-03-31"])
    writer.writerow(["1002", "Student 2", "student00002@example.edu", "student00009@example.edu", "2026-03-31"])
    leavers = write_file(tmp_path, text.getvalue(), "leavers.csv")
    result = run(fake, "--only-file", leavers, "--yes")
    assert result.code == ExitStatus.OK, result.err
    assert "empty email cell" not in result.err
    # The manager stays; both leavers go.
    assert "student00009@example.edu" in fake.emails()
    assert fake.emails().isdisjoint({"student00001@example.edu", "student00002@example.edu"})


@pytest.mark.parametrize(
    "text",
    [
        "Employee ID,Name,Email\n#1001,Student One,student00001@example.edu\n"
        "1002,Student Two,student00002@example.edu\n",
        "Dept,Name,Email\n#N/A,Student One,student00001@example.edu\n"
        "Math,Student Two,student00002@example.edu\n",
        "Dept,Name,Email\n  #REF!,Student One,student00001@example.edu\n"
        "Math,Student Two,student00002@example.edu\n",
        "#,Name,Email\n1,Student One,student00001@example.edu\n2,Student Two,student00002@example.edu\n",
        "#;Name;Email\n1;Student One;student00001@example.edu\n2;Student Two;student00002@example.edu\n",
        "# exported from HR, 2026-03-01\nName,Email\nStudent One,student00001@example.edu\n"
        "Student Two,student00002@example.edu\n",
    ],
    ids=["id-#1001", "#N/A", "indented-#REF!", "#-header", "#-header-semicolons", "comment-above"],
)
def test_a_cell_that_starts_with_a_hash_is_data(run, fake, tmp_path, text):
    keep = write_file(tmp_path, text, "staff.csv")
    result = run(fake, "--exclude-file", keep, "--yes")
    assert result.code == ExitStatus.OK, result.err
    assert {"student00001@example.edu", "student00002@example.edu"} <= fake.emails()
    assert len(fake.emails()) == 4  # the two kept, the admin and the co-admin


def test_a_note_after_an_address_in_a_cell_is_refused_naming_the_line(run, fake, tmp_path):
    # In a plain list `# ...` is a comment; inside a CSV cell it is part of the cell, and reading
    # `a@x # not leaving` as `a@x` would select that person.
    leavers = write_file(
        tmp_path,
        "Name,Email\nStudent One,student00001@example.edu # not leaving\n",
        "leavers.csv",
    )
    result = run(fake, "--only-file", leavers, "--yes")
    assert result.code == ExitStatus.USAGE
    assert "'student00001@example.edu # not leaving' is not a well-formed email" in result.err
    assert fake.writes() == []


@pytest.mark.parametrize("end", ["\n", ""], ids=["newline", "no-newline"])
def test_a_quote_never_closed_on_the_last_line_is_refused(run, fake, tmp_path, end):
    keep = write_file(
        tmp_path,
        f'Name,Email\nStudent One,student00001@example.edu\n"Student Two,student00002@example.edu{end}',
        "staff.csv",
    )
    result = run(fake, "--exclude-file", keep, "--yes")
    assert result.code == ExitStatus.USAGE
    assert result.err == (
        f'remove_users: error: {keep}: line 3 opens a quote (") that is never closed; fix or remove '
        "the stray quote\n"
    )
    assert fake.requests == []


def test_a_quote_never_closed_earlier_is_refused_naming_its_line(run, fake, tmp_path):
    keep = write_file(
        tmp_path,
        'Name,Email\n"Student One,student00001@example.edu\nStudent Two,student00002@example.edu\n',
        "staff.csv",
    )
    result = run(fake, "--exclude-file", keep, "--yes")
    assert result.code == ExitStatus.USAGE
    assert f'{keep}: line 2 opens a quote (") that is never closed' in result.err
    assert fake.requests == []


def test_a_plain_list_keeps_its_comments(run, fake, tmp_path):
    keep = write_file(
        tmp_path,
        "# TAs, term 2\nstudent00001@example.edu  # head TA\n#student00003@example.edu\n"
        "student00002@example.edu\n",
        "keep.txt",
    )
    result = run(fake, "--exclude-file", keep, "--dry-run")
    assert result.code == ExitStatus.OK, result.err
    assert "protected email: 2" in result.out
