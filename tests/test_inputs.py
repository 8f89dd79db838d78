"""Step 1: every input is checked before any request; a bad one is exit 2 with a line naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import student
from remove_users import ExitStatus


def test_missing_token_names_flag_and_variable_and_sends_nothing(run, fake):
    result = run(None, "--base-url", fake.base_url, "--dry-run")
    assert result.code == ExitStatus.USAGE
    assert "--token" in result.err and "AAC_ACCESS_TOKEN" in result.err
    assert result.err.count("\n") == 1
    assert fake.requests == []


def test_malformed_protected_email_is_refused_before_any_request(run, fake):
    result = run(fake, "--exclude", "keep@uni.edu,kepp.uni.edu", "--yes")
    assert result.code == ExitStatus.USAGE
    assert "'kepp.uni.edu'" in result.err
    assert fake.requests == []


@pytest.mark.parametrize("bad", ["with space@uni.edu", "a@b", "@uni.edu", "a@@uni.edu"])
def test_malformed_email_shapes(run, fake, bad):
    result = run(fake, "--exclude", bad, "--dry-run")
    assert result.code == ExitStatus.USAGE
    assert repr(bad) in result.err


def test_malformed_email_in_environment_is_named(run, fake):
    result = run(fake, "--dry-run", env={"AAC_EXCLUDED_EMAILS": "ok@uni.edu, broken"})
    assert result.code == ExitStatus.USAGE
    assert "AAC_EXCLUDED_EMAILS" in result.err and "'broken'" in result.err


def test_plain_http_is_refused_for_a_remote_host(run):
    result = run(None, "--token", "x" * 20, "--base-url", "http://us1.alteryxcloud.com", "--dry-run")
    assert result.code == ExitStatus.USAGE
    assert "https" in result.err


def test_base_url_from_environment_and_flag_wins(run, fake):
    result = run(None, "--dry-run", env={"AAC_BASE_URL": "http://example.invalid", "AAC_ACCESS_TOKEN": fake.issue_access_token()})
    assert result.code == ExitStatus.USAGE  # http to a non-loopback host
    result = run(fake, "--dry-run", env={"AAC_BASE_URL": "http://example.invalid"})
    assert result.code == ExitStatus.OK


def test_token_from_environment(run, fake):
    result = run(fake, "--dry-run", env={"AAC_ACCESS_TOKEN": fake.issue_access_token()})
    assert result.code == ExitStatus.OK
    assert "Members: 22" in result.out


@pytest.mark.parametrize("value", ["0", "33"])
def test_concurrency_out_of_range(run, fake, value):
    result = run(fake, "--concurrency", value, "--dry-run")
    assert result.code == ExitStatus.USAGE
    assert "--concurrency" in result.err
    assert fake.requests == []


def test_unknown_flag_is_usage_error(run, fake):
    assert run(fake, "--bogus").code == ExitStatus.USAGE


def test_version(run):
    import remove_users

    result = run(None, "--version")
    assert result.code == ExitStatus.OK
    assert result.out.strip() == f"remove_users.py {remove_users.__version__}"


def test_help_lists_exit_codes_and_the_danger(capsys):
    import remove_users

    assert remove_users.main(["--help"], environ={}) == 0
    text = capsys.readouterr().out
    for code in ("0 ", "1 ", "2 ", "3 ", "4 ", "130"):
        assert f"\n  {code}" in text
    assert "WARNING" in text and "process list" in text


def test_exclude_sources_add_up(run, fake, tmp_path: Path):
    listing = tmp_path / "keep.txt"
    listing.write_text("# TAs\nstudent00003@example.edu\n\n  Student00004@Example.edu  \n")
    roster = tmp_path / "roster.csv"
    roster.write_text("Name,E-Mail,Section\nFive,student00005@example.edu,A\nNo email,,B\n")
    result = run(
        fake,
        "--exclude", "student00001@example.edu",
        "--exclude-file", str(listing),
        "--exclude-file", str(roster),
        "--dry-run",
        env={"AAC_EXCLUDED_EMAILS": "student00002@example.edu"},
    )
    assert result.code == ExitStatus.OK
    assert "protected email: 5" in result.out
    for n in range(1, 6):
        assert student(n) not in result.out.split("People who would be removed:")[1]


@pytest.mark.parametrize("header", ["email", "Email Address", "E-mail", "EMAIL_ADDRESS"])
def test_csv_email_column_names(run, fake, tmp_path: Path, header):
    roster = tmp_path / "roster.csv"
    roster.write_text(f"id,{header}\n1,student00001@example.edu\n")
    result = run(fake, "--exclude-file", str(roster), "--dry-run")
    assert result.code == ExitStatus.OK
    assert "protected email: 1" in result.out


def test_csv_without_email_column_names_the_file(run, fake, tmp_path: Path):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,section\nAda,A\n")
    result = run(fake, "--exclude-file", str(roster), "--dry-run")
    assert result.code == ExitStatus.USAGE
    assert str(roster) in result.err and "email column" in result.err
    assert fake.requests == []


def test_missing_exclude_file(run, fake, tmp_path: Path):
    result = run(fake, "--exclude-file", str(tmp_path / "nope.txt"), "--dry-run")
    assert result.code == ExitStatus.USAGE
    assert "nope.txt" in result.err
