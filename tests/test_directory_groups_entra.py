"""Issue 13: --only-group / --exclude-group with entra: sources, against a fake Microsoft Graph."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from conftest import ROOT, clean_env, pair_file, plan_file, student
from fake_graph import CLIENT_SECRET, FakeGraph

LEAVERS = "0f8fad5b-d9cb-469f-a165-70867728950e"
NESTED = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
STAFF = "a3bb189e-8bf9-3888-9912-ace4e6543002"
EMPTY = "e02fd0e4-00fd-090a-ca30-0d00a0038ba0"


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    g = FakeGraph(page_size=3)
    # Leavers: five direct members and a nested group of two; student00003 is in both.
    for n in range(1, 8):
        g.add_user(f"u{n}", f"Student{n:05d}@Example.edu")
    g.add_user("outsider", "someone.else@example.edu")  # in the group, not in the workspace
    g.groups[LEAVERS] = ["u1", "u2", "u3", "u4", "outsider", NESTED]
    g.groups[NESTED] = ["u3", "u5", "u6", LEAVERS]  # a cycle back to the parent is harmless
    # Staff: one by mail, one only through otherMails, one by UPN (mail unset).
    g.add_user("s1", "student00010@example.edu")
    g.add_user("s2", "s2.primary@contoso.com", other=["student00011@example.edu"])
    g.add_user("s3", None, upn="student00012@example.edu")
    g.groups[STAFF] = ["s1", "s2", "s3"]
    g.groups[EMPTY] = []
    g.start()
    yield g
    g.stop()


def dry_json(run, fake, graph, *args: str, **env: str):
    result = run(fake, "--dry-run", "--json", "--exclude", "admin@example.edu", *args, env=graph.env(**env))
    return result, (json.loads(result.out) if result.out.strip() else None)


def test_only_group_reads_every_page_and_nested_members(run, fake, graph):
    result, doc = dry_json(run, fake, graph, "--only-group", f"entra:{LEAVERS}")
    assert result.code == 0, result.err
    removed = {p["email"]: p for p in doc["people"]}
    assert set(removed) == {student(n) for n in (1, 2, 3, 4, 5, 6)}
    assert all(p["groups"] == [f"entra:{LEAVERS}"] for p in removed.values())
    assert doc["groups"] == [{"source": f"entra:{LEAVERS}", "role": "only", "members": 7, "in_plan": 6}]
    pages = graph.member_pages()
    assert len(pages) == 3  # 7 users, 3 a page: every @odata.nextLink followed
    first = pages[0]
    assert first.query == {"$select": "mail,userPrincipalName,otherMails", "$top": "999", "$count": "true"}
    assert first.headers["consistencylevel"] == "eventual"
    token_calls = [r for r in graph.requests if r.method == "POST"]
    assert len(token_calls) == 1 and token_calls[0].form["grant_type"] == "client_credentials"
    assert token_calls[0].form["scope"] == f"{graph.url}/.default"
    assert "People who would be removed" in result.err and f"[group entra:{LEAVERS}]" in result.err


def test_real_run_removes_only_the_group_members(run, fake, graph):
    before = fake.emails()
    result = run(fake, "--yes", "--exclude", "admin@example.edu", "--only-group", f"entra:{LEAVERS}", env=graph.env())
    assert result.code == 0, result.output
    gone = before - fake.emails()
    assert gone == {student(n) for n in (1, 2, 3, 4, 5, 6)}


def test_exclude_group_protects_by_mail_upn_and_other_mails(run, fake, graph):
    result, doc = dry_json(run, fake, graph, "--exclude-group", f"entra:{STAFF}")
    assert result.code == 0, result.err
    kept = {p["email"]: p for p in doc["kept"]}
    for n in (10, 11, 12):
        entry = kept[student(n)]
        assert entry["reason"] == "in a protected group" and entry["groups"] == [f"entra:{STAFF}"]
    assert not {p["email"] for p in doc["people"]} & {student(n) for n in (10, 11, 12)}
    assert doc["counts"]["kept_by_reason"]["in a protected group"] == 3
    assert "Kept as members of a protected group:" in result.err


def test_other_mails_protect_but_never_select(run, fake, graph):
    result, doc = dry_json(run, fake, graph, "--only-group", f"entra:{STAFF}")
    assert result.code == 0, result.err
    # s1 by mail and s3 by UPN are selected; s2 only through otherMails is not.
    assert {p["email"] for p in doc["people"]} == {"student00010@example.edu", "student00012@example.edu"}


def test_exclude_group_wins_over_only_group(run, fake, graph):
    graph.groups[STAFF].append("u1")
    result, doc = dry_json(run, fake, graph, "--only-group", f"entra:{LEAVERS}", "--exclude-group", f"entra:{STAFF}")
    assert result.code == 0, result.err
    assert "student00001@example.edu" not in {p["email"] for p in doc["people"]}
    assert {p["email"]: p["reason"] for p in doc["kept"]}["student00001@example.edu"] == "in a protected group"


def test_429_and_503_honour_retry_after(run, fake, graph):
    graph.throttle = [(429, "1"), (503, "0")]
    started = time.monotonic()
    result, doc = dry_json(run, fake, graph, "--only-group", f"entra:{LEAVERS}")
    assert result.code == 0, result.err
    assert time.monotonic() - started >= 1.0
    assert [r.status for r in graph.member_pages()] == [429, 503, 200, 200, 200]
    assert len(doc["people"]) == 6


def test_endless_throttling_stops_before_any_change(run, fake, graph):
    graph.throttle = [(429, "0")] * 50
    result = run(fake, "--yes", "--exclude", "admin@example.edu", "--only-group", f"entra:{LEAVERS}", env=graph.env())
    assert result.code == 1
    assert f"--only-group entra:{LEAVERS}" in result.err and "HTTP 429" in result.err
    assert fake.writes() == [] and fake.count("GET") == 0  # the workspace was not even read


def test_token_error_names_the_settings_and_hides_the_secret(run, fake, graph):
    result = run(fake, "--dry-run", "-v", "--only-group", f"entra:{LEAVERS}", env=graph.env(AAC_GRAPH_CLIENT_SECRET="wrong-secret-value"))
    assert result.code == 1
    assert "invalid_client" in result.err and "AAC_GRAPH_CLIENT_ID" in result.err
    assert "wrong-secret-value" not in result.output
    assert graph.member_pages() == []


def test_secret_file_and_token_never_printed(run, fake, graph, tmp_path: Path):
    secret_file = tmp_path / "graph-secret"
    secret_file.write_text(CLIENT_SECRET + "\n")
    env = graph.env(AAC_GRAPH_CLIENT_SECRET_FILE=str(secret_file))
    del env["AAC_GRAPH_CLIENT_SECRET"]
    graph.fail_page = 2
    result = run(fake, "--dry-run", "-v", "--debug", "--only-group", f"entra:{LEAVERS}", env=env)
    assert result.code == 1
    issued = list(graph.tokens)
    assert issued and all(t not in result.output for t in issued)
    assert CLIENT_SECRET not in result.output


def test_a_failing_page_stops_the_run(run, fake, graph):
    graph.fail_page = 2
    result = run(fake, "--yes", "--exclude", "admin@example.edu", "--only-group", f"entra:{LEAVERS}", env=graph.env())
    assert result.code == 1
    assert f"--only-group entra:{LEAVERS}" in result.err and "HTTP 500" in result.err and "nothing was changed" in result.err
    assert fake.writes() == []


def test_an_expired_token_is_replaced_once(run, fake, graph):
    graph.token_lifetime_uses = 2
    result, doc = dry_json(run, fake, graph, "--only-group", f"entra:{LEAVERS}")
    assert result.code == 0, result.err
    assert len([r for r in graph.requests if r.method == "POST"]) == 2
    assert len(doc["people"]) == 6


def test_a_count_that_disagrees_with_the_pages_stops_the_run(run, fake, graph):
    graph.count_offset = 1
    result = run(fake, "--dry-run", "--only-group", f"entra:{LEAVERS}", env=graph.env())
    assert result.code == 1 and "Graph counts 8 user members but its pages held 7" in result.err


def test_a_next_link_to_another_host_is_not_followed(run, fake, graph):
    graph.foreign_next_link = True
    result = run(fake, "--dry-run", "--only-group", f"entra:{LEAVERS}", env=graph.env())
    assert result.code == 1 and "points away from" in result.err
    assert len(graph.member_pages()) == 1


def test_a_member_without_any_address_stops_the_run(run, fake, graph):
    graph.users["s3"]["userPrincipalName"] = None
    result = run(fake, "--dry-run", "--exclude-group", f"entra:{STAFF}", env=graph.env())
    assert result.code == 1 and "has neither mail nor userPrincipalName" in result.err


def test_an_unknown_group_stops_the_run(run, fake, graph):
    result = run(fake, "--dry-run", "--exclude-group", "entra:00000000-0000-0000-0000-000000000000", env=graph.env())
    assert result.code == 1 and "HTTP 404" in result.err and "no group with this object id" in result.err


def test_an_empty_exclude_group_stops_the_run(run, fake, graph):
    result = run(fake, "--yes", "--exclude", "admin@example.edu", "--exclude-group", f"entra:{EMPTY}", env=graph.env())
    assert result.code == 1 and "reads as empty" in result.err
    assert fake.writes() == []


def test_an_empty_only_group_removes_nobody_and_says_so(run, fake, graph):
    result = run(fake, "--yes", "--exclude", "admin@example.edu", "--only-group", f"entra:{EMPTY}", env=graph.env())
    assert result.code == 0, result.err
    assert "has no members, so it selects nobody" in result.err and "Nobody to remove." in result.out
    assert fake.writes() == []


def test_plan_out_records_the_groups_and_their_counts(run, fake, graph, tmp_path: Path):
    plan = tmp_path / "plan.json"
    result = run(
        fake, "--dry-run", "--exclude", "admin@example.edu", "--only-group", f"entra:{LEAVERS}",
        "--exclude-group", f"entra:{STAFF}", "--plan-out", str(plan), env=graph.env(),
    )
    assert result.code == 0, result.err
    saved = json.loads(plan.read_text())
    assert saved["groups"] == [
        {"source": f"entra:{LEAVERS}", "role": "only", "members": 7, "in_plan": 6},
        {"source": f"entra:{STAFF}", "role": "exclude", "members": 3, "in_plan": 3},
    ]
    assert len(saved["remove"]) == 6


@pytest.mark.parametrize(
    "args, env_change, message",
    [
        (["--only-group", "entra:not-a-guid"], {}, "expected entra:<group object id>"),
        (["--only-group", "okta:abc"], {}, "starts with entra: or ldap:"),
        (["--exclude-group", f"entra:{STAFF}"], {"AAC_GRAPH_TENANT": ""}, "AAC_GRAPH_TENANT"),
        (["--exclude-group", f"entra:{STAFF}"], {"AAC_GRAPH_CLIENT_SECRET": ""}, "AAC_GRAPH_CLIENT_SECRET"),
        (["--exclude-group", f"entra:{STAFF}"], {"AAC_GRAPH_URL": "http://graph.example.com"}, "must use https"),
        (["--exclude-group", f"entra:{STAFF}"], {"AAC_GRAPH_LOGIN_URL": "http://login.example.com"}, "must use https"),
        (["--plan", "p.json", "--only-group", f"entra:{LEAVERS}"], {}, "--only-group would change who is planned"),
    ],
)
def test_bad_group_input_is_refused_before_any_request(run, fake, graph, args, env_change, message):
    Path("p.json").write_text("{}")
    result = run(fake, "--dry-run", *args, env=graph.env(**env_change))
    assert result.code == 2, result.err
    assert message in result.err
    assert graph.requests == [] and fake.requests == []


def test_applying_a_plan_reads_its_exclude_groups_again(run, fake, graph, tmp_path: Path):
    args = ("--exclude", "admin@example.edu", "--only-group", f"entra:{LEAVERS}", "--exclude-group", f"entra:{STAFF}")
    plan = plan_file(run, fake, tmp_path, *args, env=graph.env())
    graph.groups[STAFF].append("u2")  # joins the staff after the review
    before = fake.emails()
    result = run(fake, "--yes", "--plan", str(plan), env=graph.env())
    assert result.code == 4, result.output  # the plan no longer applies: student00002 is protected now
    assert "student00002@example.edu" in result.err and "in a protected group" in result.err
    assert fake.emails() == before
    graph.groups[STAFF].remove("u2")
    result = run(fake, "--yes", "--plan", str(plan), env=graph.env())
    assert result.code == 0, result.output
    assert before - fake.emails() == {student(n) for n in (1, 2, 3, 4, 5, 6)}


def test_the_script_reads_an_entra_group_without_importing_ldap3(fake, graph):
    # As a user runs it, in its own process: ldap3 (optional) is imported only for ldap: sources.
    code = (
        "import sys, remove_users; rc = remove_users.main(sys.argv[1:]); "
        "print('ldap3 imported' if 'ldap3' in sys.modules else 'ldap3 not imported'); sys.exit(rc)"
    )
    env = {**clean_env(), **graph.env(), "AAC_ACCESS_TOKEN": fake.issue_access_token(), "PYTHONPATH": str(ROOT)}
    args = ["--base-url", fake.base_url, "--dry-run", "--exclude", "admin@example.edu", "--only-group", f"entra:{LEAVERS}"]
    proc = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "To remove: 6" in proc.stdout and "ldap3 not imported" in proc.stdout
    assert CLIENT_SECRET not in proc.stdout + proc.stderr


def test_a_config_file_names_groups_per_workspace_and_protecting_groups_add_up(run, make_fake, graph, tmp_path: Path):
    a = make_fake(people=12, workspace_id=101, workspace_name="Fall A")
    b = make_fake(people=12, workspace_id=202, workspace_name="Fall B")
    for name, fake in (("a", a), ("b", b)):
        pair_file(fake, tmp_path, name=f"{name}-token.json")
    graph.groups[STAFF].append("u2")  # student00002 is staff: protected in both workspaces
    config = tmp_path / "workspaces.ini"
    config.write_text(
        f"[DEFAULT]\nexclude = admin@example.edu\nexclude-group = entra:{STAFF}\nonly-group = entra:{LEAVERS}\n"
        f"[workspace a]\nbase-url = {a.base_url}\ntoken_file = a-token.json\nworkspace_id = 101\n"
        f"[workspace b]\nbase-url = {b.base_url}\ntoken_file = b-token.json\nworkspace_id = 202\n"
        "exclude-group = entra:00000000-0000-0000-0000-000000000000\n"  # b adds a group that cannot be read
    )
    result = run(None, "--config", str(config), "--all", "--yes", env=graph.env())
    assert result.code == 1, result.output  # b stopped on its unreadable group; a went ahead
    assert a.emails() >= {"student00002@example.edu"} and not a.emails() & {student(n) for n in (1, 3, 4, 5, 6)}
    assert b.writes() == [] and b.requests == []  # b's groups were read, and failed, before b was touched
    assert "entra:00000000-0000-0000-0000-000000000000" in result.err


def test_an_unreachable_graph_host_is_named_and_stops_the_run(run, fake, graph):
    # A port nobody listens on: the connection is refused, every retry too.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    env = graph.env(AAC_GRAPH_URL=dead, AAC_GRAPH_LOGIN_URL=dead)
    result = run(fake, "--yes", "--exclude", "admin@example.edu", "--only-group", f"entra:{LEAVERS}", env=env)
    assert result.code == 1, result.err
    assert "refused the connection" in result.err and "Traceback" not in result.err
    assert fake.writes() == []
