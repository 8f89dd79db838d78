"""A stub ReviewSession for the review page's tests (issue 18, phase 1): a fixed plan, events the
test feeds, and a record of every call, so that the page and its server are tested without the
engine (tests/test_review_page_on_the_engine.py drives the engine's session). Also an HTTP client
that keeps every answer, for checks over a whole session."""

from __future__ import annotations

import contextlib
import copy
import http.client
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Iterator

from remove_users import ReviewError, ReviewServer, ReviewSession

WORKSPACE = "Fall 2026 Data Science"
HTML_NAME = "<img src=x onerror=alert(1)>"

PLAN: dict[str, Any] = {
    "action": "remove",
    "workspace": {"id": 4242, "name": WORKSPACE},
    "words": {
        "verb": "Remove",
        "past": "removed",
        "deletes_assets": True,
        "consequence": "their flows, datasets and connections are deleted (no --transfer-to)",
        "their_work": "Their work: deleted with them (flows, datasets, connections), unless you "
        "fill in \u201cTransfer their work to\u201d above.",
    },
    "confirm": {"expected": WORKSPACE, "what": "workspace name"},
    "counts": {
        "members": 7, "to_remove": 3, "kept": 4,
        "kept_by_reason": {"the caller (you)": 1, "an admin": 1, "on the protected list": 2},
    },
    "people": [
        {"id": 11, "email": "s1@example.edu", "name": "Student One", "last_login": "2026-01-02"},
        {"id": 12, "email": "s2@example.edu", "name": HTML_NAME, "last_login": None},
        {"id": 13, "email": "s3@example.edu", "name": "Student Three", "last_login": "2025-11-30"},
    ],
    "kept": [
        {"id": 1, "email": "admin@example.edu", "name": "Ada Admin", "reason": "the caller (you)"},
        {"id": 2, "email": "prof@example.edu", "name": "Grace Hopper", "reason": "an admin"},
        {"id": 3, "email": "ta@example.edu", "name": "Tom Assistant",
         "reason": "on the protected list"},
        {"id": 4, "email": "ta2@example.edu", "name": "Tia Assistant",
         "reason": "on the protected list"},
    ],
    "warnings": [],
    "near_misses": [["tom.asistant@example.edu", "tom.assistant@example.edu"]],
    "stops": [],
    "email_files": [{"path": "keep.csv", "flag": "--exclude-file", "column": "Email"}],
    "dry_run_only": False,
}

REPORT_NAME = "remove_users-4242-20261203-0915.csv"
SUMMARY_LINES = [
    "Summary: removed 1, already gone 0, failed 1, not attempted 0, kept 5",
    "verified: 1 no longer a member, 1 still a member (as reported)",
    f"Report: {REPORT_NAME}",
    "Next: look at the failure above, then run the same command again: it retries only the "
    "people still in the workspace.",
]

# What a run of the stub tells the page after start(): one removal, one refusal, the summary.
RUN_EVENTS: list[dict[str, Any]] = [
    {"kind": "started", "total": 2, "action": "remove", "report": REPORT_NAME},
    {"kind": "outcome", "n": 1, "total": 2, "ok": True, "outcome": "removed", "http_status": 204,
     "request_id": "req-1", "detail": "",
     "person": {"id": 11, "email": "s1@example.edu", "name": "Student One"}},
    {"kind": "progress", "done": 1, "total": 2, "rate": 2.5, "eta_seconds": 1,
     "waiting_seconds": None},
    {"kind": "outcome", "n": 2, "total": 2, "ok": False, "outcome": "failed", "http_status": 403,
     "request_id": "req-7f3a", "detail": "the server refused: forbidden",
     "person": {"id": 13, "email": "s3@example.edu", "name": "Student Three"}},
    {"kind": "progress", "done": 2, "total": 2, "rate": 2.5, "eta_seconds": 0,
     "waiting_seconds": None},
    {"kind": "summary", "lines": SUMMARY_LINES, "counts": {"removed": 1, "failed": 1},
     "exit_code": 3, "report": REPORT_NAME},
]


