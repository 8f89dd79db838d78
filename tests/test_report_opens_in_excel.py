"""Issue 10, item 8: a new report starts with a UTF-8 byte-order mark (Excel then reads accents
right); appending never adds another."""

from __future__ import annotations

from conftest import read_report
from remove_users import ExitStatus

BOM = "\ufeff".encode("utf-8")


def test_a_new_report_has_one_bom_and_appending_adds_none(run, make_fake, tmp_path):
    fake = make_fake(people=2)
    fake.add_person("jose@example.edu", "José Müller")
    report = tmp_path / "r.csv"
    assert run(fake, "--yes", "--only", "student00001@example.edu,jose@example.edu", "--report", str(report)).code == ExitStatus.OK
    data = report.read_bytes()
    assert data.startswith(BOM + b"time,workspace_id,")
    assert "José Müller".encode("utf-8") in data
    assert run(fake, "--yes", "--only", "student00002@example.edu", "--report", str(report)).code == ExitStatus.OK
    data = report.read_bytes()
    assert data.count(BOM) == 1 and data.count(b"person_id") == 1
    assert [row["email"] for row in read_report(report)][-1] == "student00002@example.edu"


def test_appending_to_a_report_written_without_a_bom_adds_none(run, make_fake, tmp_path):
    fake = make_fake(people=1)
    report = tmp_path / "old.csv"
    report.write_bytes(b"time,workspace_id,person_id,email,name,outcome,http_status,request_id,detail,transferred_to\r\n")
    assert run(fake, "--yes", "--no-protected-emails", "--report", str(report)).code == ExitStatus.OK
    assert BOM not in report.read_bytes()


def test_an_empty_existing_file_gets_the_bom_and_header(run, make_fake, tmp_path):
    fake = make_fake(people=1)
    report = tmp_path / "empty.csv"
    report.write_bytes(b"")
    assert run(fake, "--yes", "--no-protected-emails", "--report", str(report)).code == ExitStatus.OK
    assert report.read_bytes().startswith(BOM + b"time,")
