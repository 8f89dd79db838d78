"""Issue 18, phase 2: the review page on the engine, driven over HTTP as the page drives it, against
the fake AAC. The plan is a dry run's, the run a terminal run's (report, intent rows, verification,
caps, exit code), the questions the terminal's, and no token ever comes back out."""

from __future__ import annotations

import json
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from conftest import SCRIPT, SEEING, clean_env, read_report, report_rows
from remove_users import REMOVE, REVIEW_REFUSES, EngineSession, ExitStatus, workspace_table
from review_stub import Client, on_the_engine, plan_form, pressed
from test_many_workspaces import Setup
from test_signals_and_kill import signal_on_delete

WORKSPACE = "Fall 2026 Data Science"
README_TEXT = (Path(SCRIPT).parent / "README.md").read_text(encoding="utf-8")


def events_until(page: Client, done: Callable[[list[dict]], bool], timeout: float = 20) -> list:
    """The session's events from the start, polled as the page polls them, until done(events)."""
    events: list[dict] = []
    deadline = time.monotonic() + timeout
    while not done(events):
        assert time.monotonic() < deadline, events
        answer = page.get(f"/api/events?since={len(events)}").json()
        events += answer["events"]
    return events


def summary_of(events: list[dict]) -> dict | None:
    return next((event for event in events if event["kind"] == "summary"), None)


def ids_of(fake, *emails: str) -> list[int]:
    return [fake.id_of(email) for email in emails]


@pytest.fixture
def page_on(make_fake, capsys) -> Callable[..., Any]:
    """A fake with eight students, and the page's server on the engine for it (any extra flags)."""
    contexts = []

    def start(*flags: str, fake=None, **fake_kwargs: Any):
        fake = fake or make_fake(people=8, **fake_kwargs)
        context = on_the_engine("--base-url", fake.base_url, *flags)
        server, session = context.__enter__()
        contexts.append(context)
        page = Client(server)
        page.log_in()
        return fake, page, session

    yield start
    for context in contexts:
        context.__exit__(None, None, None)


def test_the_plan_is_a_dry_run_of_the_engine(page_on, capsys):
    fake, page, session = page_on()
    token = fake.issue_access_token()
    keep_file = {"name": "staff.csv", "text": "Name,Email\nOne,student00001@example.edu\n"}
    form = plan_form(token=token, keep_text="Two <student00002@example.edu>; x@example.edu",
                     keep_file=keep_file)
    answer = page.post("/api/plan", form)
    assert answer.status == 200, answer.body
    plan = answer.json()
    assert fake.writes() == []  # a dry run: no write of any kind
    assert plan["workspace"] == {"id": 4242, "name": WORKSPACE}
    assert plan["confirm"] == {"expected": WORKSPACE, "what": "workspace name"}
    assert plan["counts"]["members"] == 10 and plan["counts"]["to_remove"] == 6
    reasons = {person["email"]: person["reason"] for person in plan["kept"]}
    assert reasons == {"admin@example.edu": "the caller (you)", "coadmin1@example.edu": "admin",
                       "student00001@example.edu": "protected email",
                       "student00002@example.edu": "protected email"}
    assert plan["email_files"][0]["path"] == "staff.csv"
    assert plan["email_files"][0]["column_label"] == "column 'Email'"
    lonely = "protected email x@example.edu matches no member of this workspace (a typo?)"
    assert plan["warnings"] == [lonely]
    assert plan["stops"] == [] and plan["near_misses"] == []
    # The terminal shows the same plan, from the same events.
    out = capsys.readouterr().out
    assert "Emails from staff.csv (--exclude-file): column 'Email'" in out
    assert "To remove: 6" in out and "Dry run: nothing was changed." in out
    # A second plan takes the token the page gave before.
    assert page.post("/api/plan", plan_form(keep_text="")).status == 200