class StubSession(ReviewSession):
    """choices/plan/... answer from the data above; `calls` records each call and its arguments.

    echo: a careless session that repeats the form's token in everything it answers, to show
    that the server keeps it in anyway."""

    def __init__(self, *, dry_run: bool = False, config: str | None = None,
                 workspaces: tuple[str, ...] = (), echo: bool = False, wait: float = 0.3) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.dry_run, self.config, self.workspaces = dry_run, config, list(workspaces)
        self.echo, self.wait = echo, wait
        self.token = ""
        self.log: list[dict[str, Any]] = []
        self.changed = threading.Condition()
        self.code: int | None = None
        self.stopped_with: list[int | None] = []
        self.idle_answer: int | None = 0

    def feed(self, *events: dict[str, Any]) -> None:
        with self.changed:
            self.log.extend(copy.deepcopy(events))
            self.changed.notify_all()

    def called(self, name: str) -> list[Any]:
        return [args for called, args in self.calls if called == name]

    def choices(self) -> dict:
        self.calls.append(("choices", None))
        return {"workspaces": list(self.workspaces), "token_given": False, "action": "remove",
                "dry_run": self.dry_run, "config": self.config}

    def plan(self, form: dict) -> dict:
        self.calls.append(("plan", form))
        self.token = form["token"] or form["token_pair"] or self.token
        keep_file = form["keep_file"]
        if keep_file and "@" not in keep_file["text"]:
            raise ReviewError(
                f"{keep_file['name']}: no email in it (one a line, or a column named Email)")
        plan = copy.deepcopy(PLAN)
        plan["dry_run_only"] = self.dry_run
        if self.echo:
            plan["warnings"].append(f"the server said: invalid token {self.token}")
            plan["workspace"]["name"] += f" {self.token}"
        self.feed({"kind": "reading", "what": "members", "done": 7, "total": 7})
        return plan

    def plan_file(self, keep_ids: list[int], plan_id: int | None = None) -> tuple[str, bytes]:
        self.calls.append(("plan_file", keep_ids))
        remove = [p for p in PLAN["people"] if p["id"] not in keep_ids]
        doc = {"format": "remove_users.plan/1", "remove": remove,
               "note": self.token if self.echo else ""}
        return "fall-2026-plan.json", json.dumps(doc).encode()

    def stops(self, keep_ids: list[int], plan_id: int | None = None) -> list[dict]:
        self.calls.append(("stops", keep_ids))
        return copy.deepcopy(PLAN["stops"])

    def start(self, keep_ids: list[int], typed_name: str, go_on: bool = False,
              plan_id: int | None = None, button: tuple[str, int] | None = None) -> None:
        self.calls.append(("start", (keep_ids, typed_name)))
        if typed_name.strip().casefold() != WORKSPACE.casefold():
            raise ReviewError("the name typed is not the workspace's name: nothing was changed")
        if self.echo:
            self.feed({"kind": "warning", "text": f"refreshing {self.token}"})

    def events(self, since: int) -> tuple[list[dict], int]:
        with self.changed:
            self.changed.wait_for(lambda: len(self.log) > since, timeout=self.wait)
            return copy.deepcopy(self.log[since:]), len(self.log)

    def report(self) -> tuple[str, bytes] | None:
        self.calls.append(("report", None))
        if not any(event["kind"] == "summary" for event in self.log):
            return None
        text = "time,email,outcome\n2026-12-03,s1@example.edu,removed\n"
        return REPORT_NAME, (text + (self.token if self.echo else "")).encode()

    def add_workspace(self, name: str, token_pair: str) -> dict:
        self.calls.append(("add_workspace", (name, token_pair)))
        self.workspaces.append(name)
        return self.choices()

    def finished(self) -> int | None:
        return self.code

    def stop(self, signum: int | None) -> int | None:
        self.stopped_with.append(signum)
        if signum is None:
            return self.idle_answer
        return 128 + signum


