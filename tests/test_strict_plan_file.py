"""Issue 8, item 9: a plan file is read strictly; a field of the wrong type is refused by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import plan_file
from remove_users import ExitStatus


def edit(path: Path, change) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize(
    "field, change",
    [
        ("protections.include_admins", lambda d: d["protections"].update(include_admins="false")),
        ("remove[0].id", lambda d: d["remove"][0].update(id=str(d["remove"][0]["id"]))),
        ("workspace.id", lambda d: d["workspace"].update(id="4242")),
        ("protections.emails", lambda d: d["protections"].update(emails="student00001@example.edu")),
        ("remove[1].id", lambda d: d["remove"][1].update(id=True)),
        ("protections.transfer_to", lambda d: d["protections"].update(transfer_to=7)),
        ("remove", lambda d: d.pop("remove")),
    ],
)
def test_a_field_of_the_wrong_type_is_refused_by_name(run, fake, tmp_path, field, change):
    path = plan_file(run, fake, tmp_path, "--exclude", "student00001@example.edu")
    edit(path, change)
    requests_before = len(fake.requests)
    result = run(fake, "--plan", str(path), "--yes")
    assert result.code == ExitStatus.USAGE
    assert field in result.err and str(path) in result.err
    assert len(fake.requests) == requests_before  # refused before any request
    assert fake.writes() == []


def test_include_admins_false_as_text_never_removes_a_coadmin(run, fake, tmp_path):
    path = plan_file(run, fake, tmp_path, "--exclude", "student00001@example.edu")
    coadmin = fake.id_of("coadmin1@example.edu")
    edit(path, lambda d: (d["protections"].update(include_admins="false"), d["remove"].append({"id": coadmin, "email": "coadmin1@example.edu", "name": "Co Admin 1"})))
    result = run(fake, "--plan", str(path), "--yes")
    assert result.code == ExitStatus.USAGE
    assert coadmin in fake.people