@pytest.mark.parametrize(
    "form, refusal",
    [
        ({"keep_text": "ta@example"}, "Emails to keep: 'ta@example' is not a well-formed email"),
        ({"keep_file": {"name": "staff.csv", "text": "Name,Email\nOne,\n"}},
         "staff.csv (--exclude-file) holds no email at all; nothing was sent"),
        ({"keep_file": {"name": "book.xlsx", "text": "PK\x03\x04\x14"}},
         "book.xlsx looks like an Excel workbook, not text"),
        ({"token": "not a token"}, "the token has a line break or space inside: paste it on one"),
    ],
)
def test_a_bad_input_is_refused_on_the_page_and_the_page_stays_usable(page_on, form, refusal):
    fake, page, _ = page_on()
    answer = page.post("/api/plan", plan_form(**{"token": fake.issue_access_token(), **form}))
    assert answer.status == 422
    assert answer.json()["error"].startswith(refusal), answer.json()
    assert fake.requests == []  # refused before any request
    assert page.post("/api/plan", plan_form(token=fake.issue_access_token())).status == 200
    # A refused plan also takes back the one shown before: what the page asks for has changed.
    page.post("/api/plan", plan_form(**form))
    answer = page.post("/api/start", {"keep_ids": [], "typed_name": WORKSPACE})
    assert answer.json() == {"error": "show the plan first"} and fake.writes() == []


def test_a_run_from_the_page_is_the_terminal_s_run(page_on, capsys, tmp_path):
    fake, page, session = page_on()
    owner = fake.id_of("student00008@example.edu")
    fake.owner_ids.add(owner)  # AAC refuses to remove an owner: one failure, as it happens
    keep = "student00001@example.edu"
    plan = page.post("/api/plan", plan_form(token=fake.issue_access_token(), keep_text=keep)).json()
    ticked = ids_of(fake, "student00003@example.edu")
    assert page.post("/api/start", pressed(plan, ticked, "Fall")).json() == {
        "error": "not confirmed; nobody was removed"}
    assert fake.writes() == []
    started = page.post("/api/start", pressed(plan, ticked, f" {WORKSPACE.upper()}"))
    assert started.status == 200
    events = events_until(page, lambda events: summary_of(events) is not None)
    while session.finished() is None:
        time.sleep(0.05)
    assert session.finished() == ExitStatus.SOME_FAILED
    # Exactly the planned people are gone; the ticked one and the protected one stay.
    planned = {p["email"] for p in plan["people"]} - {"student00003@example.edu"}
    assert fake.emails() == {"admin@example.edu", "coadmin1@example.edu", keep,
                             "student00003@example.edu", "student00008@example.edu"}
    failure = next(e for e in events if e["kind"] == "outcome")
    assert (failure["person"]["email"], failure["outcome"], failure["http_status"]) == (
        "student00008@example.edu", "failed", 403)
    started = next(e for e in events if e["kind"] == "started")
    assert started["total"] == 6 and Path(started["report"]).parent == tmp_path
    # The report: an intent row before each removal, then its outcome, verified.
    rows = report_rows(started["report"])
    assert {r["email"] for r in rows if r["outcome"] == "attempting"} == planned
    last = {r["email"]: r["outcome"] for r in read_report(started["report"])}
    assert last == {**{email: "removed" for email in planned}, "student00008@example.edu": "failed"}
    # The summary lines are the terminal's, word for word.
    summary = summary_of(events)
    out = capsys.readouterr().out
    counted = "Summary: removed 5, already gone 0, failed 1, not attempted 0, kept 4"
    assert summary["lines"][0] == counted
    assert summary["lines"][1] == "verified: 5 of 6 planned people are no longer members"
    assert summary["lines"][-1].startswith("Next: re-running will not help")
    assert "\n".join(summary["lines"]) in out
    assert summary["exit_code"] == 3
    report = page.get("/api/report")
    assert report.body == Path(started["report"]).read_bytes()
    assert page.post("/api/start", pressed(plan, ticked)).json() == {
        "error": "this workspace's run is over: start the tool again"}


