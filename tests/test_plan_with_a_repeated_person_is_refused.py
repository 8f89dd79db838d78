"""A hand-edited plan that lists one person twice in `remove` (the same id, or the same email under
another id) is refused before any request (exit 2), naming the entry."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import plan_file
from remove_users import ExitStatus


ONLY_TWO = ("--only", "student00001@example.edu,student00002@example.edu")


def test_a_repeated_id_is_refused(run, make_fake, tmp_path: Path):
    fake = make_fake(people=3)
    path = plan_file(run, fake, tmp_path, *ONLY_TWO)
    doc = json.loads(path.read_text())
    doc["remove"].append(dict(doc["remove"][0]))  # a copy-paste while reviewing
    path.write_text(json.dumps(doc))
    before = len(fake.requests)
    result = run(fake, "--plan", str(path), "--yes")
    assert result.code == ExitStatus.USAGE
    pid = doc["remove"][0]["id"]
    assert f"remove[2] repeats person id {pid}" in result.err and "student00001@example.edu" in result.err
    assert len(fake.requests) == before and len(fake.people) == 5


def test_a_repeated_email_under_another_id_is_refused(run, make_fake, tmp_path: Path):
    fake = make_fake(people=3)
    path = plan_file(run, fake, tmp_path, *ONLY_TWO)
    doc = json.loads(path.read_text())
    doc["remove"][1]["email"] = doc["remove"][0]["email"].upper()
    path.write_text(json.dumps(doc))
    result = run(fake, "--plan", str(path), "--yes")
    assert result.code == ExitStatus.USAGE
    assert "remove[1] repeats the email STUDENT00001@EXAMPLE.EDU" in result.err
    assert fake.writes() == [] and len(fake.people) == 5


def test_a_plan_without_repeats_still_applies_with_its_protections(run, make_fake, tmp_path: Path):
    fake = make_fake(people=3)
    path = plan_file(run, fake, tmp_path, *ONLY_TWO)
    doc = json.loads(path.read_text())
    doc["protections"]["emails"] = ["student00003@example.edu"]
    path.write_text(json.dumps(doc))
    result = run(fake, "--plan", str(path), "--yes", "--exclude", "coadmin1@example.edu")
    assert result.code == ExitStatus.OK, result.err
    assert fake.emails() == {"admin@example.edu", "coadmin1@example.edu", "student00003@example.edu"}
