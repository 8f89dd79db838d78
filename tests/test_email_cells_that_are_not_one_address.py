"""A cell of the email column that is not one address (`TBD`, `a ::: b`), or a row with cells past
the header, is a question naming the line: never a reason to read another column, or to read
part of the row."""

from __future__ import annotations

import pytest

from conftest import write_file
from remove_users import ExitStatus


# Google Contacts' export: a person's several addresses share a cell, joined by " ::: ".
CONTACTS = (
    "Name,E-mail 1 - Type,E-mail 1 - Value,E-mail 2 - Type,E-mail 2 - Value\n"
    "Terry Assistant,* Work ::: Home,ta@example.edu ::: terry@home.example,,\n"
    "Jane Doe,* Work,jane@example.edu,Home,jane.doe@home.example\n"
    "Course Archive,* Work,archive@example.edu,Other,archive.backup@home.example\n"
)


def test_google_contacts_second_addresses_are_not_read_for_one_odd_cell(run, staff, tmp_path):
    keep = write_file(tmp_path, CONTACTS, "contacts.csv")
    before = staff.emails()
    result = run(staff, "--exclude-file", keep, "--yes")
    assert result.code == ExitStatus.USAGE
    assert result.err == (
        f"remove_users: error: {keep}: several columns name an email ('E-mail 1 - Type'; 'E-mail 1 "
        "- Value'; 'E-mail 2 - Type'; 'E-mail 2 - Value'); choose one with --email-column, for "
        "example --email-column 'E-mail 1 - Value'\n"
    )
    assert staff.emails() == before and staff.writes() == []


def test_a_keep_file_protects_each_of_googles_addresses_in_one_cell(run, staff, tmp_path):
    keep = write_file(tmp_path, CONTACTS, "contacts.csv")
    result = run(staff, "--exclude-file", keep, "--email-column", "E-mail 1 - Value", "--yes")
    assert result.code == ExitStatus.OK, result.err
    assert {"ta@example.edu", "jane@example.edu", "archive@example.edu"} <= staff.emails()
    assert len(staff.emails()) == 5


def test_an_only_file_with_several_addresses_in_a_cell_is_a_question(run, staff, tmp_path):
    leavers = write_file(tmp_path, CONTACTS, "contacts.csv")
    result = run(staff, "--only-file", leavers, "--email-column", "E-mail 1 - Value", "--yes")
    assert result.code == ExitStatus.USAGE
    assert result.err == (
        f"remove_users: error: {leavers}: line 2, column 'E-mail 1 - Value': 'ta@example.edu ::: "
        "terry@home.example' holds 2 addresses (Google's ' ::: '); which one is the person's "
        "address in AAC cannot be told: leave only that one in the cell\n"
    )
    assert staff.writes() == []


@pytest.mark.parametrize("bad", ["TBD", "jane@example", "jane@example..edu", "#N/A"])
@pytest.mark.parametrize("other", ["Email 2", "Work Email"])
def test_one_bad_cell_does_not_hand_the_file_to_another_column(run, staff, tmp_path, bad, other):
    keep = write_file(
        tmp_path,
        f"Name,Email,{other}\nTerry Assistant,ta@example.edu,terry@home.example\n"
        f"Jane Doe,{bad},jane.doe@home.example\n",
        "staff.csv",
    )
    before = staff.emails()
    result = run(staff, "--exclude-file", keep, "--yes")
    assert result.code == ExitStatus.USAGE
    assert f"{keep}: several columns name an email ('Email'; '{other}')" in result.err
    assert staff.emails() == before and staff.writes() == []


@pytest.mark.parametrize("flag", ["--exclude-file", "--only-file"])
def test_a_cell_that_is_not_an_address_is_refused_naming_its_line(run, staff, tmp_path, flag):
    path = write_file(
        tmp_path, "Name,Email\nTerry Assistant,ta@example.edu\nJane Doe,TBD\n", "staff.csv"
    )
    result = run(staff, flag, path, "--yes")
    assert result.code == ExitStatus.USAGE
    assert result.err == (
        f"remove_users: error: {path}: line 3, column 'Email': 'TBD' is not a well-formed email "
        "(expected local@domain.tld or Name <local@domain.tld>); fix or remove it\n"
    )
    assert staff.writes() == []