def test_the_stops_are_the_terminal_s_and_a_cap_counts_what_the_page_acts_on(page_on):
    fake, page, _ = page_on("--max-remove", "5")
    token = fake.issue_access_token()
    typo = plan_form(token=token, keep_text="student00001@example.ed")
    plan = page.post("/api/plan", typo).json()
    reasons = [stop["reason"] for stop in plan["stops"]]
    assert reasons[0].startswith("the plan removes 8 people, more than --max-remove 5")
    assert reasons[1].startswith("protected emails that match nobody but look like typos: "
                                 "student00001@example.ed (did you mean student00001@example.edu?)")
    assert [(s["exit_code"], s["asks"]) for s in plan["stops"]] == [(4, False), (4, True)]
    three = ids_of(fake, *(f"student0000{n}@example.edu" for n in (2, 3, 4)))
    ref = {"plan_id": plan["plan_id"]}
    stops = page.post("/api/stops", {"keep_ids": three[:2], **ref}).json()["stops"]
    assert stops[0]["reason"].startswith("the plan removes 6 people, more than --max-remove 5")
    assert [s["asks"] for s in page.post("/api/stops", {"keep_ids": three, **ref}).json()["stops"]] == [
        True]
    refused = page.post("/api/start", pressed(plan, three[:2], go_on=True)).json()["error"]
    assert refused.startswith("the plan removes 6 people, more than --max-remove 5")
    refused = page.post("/api/start", pressed(plan, three, go_on=False)).json()["error"]
    assert refused == "stopped to fix the protected emails that look like typos; nobody was removed"
    assert fake.writes() == []
    # Ticking the member the typo looks like leaves nothing to ask about.
    near = ids_of(fake, "student00001@example.edu")
    assert page.post("/api/stops", {"keep_ids": three + near, **ref}).json() == {"stops": []}
    assert page.post("/api/start", pressed(plan, three, go_on=True)).status == 200
    events_until(page, lambda events: summary_of(events) is not None)
    assert len(fake.emails()) == 2 + 3  # the caller, the co-admin and the three ticked


def test_a_suspension_from_the_page(page_on, make_fake):
    fake = make_fake(people=4, **SEEING["state-hidden"])
    fake.set_suspended(fake.id_of("student00004@example.edu"))
    fake, page, session = page_on(fake=fake)
    form = plan_form(token=fake.issue_access_token(), action="suspend", transfer_to="x@example.edu")
    plan = page.post("/api/plan", form).json()
    assert plan["words"]["verb"] == "Suspend" and plan["counts"]["to_suspend"] == 3
    assert plan["counts"]["already"] == 1 and plan["words"]["already"] == "already suspended"
    assert plan["words"]["their_work"].startswith("Their work: kept; they cannot sign in")
    start = pressed(plan, ids_of(fake, "student00001@example.edu"))
    assert page.post("/api/start", start).status == 200
    summary = summary_of(events_until(page, lambda events: summary_of(events) is not None))
    assert summary["lines"][0].startswith("Summary: suspended 2, already suspended 1, failed 0")
    assert fake.suspended_emails() == {f"student0000{n}@example.edu" for n in (2, 3, 4)}


def test_a_dry_run_offers_no_run_and_ends_with_0(page_on):
    fake, page, session = page_on("--dry-run")
    assert page.get("/api/choices").json()["dry_run"] is True
    plan = page.post("/api/plan", plan_form(token=fake.issue_access_token())).json()
    assert plan["dry_run_only"] is True
    answer = page.post("/api/start", {"keep_ids": [], "typed_name": WORKSPACE})
    assert answer.json() == {"error": "this is a dry run (--dry-run): the page changes nothing"}
    assert fake.writes() == [] and session.finished() == 0


def test_a_token_pair_is_saved_before_use_and_no_token_comes_back_out(page_on, capsys, tmp_path):
    fake, page, session = page_on()
    pair = fake.issue_pair(lifetime=10)  # about to expire: the plan refreshes it at once
    pasted = json.dumps(pair)
    plan = page.post("/api/plan", plan_form(token_pair=pasted)).json()
    saved = tmp_path / "aac-token.json"
    assert plan["token_note"].startswith(f"The token pair is saved in {saved} (readable only")
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600 and fake.refreshes == 1
    live = json.loads(saved.read_text())
    assert live["refresh_token"] != pair["refresh_token"]  # renewed, and kept where the page said
    assert live["refresh_token"] in fake.refresh_tokens
    # The same pair pasted again (a plan that failed keeps it in the field) uses that file.
    again = page.post("/api/plan", plan_form(token_pair=pasted))
    assert again.status == 200
    page.post("/api/plan-file", {"keep_ids": [], "plan_id": again.json()["plan_id"]})
    assert page.post("/api/start", pressed(again.json())).status == 200
    events_until(page, lambda events: summary_of(events) is not None)
    page.get("/api/report")
    page.get("/api/choices")
    everything = b"\n".join(
        answer.body + b"".join(f"{k}: {v}".encode() for k, v in answer.headers)
        for answer in page.answers
    )
    terminal = capsys.readouterr()
    assert fake.issued and fake.refresh_tokens
    for secret in [*fake.issued, *fake.refresh_tokens, pair["refresh_token"]]:
        assert secret.encode() not in everything
        assert secret not in terminal.out + terminal.err
    # A later review never overwrites it: the page says to use it.
    with on_the_engine("--base-url", fake.base_url) as (server, _):
        other = Client(server)
        other.log_in()
        refused = other.post("/api/plan", plan_form(token_pair=json.dumps(fake.issue_pair())))
    assert refused.json()["error"].startswith(f"{saved} exists, and the tool never overwrites")
    assert json.loads(saved.read_text()) == live


