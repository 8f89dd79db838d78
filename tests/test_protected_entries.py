"""Issue 8, items 5 and 6: what admins type as protected emails, and how it is compared."""

from __future__ import annotations

from pathlib import Path

import pytest

from remove_users import ExitStatus

KEEP = "student00002@example.edu"


@pytest.mark.parametrize("entry", [f'"{KEEP}"', f"mailto:{KEEP}", f"student\u200b00002@example.edu", f"{KEEP}\x1b[0m", f"{KEEP}\u202e"])
def test_entries_that_cannot_be_an_address_as_typed_are_refused(run, fake, entry):
    result = run(fake, "--yes", "--exclude", entry)
    assert result.code == ExitStatus.USAGE
    assert repr(entry) in result.err
    assert fake.requests == []


@pytest.mark.parametrize("entry", [f"Student Two <{KEEP}>", f"<{KEEP}>", f'"Two, Student" <{KEEP}>'])
def test_display_name_and_address_protects_the_address(run, fake, tmp_path: Path, entry):
    keep = tmp_path / "keep.txt"
    keep.write_text(entry + "\n")  # one per line: an export's "Name <email>" may hold a comma
    result = run(fake, "--yes", "--exclude-file", str(keep))
    assert result.code == ExitStatus.OK, result.err
    assert KEEP in fake.emails()
    assert "protected email: 1" in result.out


def test_a_quoted_entry_in_a_file_is_refused(run, fake, tmp_path: Path):
    keep = tmp_path / "keep.txt"
    keep.write_text(f'"{KEEP}"\n')  # as jq prints without -r
    result = run(fake, "--yes", "--exclude-file", str(keep))
    assert result.code == ExitStatus.USAGE and str(keep) in result.err
    assert fake.requests == []


def test_an_accent_typed_with_a_combining_mark_protects_the_precomposed_member(run, make_fake):
    fake = make_fake(people=2)
    jose = fake.add_person("Jos\u00e9@example.edu", "José")
    result = run(fake, "--yes", "--exclude", "jose\u0301@example.edu")
    assert result.code == ExitStatus.OK, result.err
    assert jose in fake.people
    assert "matches no member" not in result.err


@pytest.mark.parametrize(
    "entry, member",
    [
        ("student00002+aac@example.edu", "student00002@example.edu"),  # a +tag on the entry
        ("tagged@example.edu", "tagged+class@example.edu"),  # a +tag on the member
        ("\u0430d\u0430@example.edu", "ada@example.edu"),  # two Cyrillic a: more than one edit away
        ("\u03bflg\u03b1@example.edu", "olga@example.edu"),  # Greek omicron and alpha
    ],
)
def test_near_misses_include_tags_and_look_alike_letters(run, make_fake, entry, member):
    fake = make_fake(people=2)
    if member not in fake.emails():
        fake.add_person(member, "Member")
    result = run(fake, "--yes", "--exclude", entry)
    assert result.code == ExitStatus.SAFETY_STOP
    assert f"did you mean {member}?" in result.err
    assert fake.writes() == []
