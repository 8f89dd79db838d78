"""Issue 19, item 1 (and issue 21's "a question, never a guess"): the advice for choosing an email
column names only columns that read as the listed people's own address; where there is none, the
error says so and names each column it rejected and why."""

from __future__ import annotations

from conftest import write_file
from remove_users import ExitStatus


def test_an_export_with_only_the_managers_and_personal_addresses_offers_neither(
    run, fake, tmp_path
):
    fake.add_person("ta@example.edu", "Terry Assistant")
    fake.add_person("archive@example.edu", "Course Archive")
    before = fake.emails()
    leavers = write_file(
        tmp_path,
        "Employee ID,Name,Leaving Date,Manager Email,Email - Personal\n"
        "1001,Student One,2026-03-31,ta@example.edu,one@home.example\n"
        "1002,Student Two,2026-03-31,archive@example.edu,two@home.example\n",
        "leavers.csv",
    )
    for flag in ("--only-file", "--exclude-file"):
        result = run(fake, flag, leavers, "--yes", "--no-protected-emails")
        assert result.code == ExitStatus.USAGE
        assert result.err == (
            f"remove_users: error: {leavers}: no column holds the listed people's own address "
            "('Manager Email': a manager's address; 'Email - Personal': a personal address); "
            "export the column with the address each person has in AAC, or, if one of these is it "
            "after all, name it with --email-column\n"
        )
        assert "--email-column 'Manager Email'" not in result.err
    assert fake.emails() == before and fake.writes() == []


def test_the_persons_own_column_is_taken_beside_the_managers(run, fake, tmp_path):
    leavers = write_file(
        tmp_path,
        "Name,Work Email,Manager Email,Email - Personal\n"
        "Student One,student00001@example.edu,student00009@example.edu,one@home.example\n"
        "Student Two,student00002@example.edu,student00009@example.edu,two@home.example\n",
        "leavers.csv",
    )
    result = run(fake, "--only-file", leavers, "--yes")
    assert result.code == ExitStatus.OK, result.err
    assert f"Emails from {leavers} (--only-file): column 'Work Email'" in result.out
    gone = {"student00001@example.edu", "student00002@example.edu"}
    assert fake.emails().isdisjoint(gone) and "student00009@example.edu" in fake.emails()


def test_a_managers_column_full_of_emails_is_never_taken_for_an_empty_own_one(run, fake, tmp_path):
    path = write_file(
        tmp_path, "Name,Email,Manager Email\nOne,,student00009@example.edu\n", "leavers.csv"
    )
    result = run(fake, "--only-file", path, "--yes")
    assert result.code == ExitStatus.USAGE
    assert f"{path} (--only-file) holds no email at all" in result.err
    assert "student00009@example.edu" in fake.emails() and fake.writes() == []


def test_a_header_that_does_not_say_whose_address_it_is_is_a_question(run, fake, tmp_path):
    # "Pate" (a buddy, in German) is in no word list: beside a personal column, it must not be
    # taken as theirs.
    leavers = write_file(
        tmp_path,
        "Mitarbeiter;Pate E-Mail;E-Mail (privat)\n"
        "Student Two;student00009@example.edu;two@home.example\n",
        "leavers.csv",
    )
    result = run(fake, "--only-file", leavers, "--yes")
    assert result.code == ExitStatus.USAGE
    assert result.err == (
        f"remove_users: error: {leavers}: several columns name an email ('Pate E-Mail'; "
        "'E-Mail (privat)': a personal address); none of them reads as the listed people's own "
        "address: look at the file and name the right one with --email-column (its header, or its "
        "number counting from 1)\n"
    )
    assert fake.writes() == []
    chosen = run(fake, "--only-file", leavers, "--email-column", "Pate E-Mail", "--yes")
    assert chosen.code == ExitStatus.OK, chosen.err
    assert "student00009@example.edu" not in fake.emails()


def test_several_own_columns_suggest_only_an_own_one(run, fake, tmp_path):
    staff = write_file(
        tmp_path,
        "Name,Manager Email,Email,Work Email\n"
        "One,student00009@example.edu,student00001@example.edu,student00001@example.edu\n",
        "staff.csv",
    )
    result = run(fake, "--exclude-file", staff, "--dry-run")
    assert result.code == ExitStatus.USAGE
    assert result.err == (
        f"remove_users: error: {staff}: several columns name an email ('Manager Email': a "
        "manager's address; 'Email'; 'Work Email'); choose one with --email-column, for example "
        "--email-column 'Email'\n"
    )