def test_many_workspaces_one_at_a_time_then_the_table(make_fake, tmp_path, capsys):
    two = Setup(make_fake, tmp_path)
    two.write()
    c = make_fake(people=2, workspace_id=303, workspace_name="Spring C")
    # The host of a workspace added on the page: as for --add-workspace, AAC_BASE_URL (or
    # --base-url, or [DEFAULT]'s base-url); each section keeps its own.
    environ = {"AAC_BASE_URL": c.base_url}
    with on_the_engine("--config", str(two.config), environ=environ) as (server, session):
        page = Client(server)
        page.log_in()
        choices = page.get("/api/choices").json()
        assert choices["workspaces"] == ["a", "b"] and choices["token_given"] is True
        for number, (name, fake) in enumerate((("a", two.a), ("b", two.b)), 1):
            plan = page.post("/api/plan", plan_form(workspace=name, keep_text="")).json()
            assert plan["workspace"]["name"] == fake.workspace["name"]
            assert page.post("/api/start", pressed(plan)).status == 200
            tables = lambda events: [e["lines"] for e in events if e["kind"] == "table"]  # noqa
            table = events_until(page, lambda events: len(tables(events)) == number)
            assert session.finished() == (None if name == "a" else ExitStatus.OK)
        lines = tables(table)[-1]
        assert lines == workspace_table(list(session.docs.values()), [], False, REMOVE)
        assert [line.split() for line in lines][1:] == [
            ["a", "7", "4", "0", "3", "0"], ["b", "9", "6", "0", "3", "0"]]
        assert tables(table)[0][-1].split() == ["b", "-", "-", "-", "-", "not", "run"]
        # Adding a workspace on the page appends its section, as --add-workspace does.
        pair = json.dumps({"access_token": c.issue_access_token()})
        added = page.post("/api/add-workspace", {"name": "spring-c", "token_pair": pair})
        assert added.status == 200, added.body
        assert added.json()["workspaces"] == ["a", "b", "spring-c"]
        assert session.finished() is None  # a workspace not run yet
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.splitlines()[-3:]] == ["workspace", "a", "b"]


def test_a_config_file_to_come_starts_with_adding_a_workspace(make_fake, tmp_path):
    c = make_fake(people=2, workspace_id=303, workspace_name="Spring C")
    config = tmp_path / "workspaces.ini"
    with on_the_engine("--config", str(config), "--base-url", c.base_url) as (server, session):
        page = Client(server)
        page.log_in()
        assert page.get("/api/choices").json()["workspaces"] == []
        assert session.finished() is None  # the work is adding one: the server waits for it
        pair = json.dumps({"access_token": c.issue_access_token()})
        added = page.post("/api/add-workspace", {"name": "spring-c", "token_pair": pair})
        assert added.json()["workspaces"] == ["spring-c"] and config.exists()
        plan = page.post("/api/plan", plan_form(workspace="spring-c")).json()
        assert plan["workspace"]["name"] == "Spring C" and session.finished() is None


