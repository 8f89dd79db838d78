"""Issue 3: token files, one refresh at a time, rotation saved before use, and no token ever shown."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import remove_users
from conftest import ROOT, clean_env, only_report, pair_file, write_token_file
from fake_aac import make_jwt
from remove_users import ExitStatus, Tokens, TokenFile


def test_a_run_that_crosses_an_expiry_refreshes_exactly_once(run, make_fake, tmp_path):
    fake = make_fake(people=40, access_token_uses=30)  # 46 calls: one expiry, 4 workers
    path = pair_file(fake, tmp_path)
    before = json.loads(path.read_text())
    result = run(fake, "--token-file", str(path), "--yes", "--no-protected-emails", "--concurrency", "4")
    assert result.code == ExitStatus.OK, result.err
    assert len(fake.people) == 2
    assert fake.refreshes == 1
    after = json.loads(path.read_text())
    assert after["refresh_token"] != before["refresh_token"] and after["refresh_token"] in fake.refresh_tokens
    assert after["token_type"] == "Bearer"  # other fields are kept
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "Refreshed the access token" in result.err
    # The next run starts from the saved pair.
    fake.add_person("next@example.edu", "Next")
    result = run(fake, "--token-file", str(path), "--yes", "--no-protected-emails")
    assert result.code == ExitStatus.OK
    assert "next@example.edu" not in fake.emails()


def test_refresh_before_starting_when_the_token_is_about_to_expire(run, fake, tmp_path):
    path = pair_file(fake, tmp_path, lifetime=30)
    result = run(fake, "--token-file", str(path), "--dry-run")
    assert result.code == ExitStatus.OK
    assert fake.refreshes == 1
    assert fake.requests[0].path == "/as/token"  # before any v4 call
    assert fake.writes() == []  # a dry run may refresh: that changes no workspace data


def test_refresh_request_shape_and_no_authorization_header(run, fake, tmp_path):
    path = pair_file(fake, tmp_path, lifetime=10)
    old_refresh = json.loads(path.read_text())["refresh_token"]
    run(fake, "--token-file", str(path), "--dry-run")
    token_call = fake.requests[0]
    assert token_call.method == "POST" and token_call.authorization is None
    from urllib.parse import parse_qsl

    assert dict(parse_qsl(token_call.body)) == {"grant_type": "refresh_token", "refresh_token": old_refresh, "client_id": "fake-client-id"}


def test_plain_access_token_file(run, fake, tmp_path):
    path = write_token_file(tmp_path / "token.txt", fake.issue_access_token() + "\n")
    assert run(fake, "--token-file", str(path), "--dry-run").code == ExitStatus.OK


def test_token_file_from_environment(run, fake, tmp_path):
    path = pair_file(fake, tmp_path)
    result = run(fake, "--dry-run", env={"AAC_TOKEN_FILE": str(path)})
    assert result.code == ExitStatus.OK


def test_refresh_token_without_client_id_or_endpoint_names_the_flag(run, fake, tmp_path):
    path = write_token_file(tmp_path / "t.json", {"refresh_token": "r" * 20})
    result = run(fake, "--token-file", str(path), "--dry-run")
    assert result.code == ExitStatus.USAGE and "--client-id" in result.err
    result = run(fake, "--token-file", str(path), "--client-id", "fake-client-id", "--dry-run")
    assert result.code == ExitStatus.USAGE and "--token-url" in result.err
    assert fake.requests == []


def test_flags_and_file_keys_name_the_endpoint(run, fake, tmp_path):
    pair = fake.issue_pair()
    path = write_token_file(tmp_path / "t.json", {"refresh_token": pair["refresh_token"], "client_id": "fake-client-id"})
    result = run(fake, "--token-file", str(path), "--token-url", fake.base_url + "/as/token", "--dry-run")
    assert result.code == ExitStatus.OK, result.err
    assert fake.refreshes == 1


def test_token_endpoint_must_be_https(run, fake, tmp_path):
    path = pair_file(fake, tmp_path, token_url="http://pingauth.example.com/as/token")
    result = run(fake, "--token-file", str(path), "--dry-run")
    assert result.code == ExitStatus.USAGE and "https" in result.err


def test_unwritable_token_folder_is_refused_before_any_request(run, fake, tmp_path, monkeypatch):
    path = pair_file(fake, tmp_path)
    real_access = os.access
    monkeypatch.setattr(remove_users.os, "access", lambda p, mode: False if Path(p) == tmp_path else real_access(p, mode))
    result = run(fake, "--token-file", str(path), "--dry-run")
    assert result.code == ExitStatus.USAGE and "not writable" in result.err
    assert fake.requests == []


def test_group_readable_token_file_is_warned_about(run, fake, tmp_path):
    path = write_token_file(tmp_path / "t.json", fake.issue_pair(), mode=0o644)
    result = run(fake, "--token-file", str(path), "--dry-run")
    assert result.code == ExitStatus.OK
    assert "readable by other users" in result.err and "chmod 600" in result.err


def test_invalid_grant_stops_cleanly_and_names_where_to_make_a_new_pair(run, make_fake, tmp_path):
    fake = make_fake(people=10, access_token_uses=8)
    path = pair_file(fake, tmp_path)
    fake.refresh_tokens.clear()  # the saved refresh token is stale
    result = run(fake, "--token-file", str(path), "--yes", "--no-protected-emails", "--concurrency", "1")
    assert result.code == ExitStatus.ERROR
    assert "expired or was already used" in result.err and "OAuth 2.0 API Tokens" in result.err
    deletes_before_401 = fake.count("DELETE")
    assert deletes_before_401 == 3  # 6 listing calls + 2 removals, then the 401 on the third
    outcomes = [r["outcome"] for r in only_report()]
    assert outcomes.count("removed") == 2 and outcomes.count("not-attempted") == 7


def test_a_401_right_after_a_refresh_stops_the_run(run, fake, tmp_path):
    path = pair_file(fake, tmp_path)
    fake.add_fault(method="DELETE", status=401, times=None, message="token revoked")
    result = run(fake, "--token-file", str(path), "--yes", "--no-protected-emails", "--concurrency", "1")
    assert result.code == ExitStatus.ERROR
    assert "rejected the token pair right after a refresh" in result.err
    assert fake.refreshes == 1
    assert len(fake.people) == 22


def test_refresh_is_retried_on_503(run, fake, tmp_path):
    path = pair_file(fake, tmp_path, lifetime=5)
    fake.add_fault(method="POST", path="/as/token", status=503, times=1)
    result = run(fake, "--token-file", str(path), "--dry-run")
    assert result.code == ExitStatus.OK
    assert fake.refreshes == 1


def test_a_long_retry_after_on_the_token_endpoint_ends_the_refresh(run, fake, tmp_path, monkeypatch):
    monkeypatch.setattr(remove_users, "MAX_REFRESH_WAIT", 0.5)
    path = pair_file(fake, tmp_path, lifetime=5)
    fake.add_fault(method="POST", path="/as/token", status=503, times=None, headers={"Retry-After": "3600"})
    result = run(fake, "--token-file", str(path), "--dry-run")
    assert result.code == ExitStatus.ERROR
    assert fake.count("POST", "/as/token") == 1
    assert "asking to wait 3600 s" in result.err and "Re-run the same command later" in result.err


def test_the_refresh_waits_are_bounded_in_all(run, fake, tmp_path, monkeypatch):
    monkeypatch.setattr(remove_users, "MAX_REFRESH_WAIT", 0.5)
    path = pair_file(fake, tmp_path, lifetime=5)
    fake.add_fault(method="POST", path="/as/token", status=429, times=None, headers={"Retry-After": "0.3"})
    result = run(fake, "--token-file", str(path), "--dry-run")
    assert result.code == ExitStatus.ERROR
    assert fake.count("POST", "/as/token") == 2  # 0.3 s, then another 0.3 s would pass the 0.5 s bound


def test_a_lost_refresh_answer_is_not_retried(run, fake, tmp_path):
    path = pair_file(fake, tmp_path, lifetime=5)
    fake.add_fault(method="POST", path="/as/token", reset=True, act_first=True, times=1)
    result = run(fake, "--token-file", str(path), "--dry-run")
    assert result.code == ExitStatus.ERROR
    assert fake.count("POST", "/as/token") == 1  # retrying would spend a dead refresh token
    assert "new token pair" in result.err


def test_refresh_unreachable_endpoint_is_retried_then_fails(run, fake, tmp_path):
    import socket

    with socket.socket() as sock:  # a port nobody listens on: the connection never opens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    path = pair_file(fake, tmp_path, lifetime=5, token_url=f"http://127.0.0.1:{port}/as/token")
    result = run(fake, "--token-file", str(path), "--dry-run")
    assert result.code == ExitStatus.ERROR
    assert "got no answer" in result.err


def test_a_second_run_reuses_the_pair_another_run_saved(fake, tmp_path):
    path = pair_file(fake, tmp_path)

    def a_run() -> Tokens:  # what one run holds after reading the token file at start-up
        token_file = TokenFile.read(str(path))
        return Tokens(token_file.data["access_token"], token_file=token_file, client_id=fake.client_id, token_url=fake.base_url + "/as/token")

    stale, other = a_run(), a_run()
    other.refresh(other.generation)  # the other run refreshes first
    assert fake.refreshes == 1
    stale.refresh(stale.generation)  # finds the new pair on disk instead of spending the old one
    assert fake.refreshes == 1
    assert stale.access_token == other.access_token == json.loads(path.read_text())["access_token"]


def test_two_processes_sharing_a_token_file_refresh_once(fake, tmp_path):
    path = pair_file(fake, tmp_path, lifetime=5)
    env = clean_env()
    cmd = [sys.executable, str(ROOT / "remove_users.py"), "--base-url", fake.base_url, "--token-file", str(path), "--dry-run", "-q"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], results
    assert fake.refreshes == 1


def test_authorization_never_follows_a_redirect_to_another_host(run, make_fake):
    fake = make_fake(people=3)
    elsewhere = make_fake(people=0)
    fake.add_fault(method="GET", path="^/v4/people$", status=302, headers={"Location": elsewhere.base_url + "/v4/people"}, times=None)
    result = run(fake, "--dry-run")
    assert result.code == ExitStatus.ERROR
    assert "redirected" in result.err and "not followed" in result.err
    assert elsewhere.requests == []


def test_a_token_echoed_by_the_server_is_redacted(run, fake):
    token = fake.issue_access_token()
    other_jwt = make_jwt({"sub": "someone"})
    fake.add_fault(method="GET", path="^/v4/people/current$", status=400, message=f"bad header Bearer {token} near {other_jwt}")
    result = run(fake, "--dry-run", token=token)
    assert result.code == ExitStatus.ERROR
    assert token not in result.output and other_jwt not in result.output
    assert "[REDACTED]" in result.err


def test_a_refreshed_pair_echoed_in_an_error_is_redacted(run, make_fake, tmp_path):
    """The pair a refresh brings is as secret as the first: a server that echoes it in an error
    (here the refresh token, which has no token shape a pattern could catch) must not leak it."""
    fake = make_fake(people=12, access_token_uses=3)  # refreshed while listing, before any removal
    path = pair_file(fake, tmp_path)
    first = json.loads(path.read_text())["refresh_token"]
    fake.add_fault(method="DELETE", status=403, times=None, message="denied for {refresh_token} and {access_token}")
    report = tmp_path / "report.csv"
    result = run(fake, "--token-file", str(path), "--yes", "--no-protected-emails", "--json", "--report", str(report))
    refreshed = json.loads(path.read_text())["refresh_token"]
    first_delete = next(i for i, r in enumerate(fake.requests) if r.method == "DELETE")
    assert any(r.path == "/as/token" for r in fake.requests[:first_delete]) and refreshed != first
    assert "denied for [REDACTED] and [REDACTED]" in report.read_text()
    for secret in fake.issued:
        assert secret not in result.out and secret not in result.err and secret not in report.read_text()


LEAK_SCENARIOS = [
    ("crosses an expiry", dict(access_token_uses=14), [], None),
    ("stale refresh token", dict(access_token_uses=9), [], "stale"),
    ("401 after refresh", {}, [dict(method="DELETE", status=401, times=None)], None),
    ("5xx and resets", {}, [dict(method="DELETE", status=500, times=3), dict(method="DELETE", reset=True, times=2)], None),
    ("server echoes tokens", {}, [dict(method="DELETE", status=403, times=None, message="ECHO")], None),
]


@pytest.mark.parametrize("name, fake_args, faults, twist", LEAK_SCENARIOS, ids=[s[0] for s in LEAK_SCENARIOS])
@pytest.mark.parametrize("debug", [False, True])
def test_no_token_appears_anywhere_at_any_verbosity(run, make_fake, tmp_path, name, fake_args, faults, twist, debug):
    fake = make_fake(people=12, **fake_args)
    path = pair_file(fake, tmp_path)
    for fault in faults:
        if fault.get("message") == "ECHO":
            fault = {**fault, "message": "echo: " + json.loads(path.read_text())["access_token"]}
        fake.add_fault(**fault)
    if twist == "stale":
        fake.refresh_tokens.clear()
    report = tmp_path / "report.csv"
    args = ["--token-file", str(path), "--yes", "--no-protected-emails", "-v", "--report", str(report)] + (["--debug"] if debug else [])
    result = run(fake, *args)
    files = "".join(p.read_text() for p in tmp_path.rglob("*.csv"))
    assert fake.issued
    for secret in fake.issued:
        assert secret not in result.out, name
        assert secret not in result.err, name
        assert secret not in files, name


def test_plain_token_flag_never_printed_in_verbose_errors(run, fake):
    token = "plain-test-token-" + "x" * 12
    result = run(fake, "-v", "--debug", "--dry-run", token=token)
    assert result.code == ExitStatus.ERROR  # the fake does not know this token
    assert token not in result.output
    assert "access token was rejected" in result.err


def test_a_netrc_entry_never_replaces_the_bearer_token(run, fake, tmp_path, monkeypatch):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password netrc-secret-password\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    token = fake.issue_access_token()
    result = run(fake, "--dry-run", token=token)
    assert result.code == ExitStatus.OK
    assert {r.authorization for r in fake.requests} == {f"Bearer {token}"}


def test_a_pair_that_cannot_be_saved_stops_with_the_way_out(run, fake, tmp_path, monkeypatch):
    path = pair_file(fake, tmp_path, lifetime=5)

    def disk_full(self, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(TokenFile, "write", disk_full)
    result = run(fake, "--token-file", str(path), "--dry-run")
    assert result.code == ExitStatus.ERROR
    assert "could not be saved" in result.err and "No space left on device" in result.err and "new token pair" in result.err
    assert [r.path for r in fake.requests] == ["/as/token"]  # nothing used the unsaved token


def test_no_token_at_all_says_where_to_get_one(run):
    result = run(None, "--exclude", "ta@uni.edu", "--dry-run")
    assert result.code == ExitStatus.USAGE
    assert result.err.startswith("remove_users: error: no access token: give --token or")
    assert "Profile > Preferences > OAuth 2.0 API Tokens" in result.err
    assert "--init-token-file" in result.err and result.err.count("\n") == 1


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Bearer 0123456789abcdefXYZ",
        "authorization: bearer 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b",
        "Bearer abc_DEF.ghi~jkl+mno/pq==",
        "Bearer " + "Q" * 40,
    ],
)
def test_an_authorization_header_the_tool_never_saw_is_still_redacted(text):
    assert remove_users.redact(f"the server said: {text} is invalid") == (
        "the server said: " + text[: text.lower().index("bearer")] + "[REDACTED] is invalid")
