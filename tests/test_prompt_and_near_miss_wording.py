"""What the prompts say must be true of the plan: a narrowed selection does not remove "everyone",
and a protected (or otherwise kept) member is never said to be at risk from a typo."""

from __future__ import annotations

from remove_users import ExitStatus


def test_the_protected_emails_prompt_does_not_say_everyone_when_only_narrows(run, make_fake):
    fake = make_fake(people=3)
    result = run(fake, "--only", "student00002@example.edu", "--dry-run", stdin="\n")
    assert result.code == ExitStatus.OK, result.err
    assert "To remove: 1" in result.out
    assert "everyone except you" not in result.err
    assert "No protected emails were given: everyone --only selects, except you (and the admins" in result.err
    inactive = run(fake, "--inactive-days", "30", "--dry-run", stdin="\n")
    assert "everyone --inactive-days selects, except you" in inactive.err
    everyone = run(fake, "--dry-run", stdin="\n")
    assert "No protected emails were given: everyone except you (and the admins" in everyone.err


def test_a_near_miss_of_a_protected_member_is_no_typo_warning(run, make_fake):
    fake = make_fake(people=3)
    result = run(fake, "--exclude", "student00001@example.edu", "--exclude", "student00001@example.com", "--dry-run")
    assert result.code == ExitStatus.OK, result.err
    assert "looks like it" not in result.err and "would stop to ask" not in result.err
    assert "protected email student00001@example.com matches no member of this workspace" in result.err
    admin = run(fake, "--exclude", "coadmin1@example.com", "--exclude", "student00003@example.edu", "--dry-run")
    assert "looks like it" not in admin.err  # an admin is kept anyway
    typo = run(fake, "--exclude", "student00002@example.com", "--dry-run")
    assert "member student00002@example.edu looks like it: a typo would remove student00002@example.edu" in typo.err
