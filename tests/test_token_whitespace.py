"""A token pasted with whitespace: trimmed around it, refused (exit 2, nothing printed) inside it."""

from __future__ import annotations

import pytest

from conftest import write_token_file
from remove_users import ExitStatus


def test_surrounding_whitespace_is_trimmed(run, make_fake):
    fake = make_fake(people=2)
    token = fake.issue_access_token()
    result = run(fake, "--dry-run", token=f"  {token}\n")
    assert result.code == ExitStatus.OK, result.err
    assert token not in result.output


@pytest.mark.parametrize("how", ["flag", "env", "file"])
@pytest.mark.parametrize("inside", ["\n", " ", "\r\n\t"])
def test_a_break_inside_stops_before_any_request_and_prints_nothing_of_it(run, make_fake, tmp_path, how, inside):
    fake = make_fake(people=2)
    token = fake.issue_access_token()
    head, tail = token[: len(token) // 2], token[len(token) // 2 :]
    broken = head + inside + tail
    args, env = ["--dry-run", "--json", "--debug"], {}
    if how == "flag":
        args += ["--token", broken]
    elif how == "env":
        env["AAC_ACCESS_TOKEN"] = broken
    else:
        path = write_token_file(tmp_path / "t.json", {"access_token": broken})
        args += ["--token-file", str(path)]
    result = run(fake, *args, env=env or None, token="" if how != "flag" else None)
    assert result.code == ExitStatus.USAGE
    assert "the token has a line break or space inside: paste it on one line" in result.err
    assert fake.requests == []
    for piece in (head, tail, head[-12:], tail[:12]):
        assert piece not in result.output