def test_ctrl_c_in_the_terminal_during_the_removals(make_fake, tmp_path):
    """The script with --review, driven over HTTP: Ctrl-C in its terminal while it removes ends
    with 130, the people in flight finish, everyone planned has a row, and the server ends."""
    fake = make_fake(people=30, latency=0.05)
    report = tmp_path / "r.csv"
    box = signal_on_delete(fake, 5, signal.SIGINT)
    argv = [sys.executable, SCRIPT, "--review", "--no-browser", "--base-url", fake.base_url,
            "--concurrency", "2", "--report", str(report), "--no-protected-emails"]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=clean_env(), cwd=tmp_path)
    box.append(proc)
    try:
        url = proc.stderr.readline().split()[-1]
        server = type("Address", (), {"port": int(url.split(":")[2].split("/")[0]),
                                      "secret": url.split("?k=")[1]})
        page = Client(server)  # type: ignore[arg-type]
        page.log_in()
        plan = page.post("/api/plan", plan_form(token=fake.issue_access_token(), keep_text=""))
        assert plan.status == 200, plan.body
        assert page.post("/api/start", pressed(plan.json())).status == 200
        events: list[dict] = []
        while proc.poll() is None:  # the page polls until the server has ended
            try:
                events += page.get(f"/api/events?since={len(events)}").json()["events"]
            except (OSError, ValueError):
                break
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == ExitStatus.INTERRUPTED, err
    assert "interrupted: no new removals (SIGINT)" in err
    assert err.splitlines()[-1] == "The review page has ended (Ctrl-C)."
    assert summary_of(events)["exit_code"] == 130  # the page had the summary before the end
    rows = read_report(report)
    assert len(rows) == 30  # every planned person has a row
    removed = {r["email"] for r in rows if r["outcome"] == "removed"}
    assert removed == {f"student{n:05d}@example.edu" for n in range(1, 31)} - fake.emails()
    assert 5 <= len(removed) < 30
    assert {r["outcome"] for r in rows} == {"removed", "not-attempted"}
    assert "Summary: removed" in out and "Traceback" not in err


def test_a_signal_s_exit_code_is_on_record_when_the_run_is_over(page_on, monkeypatch):
    """Attack 22, F5: the run's code was recorded after the run stopped being under way; in
    between, stop() and the page's poll answered 0 for a run Ctrl-C had ended with 130."""
    slow = EngineSession._done
    monkeypatch.setattr(EngineSession, "_done", lambda self, *a: (time.sleep(0.5), slow(self, *a)))
    fake, page, session = page_on("--no-protected-emails", latency=0.05)
    plan = page.post("/api/plan", plan_form(token=fake.issue_access_token(), keep_text="")).json()
    assert page.post("/api/start", pressed(plan)).status == 200
    while not fake.writes():
        time.sleep(0.01)
    assert session.stop(signal.SIGINT) == ExitStatus.INTERRUPTED
    assert session.finished() == ExitStatus.INTERRUPTED


@pytest.mark.parametrize(
    "flag, refusal",
    [("--yes", "the review page always asks for the workspace name: leave --yes out"),
     ("--json", "the review page shows the run itself: leave --json out")],
)
def test_flags_a_review_cannot_take(run, flag, refusal):
    result = run(None, "--review", "--no-browser", flag)
    assert result.code == ExitStatus.USAGE
    assert result.err == f"remove_users: error: {refusal}\n"


def test_left_unconfirmed_it_ends_as_a_declined_confirmation(page_on, capsys):
    fake, page, session = page_on()
    page.post("/api/plan", plan_form(token=fake.issue_access_token()))
    assert session.stop(None) == ExitStatus.SAFETY_STOP
    assert capsys.readouterr().err.endswith(
        "remove_users: error: the review page went unused for 30 minutes before any removal;"
        " nobody was removed\n")
    assert isinstance(session, EngineSession) and fake.writes() == []


def test_help_and_readme_name_every_flag_a_review_refuses(run):
    help_text = " ".join(run(None, "--help").out.split())
    (refused,) = re.findall(r"Ctrl-C ends it\. Not with ([^.]*)\.", help_text)
    refused = refused.replace(" or ", ", ").split(", ")
    section = " ".join(README_TEXT.split("## The review page")[1].split("\n## ")[0].split())
    for dest, refusal in REVIEW_REFUSES:
        flag = "--" + dest.replace("_", "-")
        assert flag in refused, flag
        assert f"`{flag}`" in section, flag
        value = ["x"] if dest in ("plan", "plan_out", "from_report") else []
        assert run(None, "--review", "--no-browser", flag, *value).code == ExitStatus.USAGE


