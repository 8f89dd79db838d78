"""lastLoginTime at or before the epoch (0, -1: "never" as Java or SQL write it) is "last login
unknown", never a login in 1970; and an --only entry selects nobody through Unicode case folding
(straße@ is not strasse@) or when it matches two members: the run stops (exit 2) naming it."""

from __future__ import annotations

import pytest

from remove_users import ExitStatus


@pytest.mark.parametrize("value", [0, -1, "1970-01-01T00:00:00Z", "1969-07-20T20:17:00Z", -86400000])
def test_a_login_at_or_before_the_epoch_keeps_the_person(run, make_fake, value):
    fake = make_fake(people=0)
    sentinel = fake.add_person("never@example.edu", "Never", lastLoginTime=value)
    old = fake.add_person("old@example.edu", "Old", lastLoginTime="2020-01-01T00:00:00Z")
    result = run(fake, "--yes", "--inactive-days", "90", "--no-protected-emails")
    assert result.code == ExitStatus.OK, result.err
    assert sentinel in fake.people and old not in fake.people
    assert "last login unknown: 1" in result.out


def test_include_never_logged_in_does_not_take_a_sentinel_for_never(run, make_fake):
    fake = make_fake(people=0)
    sentinel = fake.add_person("zero@example.edu", "Zero", lastLoginTime=0)
    never = fake.add_person("null@example.edu", "Null", lastLoginTime=None)
    result = run(fake, "--yes", "--inactive-days", "90", "--include-never-logged-in", "--no-protected-emails")
    assert result.code == ExitStatus.OK, result.err
    assert sentinel in fake.people and never not in fake.people


def test_only_matching_two_members_by_folding_stops(run, make_fake):
    fake = make_fake(people=0)
    fake.add_person("straße@uni.de", "Leaver")
    fake.add_person("strasse@uni.de", "Stays")
    result = run(fake, "--yes", "--only", "straße@uni.de")
    assert result.code == ExitStatus.USAGE
    assert "entry straße@uni.de matches 2 members" in result.err and "strasse@uni.de" in result.err
    assert fake.writes() == [] and {"straße@uni.de", "strasse@uni.de"} <= fake.emails()


@pytest.mark.parametrize("entry, member", [("straße@uni.de", "strasse@uni.de"), ("σασ@uni.gr", "σας@uni.gr"), ("ﬁona@uni.de", "fiona@uni.de")])
def test_only_matching_a_member_only_through_a_letter_changing_fold_stops(run, make_fake, entry, member):
    fake = make_fake(people=0)
    fake.add_person(member, "Someone Else")
    result = run(fake, "--dry-run", "--only", entry)
    assert result.code == ExitStatus.USAGE
    assert f"matches {member} only through Unicode case folding" in result.err
    assert "To remove" not in result.out


def test_plain_case_differences_still_select(run, make_fake):
    fake = make_fake(people=0)
    fake.add_person("Émile.Zola@Uni.de", "Émile")
    result = run(fake, "--yes", "--only", "émile.zola@uni.de")
    assert result.code == ExitStatus.OK, result.err
    assert "Émile.Zola@Uni.de" not in fake.emails()


def test_folding_still_protects_widely(run, make_fake):
    fake = make_fake(people=0)
    fake.add_person("strasse@uni.de", "Kept")
    other = fake.add_person("other@uni.de", "Goes")
    result = run(fake, "--yes", "--exclude", "straße@uni.de")
    assert result.code == ExitStatus.OK, result.err
    assert "strasse@uni.de" in fake.emails() and other not in fake.people


def test_an_only_file_entry_is_held_to_the_same_rule(run, make_fake, tmp_path):
    fake = make_fake(people=0)
    fake.add_person("strasse@uni.de", "Someone Else")
    leavers = tmp_path / "leavers.txt"
    leavers.write_text("straße@uni.de\n", encoding="utf-8")
    result = run(fake, "--yes", "--only-file", str(leavers))
    assert result.code == ExitStatus.USAGE
    assert "--only-file) entry straße@uni.de matches strasse@uni.de only through Unicode case folding" in result.err
    assert fake.writes() == [] and "strasse@uni.de" in fake.emails()
