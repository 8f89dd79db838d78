"""What the tests share: a fake AAC server on 127.0.0.1 (port 0), ways to run the tool (in process,
as a process, on a terminal), its reports, and the files and environment a test hands it."""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import remove_users  # noqa: E402
from fake_aac import FakeAAC  # noqa: E402

SCRIPT = str(ROOT / "remove_users.py")


# -- the environment -------------------------------------------------------------------------------


def clean_env() -> dict[str, str]:
    """This process's environment without AAC_* variables, for running the script as a user would."""
    return {k: v for k, v in os.environ.items() if not k.startswith("AAC_")}


# What requests reads from the environment to route a request or check a certificate.
PROXY_AND_CA = (
    "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
    "NO_PROXY", "no_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
)


@pytest.fixture
def no_proxy_or_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy and no CA bundle from the environment the suite runs in, for the modules that set
    their own (`pytestmark = pytest.mark.usefixtures("no_proxy_or_ca")`): a developer's proxy
    would otherwise carry, or refuse, the requests they expect to go straight to the fake."""
    for name in PROXY_AND_CA:
        monkeypatch.delenv(name, raising=False)


# -- the fake AAC server ---------------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeAAC]:
    server = FakeAAC(people=20)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def staff(fake: FakeAAC) -> FakeAAC:
    """The fake with the course staff that the email-file tests keep or select by their files: a
    teaching assistant, a manager (Jane) and an archive account."""
    fake.add_person("ta@example.edu", "Terry Assistant")
    fake.add_person("jane@example.edu", "Jane Doe")
    fake.add_person("archive@example.edu", "Course Archive")
    return fake


# The ways a suspension can show (fake_aac.SUSPENDED_AS) on a listing that shows suspended members:
# the suspension tests run under each one. The fake's default shows none of them.
# GET /v4/people types includeStatus as the spec does (a boolean) in each of them.
_LISTED = {"hide_suspended": False, "include_status_typed": True}
SEEING = {
    "isDisabled": {"suspended_as": "isDisabled", **_LISTED},
    "state-hidden": {"suspended_as": "state", **_LISTED},
    "status-field": {"suspended_as": "status", **_LISTED},
    "workspace-route": {"suspended_as": "status", "workspace_people_route": True},
}


@pytest.fixture(params=list(SEEING))
def seeing(request: pytest.FixtureRequest) -> dict:
    """The fake's switches for one way of showing suspended members (a test module's make_fake
    fixture adds them to every fake it makes)."""
    return SEEING[request.param]


@pytest.fixture
def make_fake() -> Iterator:
    servers: list[FakeAAC] = []

    def make(**kwargs) -> FakeAAC:
        server = FakeAAC(**kwargs)
        server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


def student(n: int) -> str:
    """The email of the fake's nth student: FakeAAC(people=N) lists student00001@example.edu to
    student{N:05d}@example.edu (after its admin and co-admins)."""
    return f"student{n:05d}@example.edu"


# -- the tool run in this process ------------------------------------------------------------------


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


@pytest.fixture(autouse=True)
def _fast_and_isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Retries back off in milliseconds, and default reports land in a fresh folder."""
    monkeypatch.setattr(remove_users, "BACKOFF_BASE", 0.005)
    monkeypatch.setattr(remove_users, "BACKOFF_CAP", 0.05)
    monkeypatch.chdir(tmp_path)


class Runner:
    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
        self.capsys = capsys
        self.monkeypatch = monkeypatch

    def __call__(self, fake: FakeAAC | None, *args: str, env: dict[str, str] | None = None, token: str | None = None, stdin: "str | io.TextIOBase | None" = None) -> Result:
        argv = list(args)
        if fake is not None:
            argv = ["--base-url", fake.base_url] + argv
            if token is None and "--token-file" not in argv and not (env and ("AAC_ACCESS_TOKEN" in env or "AAC_TOKEN_FILE" in env)):
                token = fake.issue_access_token()
        if token:
            argv = ["--token", token] + argv
        typed = FakeTerminal(stdin) if isinstance(stdin, str) else stdin if stdin is not None else io.StringIO("")
        terminal = remove_users.Terminal(stdin=typed)
        self.capsys.readouterr()
        code = remove_users.main(argv, environ=env or {}, terminal=terminal)
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)


class FakeTerminal(io.StringIO):
    """A stream that says it is a terminal: standard input typed into in advance, or a screen
    (standard error) that a test reads back."""

    def isatty(self) -> bool:
        return True


class CtrlCAtTheKeyboard(FakeTerminal):
    """A terminal at which the person presses Ctrl-C at the first prompt."""

    def readline(self, *args) -> str:
        raise KeyboardInterrupt


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Runner:
    return Runner(capsys, monkeypatch)


# -- the script in a process of its own ------------------------------------------------------------


