"""Issue 19, item 3: a keep file (--exclude-file) fails closed on a row it cannot read: an empty
cell in the chosen column, where another cell of that row holds an address, stops the run before
any change. A row with no address anywhere, or any such row of an --only-file, stays a warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import student, write_file
from remove_users import ExitStatus

# The columns of Entra's Users > All users > Download users, in its order (Microsoft's docs).
ENTRA = (
    "userPrincipalName,displayName,surname,mail,givenName,objectId,userType,jobTitle,department,"
    "accountEnabled,usageLocation,streetAddress,state,country,physicalDeliveryOfficeName,city,"
    "postalCode,telephoneNumber,mobile,authenticationAlternativePhoneNumber,authenticationEmail,"
    "alternateEmailAddress,ageGroup,consentProvidedForMinor,legalAgeGroupClassification"
)


def entra_row(upn: str, name: str, mail: str) -> str:
    first, last = name.split()
    cells = [upn, name, last, mail, first, "0f1e2d3c", "Member", "TA", "Math", "True"]
    return ",".join(cells + [""] * 15)


def entra_export(tmp_path: Path, rows: list[str] | None = None) -> str:
    if rows is None:
        # Student Four has no mailbox: `mail` is empty, their address in the workspace is their UPN.
        rows = [
            entra_row("student00001@example.edu", "Student One", "student00001@example.edu"),
            entra_row("student00004@example.edu", "Student Four", ""),
            entra_row("student00002@example.edu", "Student Two", "student00002@example.edu"),
        ]
    return write_file(tmp_path, ENTRA + "\n" + "\n".join(rows) + "\n", "entra-users.csv")


@pytest.mark.parametrize("asked", [["--email-column", "mail"], []])
def test_a_keep_row_whose_address_is_in_another_column_stops_the_run(run, fake, tmp_path, asked):
    keep = entra_export(tmp_path)
    before = fake.emails()
    result = run(fake, "--exclude-file", keep, *asked, "--yes")
    assert result.code == ExitStatus.USAGE
    assert result.err.endswith(
        f"remove_users: error: {keep} (--exclude-file): 1 row has no address in column 'mail' but "
        "one in another column (line 3, 'userPrincipalName': student00004@example.edu), so it "
        "would protect nobody. If that is the address this person has in AAC, keep it with "
        "--exclude student00004@example.edu or a second --exclude-file; or give "
        "--allow-empty-email-cells to go on without them; nothing was sent\n"
    )
    assert fake.emails() == before and fake.requests == []


def test_each_way_on_that_the_message_names_works(run, fake, tmp_path):
    keep = entra_export(tmp_path)
    by_upn = run(fake, "--exclude-file", keep, "--email-column", "userPrincipalName", "--dry-run")
    assert by_upn.code == ExitStatus.OK, by_upn.err
    assert "protected email: 3" in by_upn.out
    also = tmp_path / "no-mailbox.txt"
    also.write_text("student00004@example.edu\n")
    second = run(fake, "--exclude-file", keep, "--exclude-file", str(also), "--dry-run")
    assert second.code == ExitStatus.OK, second.err
    one = run(fake, "--exclude-file", keep, "--exclude", "student00004@example.edu", "--dry-run")
    assert one.code == ExitStatus.OK, one.err
    knowingly = run(fake, "--exclude-file", keep, "--allow-empty-email-cells", "--yes")
    assert knowingly.code == ExitStatus.OK, knowingly.err
    assert f"{keep}: 1 row has an empty email cell (line 3); they protect nobody" in knowingly.err
    kept = {"admin@example.edu", "coadmin1@example.edu"}
    assert fake.emails() == kept | {"student00001@example.edu", "student00002@example.edu"}


def test_rows_without_an_address_anywhere_stay_a_warning(run, fake, tmp_path):
    keep = tmp_path / "staff.csv"
    keep.write_text(
        "Name,Email,Manager Email\nStudent One,student00001@example.edu,student00009@example.edu\n"
        "Student Four,,student00009@example.edu\nNobody,,\n",
        encoding="utf-8",
    )
    # The manager's address is someone else's: it does not make the row one about that address.
    result = run(fake, "--exclude-file", str(keep), "--dry-run")
    assert result.code == ExitStatus.OK, result.err
    assert f"{keep}: 2 rows have an empty email cell (line 3, 4); they protect nobody" in result.err


def test_an_only_file_row_that_cannot_be_read_selects_nobody_with_a_warning(run, fake, tmp_path):
    leavers = entra_export(tmp_path)
    result = run(fake, "--only-file", leavers, "--yes")
    assert result.code == ExitStatus.OK, result.err
    assert f"{leavers}: 1 row has an empty email cell (line 3); they select nobody" in result.err
    assert "student00004@example.edu" in fake.emails()
    assert fake.emails().isdisjoint({"student00001@example.edu", "student00002@example.edu"})


def test_many_such_rows_are_counted_and_the_first_named(run, fake, tmp_path):
    rows = [entra_row("student00009@example.edu", "A B", "student00009@example.edu")]
    rows += [entra_row(student(n), f"Student N{n}", "") for n in range(1, 8)]
    path = entra_export(tmp_path, rows)
    result = run(fake, "--exclude-file", path, "--dry-run")
    assert result.code == ExitStatus.USAGE
    counted = "7 rows have no address in column 'mail' but one in another column (line 3, "
    assert counted + "'userPrincipalName': " in result.err
    assert "line 5, 'userPrincipalName': student00003@example.edu, ...)" in result.err
    assert "keep them with a second --exclude-file listing them, one a line;" in result.err


def test_the_advice_never_reads_another_column_for_the_whole_file(run, fake, tmp_path):
    # Where people sign in as `mail` and the UPN is a directory name, reading userPrincipalName for
    # every row (the old advice) would protect nobody; the advice is for the row that needs it.
    rows = [
        entra_row("s00001@uniad.example.net", "Student One", "student00001@example.edu"),
        entra_row("student00004@example.edu", "Student Four", ""),
        entra_row("s00002@uniad.example.net", "Student Two", "student00002@example.edu"),
    ]
    path = entra_export(tmp_path, rows)
    result = run(fake, "--exclude-file", path, "--yes")
    assert result.code == ExitStatus.USAGE
    assert "--email-column" not in result.err
    assert "keep it with --exclude student00004@example.edu or a second --exclude-file" in result.err
    advised = run(fake, "--exclude-file", path, "--exclude", "student00004@example.edu", "--yes")
    assert advised.code == ExitStatus.OK, advised.err
    kept = {"student00001@example.edu", "student00002@example.edu", "student00004@example.edu"}
    assert fake.emails() == kept | {"admin@example.edu", "coadmin1@example.edu"}


def test_a_personal_address_on_the_row_is_named_as_one_and_never_advised_for_all(
    run, fake, tmp_path
):
    # BambooHR's employee export: Student Four has no work address yet, only a home one.
    path = tmp_path / "bamboo.csv"
    path.write_text(
        "Employee #,First Name,Last Name,Work Email,Home Email,Supervisor Email\n"
        "1,Student,One,student00001@example.edu,one@home.example,student00009@example.edu\n"
        "4,Student,Four,,four@home.example,student00009@example.edu\n"
        "2,Student,Two,student00002@example.edu,two@home.example,student00009@example.edu\n",
        encoding="utf-8",
    )
    before = fake.emails()
    result = run(fake, "--exclude-file", str(path), "--yes")
    assert result.code == ExitStatus.USAGE
    assert result.err.endswith(
        f"remove_users: error: {path} (--exclude-file): 1 row has no address in column 'Work "
        "Email' but one in another column (line 3, 'Home Email' (a personal address): "
        "four@home.example), so it would protect nobody. If that is the address this person has in "
        "AAC, keep it with --exclude four@home.example or a second --exclude-file; or give "
        "--allow-empty-email-cells to go on without them; nothing was sent\n"
    )
    assert fake.emails() == before and fake.requests == []


@pytest.mark.parametrize(
    "cell",
    [
        "Student Four (student00004@example.edu)",
        "SMTP:student00004@example.edu",
        "mailto:student00004@example.edu",
        "student00004@example.edu; s4@example.edu",
        '"""student00004@example.edu"""',
    ],
)
def test_an_address_written_inside_another_cell_still_stops_the_run(run, fake, tmp_path, cell):
    path = tmp_path / "staff.csv"
    path.write_text(
        "Name,Email,Profile\nStudent One,student00001@example.edu,x\n"
        f"Student Four,,{cell}\n",
        encoding="utf-8",
    )
    result = run(fake, "--exclude-file", str(path), "--yes")
    assert result.code == ExitStatus.USAGE
    assert "(line 3, 'Profile': student00004@example.edu)" in result.err
    assert fake.requests == []