@pytest.mark.parametrize("flag", ["--exclude-file", "--only-file"])
def test_a_one_column_file_with_a_list_on_a_line_is_refused(run, staff, tmp_path, flag):
    path = write_file(
        tmp_path, "Email\nta@example.edu, jane@example.edu\narchive@example.edu\n", "staff.csv"
    )
    result = run(staff, flag, path, "--yes", "--no-protected-emails")
    assert result.code == ExitStatus.USAGE
    assert result.err == (
        f"remove_users: error: {path}: line 2 holds 2 entries separated by ',' under the "
        "one-column header 'Email'; put one email per line\n"
    )
    semicolons = write_file(tmp_path, "Email\nta@example.edu;jane@example.edu\n", "semi.csv")
    result = run(staff, flag, semicolons, "--yes", "--no-protected-emails")
    assert result.code == ExitStatus.USAGE
    assert "line 2, column 'Email': 'ta@example.edu;jane@example.edu' holds 2 addresses" in result.err
    assert staff.writes() == []


@pytest.mark.parametrize("flag", ["--exclude-file", "--only-file"])
def test_a_row_with_cells_past_the_header_is_refused(run, staff, tmp_path, flag):
    keep = write_file(
        tmp_path, "Name,Email\nCourse staff,ta@example.edu,jane@example.edu\n", "staff.csv"
    )
    result = run(staff, flag, keep, "--yes")
    assert result.code == ExitStatus.USAGE
    assert result.err == (
        f"remove_users: error: {keep}: line 2 has 3 cells, the header 2 ('jane@example.edu' past "
        "its last column); a ',' inside a cell shifts the cells after it, so which one is the "
        "email cannot be told: quote that cell, or remove what is past the last column\n"
    )
    assert staff.writes() == []


def test_a_shifted_row_does_not_select_the_manager(run, staff, tmp_path):
    # `Doe, Jane` unquoted: the manager's address lands in the Email column, Jane's past the end.
    leavers = write_file(
        tmp_path,
        "Name,Manager Email,Email\nDoe, Jane,archive@example.edu,jane@example.edu\n",
        "leavers.csv",
    )
    result = run(staff, "--only-file", leavers, "--yes")
    assert result.code == ExitStatus.USAGE
    assert f"{leavers}: line 2 has 4 cells, the header 3" in result.err
    assert "archive@example.edu" in staff.emails() and staff.writes() == []


def test_empty_cells_past_the_header_are_a_trailing_delimiter(run, staff, tmp_path):
    keep = write_file(
        tmp_path,
        "Name;E-Mail\nTerry Assistant;ta@example.edu;;\nJane Doe;jane@example.edu;\n",
        "staff.csv",
    )
    result = run(staff, "--exclude-file", keep, "--dry-run")
    assert result.code == ExitStatus.OK, result.err
    assert "protected email: 2" in result.out


def test_a_column_of_display_names_does_not_compete_with_the_addresses(run, staff, tmp_path):
    # Outlook's contacts export: `E-mail Display Name` writes `Name (address)`, never an address.
    keep = write_file(
        tmp_path,
        "First Name,Last Name,E-mail Address,E-mail Type,E-mail Display Name\n"
        "Terry,Assistant,ta@example.edu,SMTP,Terry Assistant (ta@example.edu)\n"
        "Jane,Doe,jane@example.edu,SMTP,Jane Doe (jane@example.edu)\n",
        "contacts.csv",
    )
    result = run(staff, "--exclude-file", keep, "--yes")
    assert result.code == ExitStatus.OK, result.err
    assert f"Emails from {keep} (--exclude-file): column 'E-mail Address'" in result.out
    assert {"ta@example.edu", "jane@example.edu"} <= staff.emails()
