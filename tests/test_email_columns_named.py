"""The plan names the file and column each email list came from; a column that reads as someone
else's address (Manager Email) is never used unasked; --email-column may name one column a file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import pair_file, write_file
from remove_users import ExitStatus

# Two files with a second email column each: the staff's personal address, the leavers' manager's.
STAFF = "Name,Work Email,Personal Email\nOne,student00001@example.edu,one@home.example\n"
LEAVERS = "Name,Email,Manager Email\nTwo,student00002@example.edu,ta@example.edu\n"


@pytest.mark.parametrize(
    "header, meaning",
    [
        ("Manager Email", "a manager's"),
        ("Supervisor E-mail", "a manager's"),
        ("Sponsor Email", "someone else's"),
        ("Personal Email", "a personal"),
        ("ApproverEmail", "someone else's"),
    ],
)
def test_the_only_email_column_of_someone_else_needs_email_column(
    run, fake, tmp_path, header, meaning
):
    text = f"Leaver;Leaver login;{header}\nStudent Two;s2;student00009@example.edu\n"
    leavers = write_file(tmp_path, text, "leavers.csv")
    result = run(fake, "--only-file", leavers, "--dry-run")
    assert result.code == ExitStatus.USAGE
    assert result.err == (
        f"remove_users: error: {leavers}: no column holds the listed people's own address "
        f"({header!r}: {meaning} address); export the column with the address each person has in "
        "AAC, or, if one of these is it after all, name it with --email-column\n"
    )
    assert fake.requests == []
    chosen = run(fake, "--only-file", leavers, "--email-column", header, "--dry-run")
    assert chosen.code == ExitStatus.OK, chosen.err
    assert "To remove: 1" in chosen.out


def test_the_plan_names_each_file_and_its_column(run, fake, tmp_path):
    keep = write_file(tmp_path, "student00001@example.edu\n", "keep.txt")
    leavers = write_file(tmp_path, "Name;Work Email\nTwo;student00002@example.edu\n", "leavers.csv")
    plan_file = str(tmp_path / "plan.json")
    result = run(fake, "--exclude-file", keep, "--only-file", leavers, "--dry-run", "--plan-out", plan_file)
    assert result.code == ExitStatus.OK, result.err
    assert f"Emails from {keep} (--exclude-file): one per line\n" in result.out
    assert f"Emails from {leavers} (--only-file): column 'Work Email'\n" in result.out
    expected = [
        {"path": keep, "flag": "--exclude-file", "column": None, "column_number": None},
        {"path": leavers, "flag": "--only-file", "column": "Work Email", "column_number": 2},
    ]
    assert json.loads(Path(plan_file).read_text())["email_files"] == expected
    doc = json.loads(run(fake, "--exclude-file", keep, "--only-file", leavers, "--dry-run", "--json").out)
    assert doc["email_files"] == expected


def test_each_file_uses_the_first_email_column_it_has(run, fake, tmp_path):
    staff = write_file(tmp_path, STAFF, "staff.csv")
    leavers = write_file(tmp_path, LEAVERS, "leavers.csv")
    result = run(fake, "--exclude-file", staff, "--only-file", leavers, "--email-column", "Work Email", "--email-column", "email", "--dry-run")
    assert result.code == ExitStatus.OK, result.err
    assert "protected email: 1" in result.out and "To remove: 1" in result.out
    assert f"Emails from {leavers} (--only-file): column 'Email'" in result.out
    other = write_file(tmp_path, "Name,Mail\nThree,student00003@example.edu\n", "other.csv")
    fake.requests.clear()
    result = run(fake, "--exclude-file", other, "--email-column", "Work Email", "--email-column", "Email", "--dry-run")
    assert result.code == ExitStatus.USAGE
    expected = f"{other}: no column is named 'Work Email' or 'Email' (--email-column); "
    expected += "its columns: 1 'Name', 2 'Mail'"
    assert expected in result.err
    assert fake.requests == []


def test_email_column_as_a_config_key_takes_one_name_a_line(run, fake, tmp_path):
    staff = write_file(tmp_path, STAFF, "staff.csv")
    leavers = write_file(tmp_path, LEAVERS, "leavers.csv")
    pair_file(fake, tmp_path, name="token.json")
    config = write_file(
        tmp_path,
        f"[DEFAULT]\nemail-column = Work Email\n    Email\nexclude-file = {staff}\n"
        f"[workspace w]\nbase-url = {fake.base_url}\ntoken_file = token.json\nworkspace_id = {fake.workspace['id']}\n",
        "aac.ini",
    )
    result = run(None, "--config", config, "--all", "--only-file", leavers, "--dry-run")
    assert result.code == ExitStatus.OK, result.err
    assert "protected email: 1" in result.out and "To remove: 1" in result.out