@contextlib.contextmanager
def serving(session: ReviewSession) -> Iterator[ReviewServer]:
    """The review page's server for `session`, on a free port, in a thread."""
    server = ReviewServer(session, 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Client:
    """Raw HTTP to the review page: any Host, Origin or body, and every answer kept."""

    server: ReviewServer
    cookie: str | None = None
    key: str | None = None  # the page's key, from the trade's redirect, as the page's script has it
    answers: list[Answer] = field(default_factory=list)

    def send(self, method: str, path: str, body: bytes | None = None, *, host: str | None = None,
             headers: dict[str, str] | None = None, cookie: bool = True,
             key: bool = True) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        try:
            connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            own = f"127.0.0.1:{self.server.port}"
            connection.putheader("Host", own if host is None else host)
            if cookie and self.cookie:
                connection.putheader("Cookie", self.cookie)
            if key and self.key and "X-Remove-Users" not in (headers or {}):
                connection.putheader("X-Remove-Users", self.key)
            for name, value in (headers or {}).items():
                connection.putheader(name, value)
            if body is not None and "Content-Length" not in (headers or {}):
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            answer = Answer(response.status, response.getheaders(), response.read())
        finally:
            connection.close()
        self.answers.append(answer)
        return answer

    def log_in(self) -> Answer:
        answer = self.send("GET", f"/?k={self.server.secret}", cookie=False)
        self.cookie = answer.header("Set-Cookie").split(";")[0]
        self.key = page_key(answer)
        return answer

    def get(self, path: str, **kwargs: Any) -> Answer:
        return self.send("GET", path, **kwargs)

    def post(self, path: str, doc: Any, **kwargs: Any) -> Answer:
        """A POST as the page sends it: its origin, the key in the custom header, JSON."""
        headers = {"Origin": f"http://127.0.0.1:{self.server.port}",
                   "Content-Type": "application/json", **kwargs.pop("headers", {})}
        if "X-Remove-Users" in headers and headers["X-Remove-Users"] is None:
            kwargs["key"] = False
        headers = {k: v for k, v in headers.items() if v is not None}
        return self.send("POST", path, json.dumps(doc).encode(), headers=headers, **kwargs)


def page_key(answer: Answer) -> str:
    """The page's key, from the answer to the printed address (the page it moves on to)."""
    found = re.search(rb'content="0;url=/#([A-Za-z0-9_-]+)"', answer.body)
    return found[1].decode() if found else ""


def plan_form(**changes: Any) -> dict[str, Any]:
    form = {"token": None, "token_pair": None, "workspace": None, "keep_text": "ta@example.edu",
            "keep_file": None, "email_column": None, "action": "remove", "transfer_to": None}
    form.update(changes)
    return form


def pressed(plan: dict[str, Any], keep_ids: Any = (), typed_name: str | None = None,
            **more: Any) -> dict[str, Any]:
    """The /api/start body the page sends when its button is pressed on `plan` with keep_ids
    ticked: the plan's id, and the action and the count the button names."""
    keep_ids = list(keep_ids)
    count = sum(person["id"] not in keep_ids for person in plan["people"])
    typed = plan["confirm"]["expected"] if typed_name is None else typed_name
    return {"keep_ids": keep_ids, "plan_id": plan.get("plan_id"), "action": plan["action"],
            "count": count, "typed_name": typed, **more}


@contextlib.contextmanager
def on_the_engine(*argv: str, environ: dict[str, str] | None = None) -> Iterator[Any]:
    """The engine's session (remove_users.EngineSession) behind the page's server, from a command
    line as `--review` takes it; its terminal is the test's (capsys sees it). The Signals are not
    installed: a test sets signals.count as a signal would."""
    import io

    from remove_users import Console, EngineSession, Signals, Terminal, build_parser

    args = build_parser().parse_args(["--review", "--no-browser", *argv])
    console = Console(terminal=Terminal(stdin=io.StringIO("")))
    session = EngineSession(args, environ or {}, console, ["--review", *argv])
    session.serving(Signals(threading.Event()))
    with serving(session) as server:
        yield server, session