def start(fake: FakeAAC, *args: str, token: str | None = None) -> subprocess.Popen:
    """The script against this fake as a user starts it, in a process of its own: stdin closed,
    stdout and stderr piped as text, and the token (a fresh one unless given) in AAC_ACCESS_TOKEN."""
    env = clean_env()
    env["AAC_ACCESS_TOKEN"] = token or fake.issue_access_token()
    return subprocess.Popen(
        [sys.executable, SCRIPT, "--base-url", fake.base_url, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def run_on_terminal(fake: FakeAAC | None, args: list[str], typed: list[tuple[str, str]], timeout: float = 30) -> tuple[int, str]:
    """Runs the script on a pseudo-terminal; each (prompt, text) waits for prompt, then types text."""
    base = ["--base-url", fake.base_url] if fake else []
    return on_terminal([sys.executable, SCRIPT, *base, *args], clean_env(), typed, timeout)


def on_terminal(
    argv: list[str], env: dict[str, str], typed: list[tuple[str, str]], timeout: float = 30, cwd: Path | None = None
) -> tuple[int, str]:
    """Runs argv on a pseudo-terminal, in cwd; each (prompt, text) waits for prompt, then types text."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the program, on the terminal
        if cwd is not None:
            os.chdir(cwd)
        os.execve(argv[0], argv, env)
    seen = b""
    position = 0  # each prompt is looked for after the previous one: echoes interleave with prompts
    deadline = time.monotonic() + timeout
    pending = list(typed)
    while True:
        if pending:
            found = seen.find(pending[0][0].encode(), position)
            if found >= 0:
                position = found + len(pending[0][0].encode())
                os.write(fd, pending.pop(0)[1].encode())
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), seen.decode("utf-8", "replace")


# -- reports, and time passing on them -------------------------------------------------------------


def report_rows(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    """Every row of a report, `attempting` rows and corrections included."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def read_report(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    """The report as the README says to read it: each person's last row, in the order of those rows."""
    last: dict[tuple[str, str], tuple[int, dict[str, str]]] = {}
    for index, row in enumerate(report_rows(path)):
        last[(row["workspace_id"], row["person_id"])] = (index, row)
    return [row for _, row in sorted(last.values(), key=lambda item: item[0])]


def only_report(folder: Path | None = None) -> list[dict[str, str]]:
    reports = sorted((folder or Path.cwd()).glob("remove_users-*.csv"))
    assert len(reports) == 1, reports
    return read_report(reports[0])


def age_rows(report: str | os.PathLike[str], email: str, days: float, fake: FakeAAC | None = None) -> None:
    """Time passes: this person's report rows move `days` into the past, and, given the fake, what
    the server recorded of their changes (updatedAt, a moving lastStateChange) with them."""
    if fake is not None:
        fake.time_passes(fake.id_of(email), days)
    when = (_dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = report_rows(report)
    for row in rows:
        if row["email"] == email:
            row["time"] = when
    with open(report, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def suspended_by_hand(fake: FakeAAC, email: str, days: float) -> None:
    """Suspended in the AAC UI `days` ago, on a server whose updatedAt does not move with it: only
    this tool's report rows could tell."""
    pid = fake.id_of(email)
    fake.set_suspended(pid, days_ago=days)
    fake.people[pid]["updatedAt"] = fake.people[pid]["createdAt"]


# -- simulated time --------------------------------------------------------------------------------


class Clock:
    """Simulated time, for code that takes a clock (and a sleep): it reads `now`, which moves only
    when a test moves it or something sleeps on it, so no test waits."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


# -- saved plans -----------------------------------------------------------------------------------


def plan_file(
    run: Runner, fake: FakeAAC, tmp_path: Path, *args: str, name: str = "plan.json", **options
) -> Path:
    """The plan a dry run with these arguments saves (`--dry-run --plan-out tmp_path/name`), as a
    reviewer would be handed it. The dry run must succeed and send no write request; `options`
    (env=...) go to `run`."""
    path = tmp_path / name
    writes = len(fake.writes())
    result = run(fake, "--dry-run", "--plan-out", str(path), *args, **options)
    assert result.code == remove_users.ExitStatus.OK, result.err
    assert fake.writes()[writes:] == []
    return path


# -- token files -----------------------------------------------------------------------------------


def write_token_file(path: Path, data: dict | str, mode: int = 0o600) -> Path:
    """A token file as the tool reads one: `data` as JSON, or a str as it is (a plain access
    token). Owner-only unless `mode` says otherwise: the tool warns about a file others can read."""
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    path.chmod(mode)
    return path


def pair_file(
    fake: FakeAAC, folder: Path, lifetime: int = 3600, name: str = "aac-token.json", **extra
) -> Path:
    """A token file in `folder` holding a fresh pair from this fake, its access token good for
    `lifetime` seconds (a short one is refreshed at start-up), with the fields `extra` adds."""
    return write_token_file(folder / name, {**fake.issue_pair(lifetime), **extra})


# -- files of emails, and other files the tool reads -----------------------------------------------


def write_file(folder: Path, text: str, name: str, encoding: str = "utf-8") -> str:
    """Writes `text` to folder/name in `encoding`, byte for byte on every OS (no newline is
    translated), and returns the path as a command line names it."""
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return str(path)