def test_a_refused_paste_in_the_token_box_blanks_nobody_out(page_on):
    """The keep-list pasted in the token box by mistake is refused, and not quoted back. Its words
    are no secrets: the plan, the plan file and the audit report then show every email, and the
    downloaded report is the report on disk."""
    fake, page, session = page_on()
    pasted = "ta@example.edu student00002@example.edu"
    fake.add_person("ta@example.edu", "Terry Assistant")
    refused = page.post("/api/plan", plan_form(token=pasted, keep_text="ta@example.edu"))
    assert refused.status == 422
    assert b"ta@example.edu" not in refused.body and b"student00002" not in refused.body
    answer = page.post("/api/plan", plan_form(token=fake.issue_access_token(),
                                              keep_text="ta@example.edu"))
    assert answer.status == 200 and b"[REDACTED]" not in answer.body
    plan = answer.json()
    assert "student00002@example.edu" in {p["email"] for p in plan["people"]}
    assert "ta@example.edu" in {k["email"] for k in plan["kept"]}
    plan_file = page.post("/api/plan-file", {"keep_ids": [], "plan_id": plan["plan_id"]})
    assert plan_file.status == 200 and b"[REDACTED]" not in plan_file.body
    saved = json.loads(plan_file.body)
    assert "student00002@example.edu" in {p["email"] for p in saved["remove"]}
    assert page.post("/api/start", pressed(plan, [], WORKSPACE)).status == 200
    events = events_until(page, lambda events: summary_of(events) is not None)
    report = page.get("/api/report")
    path = next(e for e in events if e["kind"] == "started")["report"]
    assert report.status == 200 and report.body == Path(path).read_bytes()
    assert b"student00002@example.edu" in report.body and b"[REDACTED]" not in report.body


def test_a_refused_access_token_line_leaves_the_workspace_name_typable(page_on, make_fake):
    """`Access token eyJ...` pasted whole is refused; `Access` is no secret afterwards, so the
    workspace "Data Access Lab" is still the name to type, and typing it runs the plan."""
    fake = make_fake(people=3, workspace_name="Data Access Lab")
    _, page, _ = page_on(fake=fake)
    token = fake.issue_access_token()
    assert page.post("/api/plan", plan_form(token=f"Access token {token}")).status == 422
    plan = page.post("/api/plan", plan_form(token=f"Bearer {token}")).json()
    assert plan["confirm"]["expected"] == "Data Access Lab"
    started = page.post("/api/start", pressed(plan, [], "Data Access Lab"))
    assert started.status == 200, started.body
    summary = summary_of(events_until(page, lambda events: summary_of(events) is not None))
    assert summary["exit_code"] == 0 and fake.emails() == {"admin@example.edu"} | {
        email for email in fake.emails() if email.startswith("coadmin")}


def test_a_member_named_like_a_header_keeps_their_name(page_on, capsys):
    """Redaction catches the shape of an Authorization header, not a word in a name: "Ring Bearer
    Team" shows as such on the page and in the terminal's plan."""
    fake, page, _ = page_on()
    fake.add_person("ring@example.edu", "Ring Bearer Team")
    fake.add_person("rb@example.edu", "Ring Bearer Smith-Jones-Williams")
    plan = page.post("/api/plan", plan_form(token=fake.issue_access_token())).json()
    names = {p["email"]: p["name"] for p in plan["people"]}
    assert names["ring@example.edu"] == "Ring Bearer Team"
    assert names["rb@example.edu"] == "Ring Bearer Smith-Jones-Williams"
    out = capsys.readouterr().out
    assert "Ring Bearer Team" in out and "[REDACTED]" not in out


def test_an_email_pasted_as_the_token_is_refused_and_blanks_nobody_out(page_on):
    """One email has no space, so it looked like a token: taken as a secret, it would show as
    [REDACTED] in every plan and report afterwards."""
    fake, page, _ = page_on()
    refused = page.post("/api/plan", plan_form(token="student00002@example.edu"))
    assert refused.status == 422 and b"student00002" not in refused.body
    assert b"an email address, not a token" in refused.body
    plan = page.post("/api/plan", plan_form(token=fake.issue_access_token())).json()
    assert "student00002@example.edu" in {p["email"] for p in plan["people"]}


def test_an_email_given_as_the_token_on_the_command_line_is_refused(run, make_fake):
    fake = make_fake(people=2)
    result = run(fake, "--dry-run", token="ta@example.edu")
    assert result.code == ExitStatus.USAGE and fake.requests == []
    assert result.err == ("remove_users: error: that is an email address, not a token: paste the"
                          " access token itself (--token)\n")
