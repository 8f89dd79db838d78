"""Issue 8, item 7: nothing protected and nothing narrowing the run is refused unless intended."""

from __future__ import annotations

from pathlib import Path

import pytest

from remove_users import ExitStatus


def test_a_run_with_no_protection_stops_before_any_request(run, fake):
    result = run(fake, "--yes")
    assert result.code == ExitStatus.USAGE
    assert "no protected email was given" in result.err and "--no-protected-emails" in result.err
    assert fake.requests == []
    assert len(fake.people) == 22


def test_no_protected_emails_says_it_is_intended(run, fake):
    result = run(fake, "--yes", "--no-protected-emails")
    assert result.code == ExitStatus.OK
    assert fake.emails() == {"admin@example.edu", "coadmin1@example.edu"}


def test_a_dry_run_warns_that_the_real_run_would_stop(run, fake):
    result = run(fake, "--dry-run")
    assert result.code == ExitStatus.OK
    assert "the real run would stop here: no protected email was given" in result.err


@pytest.mark.parametrize("narrowing", [["--only", "student00001@example.edu"], ["--inactive-days", "1"]])
def test_a_narrowed_selection_needs_no_protected_email(run, fake, narrowing):
    result = run(fake, "--yes", *narrowing)
    assert result.code == ExitStatus.OK, result.err


def test_a_blank_answer_at_the_prompt_is_no_protection(run, fake):
    result = run(fake, stdin="\n")
    assert result.code == ExitStatus.USAGE and "--no-protected-emails" in result.err
    assert fake.requests == []


@pytest.mark.parametrize("flag", ["--exclude-file", "--only-file"])
@pytest.mark.parametrize("content", ["# the export failed\n\n", "email,name\n", ""])
def test_an_email_file_with_no_email_is_an_error(run, fake, tmp_path: Path, flag, content):
    path = tmp_path / "list.csv"
    path.write_text(content)
    result = run(fake, "--yes", flag, str(path), "--exclude", "student00001@example.edu")
    assert result.code == ExitStatus.USAGE
    assert str(path) in result.err and "no email" in result.err
    assert fake.requests == []
