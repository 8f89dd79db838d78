"""Issue 17, item 1: flags are checked before the files they name are read, and both before anyone
is asked anything: on a terminal, a typo in a flag is reported before the token is typed."""

from __future__ import annotations

import pytest

from remove_users import ExitStatus


@pytest.mark.parametrize(
    "args, message",
    [
        (["--max-remove", "-1"], "--max-remove must be 0 or more"),
        (["--inactive-days", "-3"], "--inactive-days must be 0 or more"),
        (["--plan-out", "p.json"], "--plan-out writes the plan of a dry run"),
        (["--plan", "missing.json", "--only-file", "missing.csv"], "--only-file would change who is planned"),
        (["--exclude-file", "missing.txt", "--concurrency", "99"], "--concurrency must be between 1 and 32"),
    ],
)
def test_a_bad_flag_is_reported_before_any_question(run, args, message):
    typed = "a-token-that-must-not-be-asked-for\nta@example.edu\n\n"
    result = run(None, *args, stdin=typed)
    assert result.code == ExitStatus.USAGE
    assert message in result.err
    assert "access token" not in result.err and "Protected email" not in result.err  # nobody was asked


def test_a_missing_file_is_reported_before_any_question(run):
    result = run(None, "--exclude-file", "missing.txt", stdin="x\n")
    assert result.code == ExitStatus.USAGE and "cannot read missing.txt" in result.err
    assert "access token" not in result.err
