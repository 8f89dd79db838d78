"""Issue 19, item 4: each common export in the README's table ("Common exports, and the column the
tool takes") is read as the table says, from a file shaped like that export."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import ROOT, student
from remove_users import ExitStatus
from test_keep_file_rows_fail_closed import ENTRA

README = (ROOT / "README.md").read_text(encoding="utf-8")
# The columns of Google Admin's Directory > Users > Download users, in its order.
GOOGLE = (
    "First Name [Required],Last Name [Required],Email Address [Required],Password [Required],"
    "Password Hash Function [UPLOAD ONLY],Org Unit Path [Required],New Primary Email [UPLOAD ONLY],"
    "Recovery Email,Home Secondary Email,Work Secondary Email,"
    "Recovery Phone [MUST BE IN THE E.164 FORMAT],Work Phone,Home Phone,Mobile Phone,Work Address,"
    "Home Address,Employee ID,Employee Type,Employee Title,Manager Email,Department,Cost Center"
)


def entra(n: int) -> str:
    # Everyone's authentication and alternate addresses are filled in: they still are not taken.
    mail = student(n)
    cells = [mail, f"Student {n}", str(n), mail, "Student", f"id-{n}", "Member", "", "", "True"]
    return ",".join(cells + [""] * 10 + [f"s{n}@home.example", f"s{n}@alt.example", "", "", ""])


def google(n: int) -> str:
    cells = ["Student", str(n), student(n), "****", "", "/Students", ""]
    cells += [f"s{n}@home.example"] + [""] * 11 + ["student00009@example.edu", "Math", ""]
    return ",".join(cells)


def rows(header: str, delimiter: str, *cells: str) -> str:
    lines = [header] + [delimiter.join([f"Student {n}", student(n), cell])
                        for n, cell in enumerate(cells, 1)]
    return "\n".join(lines) + "\n"


HR = (
    "Employee ID,Name,Leaving Date,Work Email,Manager Email,Email - Personal\n"
    "1001,Student 1,2026-03-31,student00001@example.edu,student00009@example.edu,one@home.example\n"
    "1002,Student 2,2026-03-31,student00002@example.edu,student00009@example.edu,two@home.example\n"
)
EXPORTS = {  # each export's file, and its encoding
    "Entra ID": (ENTRA + "\n" + entra(1) + "\n" + entra(2) + "\n", "utf-8"),
    "Google Admin": (GOOGLE + "\n" + google(1) + "\n" + google(2) + "\n", "utf-8"),
    "an HR leavers report": (HR, "utf-8"),
    'Excel "CSV UTF-8"': (rows("\ufeffName;E-Mail;Abteilung", ";", "Mathe", "Mathe"), "utf-8"),
    # Excel's "Unicode Text": UTF-16, little-endian, with one byte-order mark.
    'Excel "Unicode Text"': (rows("\ufeffName\tEmail\tDept", "\t", "Math", "Math"), "utf-16-le"),
}


def table_rows() -> list[list[str]]:
    section = README.split("#### Common exports, and the column the tool takes\n", 1)[1]
    section = section.strip("\n").split("\n\n", 1)[0]
    lines = section.splitlines()[2:]  # after the header and the --- row
    table = [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines]
    assert len(table) == len(EXPORTS), section
    return table


@pytest.mark.parametrize("row", table_rows(), ids=lambda row: row[0])
def test_each_export_in_the_readme_is_read_as_it_says(run, fake, tmp_path, row):
    export, looks, takes = row
    key = next(key for key in EXPORTS if export.startswith(key))
    text, encoding = EXPORTS[key]
    header = re.split(r",|;|\t", text.lstrip("\ufeff").split("\n", 1)[0])
    for shown in re.findall(r"`([^`]+)`", looks):  # the README's header names are this file's
        assert set(shown.replace("<tab>", ",").replace(";", ",").split(",")) <= set(header), shown
    column = re.match(r"`([^`]+)`", takes)[1]
    path = tmp_path / "export.txt"
    path.write_bytes(text.encode(encoding))
    result = run(fake, "--only-file", str(path), "--yes")
    assert result.code == ExitStatus.OK, result.err
    assert f"Emails from {path} (--only-file): column {column!r}\n" in result.out
    assert fake.emails().isdisjoint({"student00001@example.edu", "student00002@example.edu"})
    assert "student00009@example.edu" in fake.emails() and len(fake.writes()) == 2


def test_an_hr_report_with_only_the_managers_and_personal_addresses_stops(run, fake, tmp_path):
    assert "a report with only `Manager Email` and `Email - Personal` stops" in README
    path = tmp_path / "leavers.csv"
    text = "Employee ID,Name,Manager Email,Email - Personal\n"
    path.write_text(text + "1001,Student 1,student00009@example.edu,one@home.example\n")
    result = run(fake, "--only-file", str(path), "--yes")
    assert result.code == ExitStatus.USAGE
    assert "no column holds the listed people's own address" in result.err and fake.writes() == []
