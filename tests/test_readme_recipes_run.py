"""Issue 21, item 3: every command block of the README runs as written against the rehearsal
workspace, started as the README says, and does what the README says it does.

How blocks are recognised: by the fence's info string.
- ```sh: commands typed in a terminal. Run by bash on a pseudo-terminal, in the folder holding
  remove_users.py, with the environment activated (`. .venv/bin/activate`, as "Install" says for a
  new terminal) and the `export` line the fake printed pasted first. Prompts are answered as the
  README says (the workspace name; the fake's access token, then Enter). A block whose lines all
  start `python tests/fake_aac.py` starts fakes, each line in a terminal of its own; a block whose
  first line is `#!` is a script file, saved where its second line says.
- ```crontab: crontab lines. The command after the five time fields is run by /bin/sh in the
  environment cron gives (PATH=/usr/bin:/bin, HOME, SHELL=/bin/sh, LOGNAME, nothing activated, in
  HOME) plus the fake's base URL, so it works only if it calls the environment's Python by path.
- ```powershell: checked statically (no PowerShell here): the same commands and flags as the sh
  forms, and the environment's python.exe by path.
- A block with no info string is output or a file's contents: test_untagged_blocks_hold_no_commands
  keeps commands from hiding in one.

Substituted, as "Rehearsing the recipes" tells a user to do: /opt/aac is the folder holding a copy
of remove_users.py, tests/fake_aac.py and the .venv; /var/log, /exports and /tmp are folders under
tmp_path (/tmp too, so that two test runs never share a lock); HOME is a scratch folder; the files
a recipe reads (keep.txt, a roster, a leavers export) are written by the test. `mail` is a stub,
first on cron's PATH, that records each alert. The Entra recipe also gets a fake Microsoft Graph
(tests/fake_graph.py, in this process), which the README cannot offer a user: AAC_GRAPH_URL and
AAC_GRAPH_LOGIN_URL point at it.

The virtual environment of "Install" is made once per session with `python -m venv --without-pip`
and a .pth file naming the test environment's site-packages: as good as copying the test venv, in
a tenth of a second and with no download. The install command itself and the "Running the tests"
command are run word for word by .ci/run (test_readme_commands checks that they stay the same);
`pip install -r requirements-ldap.txt` installs a file that tests/requirements.txt includes.
"""

from __future__ import annotations

import configparser
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import textwrap
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import pytest

from conftest import ROOT, on_terminal, read_report
from fake_graph import CLIENT_SECRET, FakeGraph
from remove_users import suspension_signal

README = (ROOT / "README.md").read_text(encoding="utf-8")
STAFF = {"admin@uni.edu", "coadmin1@uni.edu", "coadmin2@uni.edu"}  # the caller, the co-admins
FALL = "Fall 2026 Data Science"  # the fake's workspace name, which a real run asks to type
# Every cron line ends with the main recipe's alert, naming the log the line appends to.
ALERT = re.compile(
    r'>> (\S+) 2>&1 \|\| echo "remove_users exit \$\? \(see (\S+)\)" '
    r'\| mail -s "[^"]+" admin@uni\.edu$'
)


def confirm(name: str) -> tuple[str, str]:
    """The confirmation prompt and what the README says to type at it."""
    return f"Type the workspace name ({name}) to go ahead", name + "\n"


def token_questions(access_token: str) -> list[tuple[str, str]]:
    """--init-token-file and --add-workspace against a fake: its access token, then Enter."""
    return [("Access token (input hidden): ", access_token + "\n"), ("Refresh token", "\n"),
            ("Client ID", "\n"), ("Token Endpoint URL", "\n")]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The README's blocks
# ---------------------------------------------------------------------------------------------


@dataclass
class Block:
    section: str  # the nearest heading above it
    lang: str  # the fence's info string: sh, crontab, powershell, or ""
    text: str  # dedented (a block inside a list item is indented)
    line: int

    @property
    def commands(self) -> list[str]:
        """Its logical lines (backslash continuations joined), without comments and blank lines."""
        lines = self.text.replace("\\\n", " ").splitlines()
        return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def readme_blocks() -> list[Block]:
    blocks, section = [], ""
    lines = README.splitlines()
    index = 0
    while index < len(lines):
        heading = re.match(r"#{2,4} (.*)", lines[index])
        if heading:
            section = heading.group(1)
        fence = re.match(r"( *)```(\w*)$", lines[index])
        if fence:
            end = next(n for n in range(index + 1, len(lines)) if re.fullmatch(r" *```", lines[n]))
            text = textwrap.dedent("\n".join(lines[index + 1 : end])) + "\n"
            blocks.append(Block(section, fence.group(2), text, index + 1))
            index = end
        index += 1
    return blocks


def blocks_of(section: str, *langs: str) -> list[Block]:
    langs = langs or ("sh", "crontab")
    found = [b for b in readme_blocks() if b.section == section and b.lang in langs]
    assert found, f"no {langs} block in README section {section!r}"
    return found


# Every sh and crontab block, by section: how many there are and what runs them. A new block fails
# test_every_command_block_is_run until a test here runs it.
RUN_BY = {
    "Quick start": (2, "test_the_quick_start"),
    "Install": (2, "not here: .ci/run runs the install word for word; ldap3 is a download"),
    "Try it safely first, against a fake workspace": (5, "test_the_rehearsal*"),
    "Rehearsing the recipes": (1, "test_the_many_workspaces_journey"),
    "The review page": (1, "test_the_review_page"),
    "Getting a token": (2, "test_getting_a_token"),
    "Examples": (4, "test_the_examples"),
    "A nightly leavers run": (2, "test_the_nightly_leavers_script_from_cron"),
    "Suspend first, remove later": (2, "test_suspend_first_remove_later*"),
    "Review, then apply": (1, "test_review_then_apply"),
    "Running it from cron": (2, "test_the_cron_recipes"),
    "The journey, for three workspaces": (4, "test_the_many_workspaces_journey"),
    "Running the tests": (1, "not here: it is this suite, which .ci/run runs word for word"),
}


# ---------------------------------------------------------------------------------------------
# The rehearsal: a copy of the repository as /opt/aac, fakes started as the README says
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment whose Python imports what the test environment has (requests)."""
    folder = tmp_path_factory.mktemp("venv") / ".venv"
    command = [sys.executable, "-m", "venv", "--without-pip", str(folder)]
    subprocess.run(command, check=True, timeout=60)
    (site,) = folder.glob("lib/python*/site-packages")
    (site / "test-environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return folder


@dataclass
class Fake:
    """One fake, started by a README command, and what its terminal showed."""

    proc: subprocess.Popen
    printed: str = ""
    export: str = ""  # the `export ...` line it printed, to paste into the second terminal
    variables: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return self.variables["AAC_BASE_URL"]

    @property
    def access_token(self) -> str:
        return self.variables["AAC_ACCESS_TOKEN"]

    @property
    def token_file(self) -> Path | None:
        path = self.variables.get("AAC_TOKEN_FILE")
        return Path(path) if path else None

    def read_start(self, command: str) -> None:
        lines = []
        for line in self.proc.stdout:  # type: ignore[union-attr]
            lines.append(line)
            if line.startswith("Ctrl-C stops"):
                break
        self.printed = "".join(lines)
        assert self.proc.poll() is None, f"{command}\n{self.printed}"
        self.export = next(line.strip() for line in lines if line.strip().startswith("export "))
        assert "  $env:AAC_BASE_URL = 'http://127.0.0.1:" in self.printed  # PowerShell's form too
        self.variables = dict(re.findall(r"(AAC_\w+)='([^']*)'", self.export))

    def members(self) -> dict[str, bool]:
        """Every member's email and whether they are suspended, as the server lists them now."""
        if self.token_file is None:
            token = self.access_token
        else:  # a run may have refreshed it: the file holds the access token that works now
            token = json.loads(self.token_file.read_text())["access_token"]
        people: dict[str, bool] = {}
        while True:
            query = f"limit=100&offset={len(people)}&includeStatus=true"
            url = f"{self.base_url}/v4/people?{query}"
            request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(request, timeout=10) as answer:
                page = json.load(answer)["data"]
            if not page:
                return people
            people.update({p["email"]: suspension_signal(p) is not None for p in page})


@dataclass
class Session:
    """What the terminal showed for a block: each command's exit code and output."""

    codes: list[int]
    outputs: list[str]
    screen: str


@dataclass
class Rehearsal:
    root: Path
    venv: Path
    fakes: list[Fake] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.aac = self.root / "opt" / "aac"  # the folder holding remove_users.py and its .venv
        (self.aac / "tests").mkdir(parents=True)
        shutil.copy(ROOT / "remove_users.py", self.aac)
        shutil.copy(ROOT / "tests" / "fake_aac.py", self.aac / "tests")
        (self.aac / ".venv").symlink_to(self.venv, target_is_directory=True)
        self.home = self.root / "home"
        for folder in ("home", "var/log/aac", "exports", "tmp", "bin"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        self.mail_log = self.root / "mail.log"
        stub = self.root / "bin" / "mail"
        stub.write_text(f'#!/bin/sh\n{{ echo "mail $*"; cat; }} >> {self.mail_log}\n')
        stub.chmod(0o755)

    def paths(self, text: str) -> str:
        """The README's server paths, in the rehearsal's folders."""
        where = {"/opt/aac": self.aac, "/var/log": self.root / "var" / "log",
                 "/exports": self.root / "exports", "/tmp": self.root / "tmp"}  # fmt: skip
        pattern = r"(?<![\w./~-])(/opt/aac|/var/log|/exports|/tmp)(?=/|\b)"
        return re.sub(pattern, lambda m: str(where[m.group(1)]), text)

    def terminal_env(self) -> dict[str, str]:
        # No Python on PATH until the README's activation puts the environment's first.
        return {"PATH": "/usr/bin:/bin", "HOME": str(self.home), "TERM": "dumb", "LANG": "C.UTF-8"}

    def write(self, path: str, text: str) -> Path:
        """A file a recipe reads, which only its user can write (keep.txt, an export)."""
        target = self.home / path[2:] if path.startswith("~/") else Path(self.paths(path))
        target = target if target.is_absolute() else self.aac / target
        target.write_text(text)
        return target

    def start(self, *commands: str) -> list[Fake]:
        """Fakes started by README commands, each in a terminal of its own (all at once)."""
        started = []
        for command in commands:
            proc = subprocess.Popen(
                ["bash", "-c", f". .venv/bin/activate && exec {self.paths(command)}"],
                cwd=self.aac,
                env=self.terminal_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            started.append(Fake(proc))
            self.fakes.append(started[-1])
        for command, fake in zip(commands, started):
            fake.read_start(command)
        return started

    def stop(self) -> None:
        for fake in self.fakes:
            fake.proc.send_signal(signal.SIGINT)  # Ctrl-C, as the README says
        for fake in self.fakes:
            try:
                fake.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                fake.proc.kill()
                fake.proc.wait()

    def paste(
        self,
        block: Block,
        fake: Fake | None,
        answers: Sequence[tuple[str, str]] = (),
        before: dict[int, str] | None = None,
        only: slice = slice(None),
    ) -> Session:
        """A block's commands, pasted into one terminal after the fake's export line (`before`:
        lines pasted before the command of that number; `only`: some of the commands)."""
        commands = block.commands[only]
        script = [". .venv/bin/activate"] + ([fake.export] if fake else [])
        for number, command in enumerate(commands):
            if before and number in before:
                script.append(before[number])
            script += [self.paths(command), "printf '\\n@@exit %d\\n' $?"]
        path = self.root / "terminal.sh"
        path.write_text("\n".join(script) + "\n")
        argv = ["/bin/bash", "--noprofile", "--norc", str(path)]
        status, screen = on_terminal(argv, self.terminal_env(), list(answers), 60, self.aac)
        assert status == 0, screen
        parts = re.split(r"@@exit (\d+)\r?\n", screen)
        outputs, codes = parts[0:-1:2], [int(code) for code in parts[1::2]]
        assert len(codes) == len(commands), screen
        return Session(codes, outputs, screen)

    def cron(self, block: Block, **env: str) -> None:
        """Each crontab line's command, as cron runs it; its output goes where the line says."""
        cron_env = {"PATH": f"{self.root / 'bin'}:/usr/bin:/bin", "HOME": str(self.home),
                    "SHELL": "/bin/sh", "LOGNAME": "aac", **env}  # fmt: skip
        for line in block.commands:
            command = self.paths(line.split(None, 5)[5])
            run = subprocess.run(["/bin/sh", "-c", command], cwd=self.home, env=cron_env,
                                 stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                 timeout=120)  # fmt: skip
            # The alert's pipeline ends the line with 0: the tool's code is in the alert, the log.
            assert (run.returncode, run.stdout, run.stderr) == (0, "", ""), run

    def log(self, name: str) -> str:
        return (self.root / "var" / "log" / name).read_text()

    def mails(self) -> str:
        return self.mail_log.read_text() if self.mail_log.exists() else ""

    def alert(self, code: int, subject: str, log: str) -> str:
        """What the stub `mail` records for an alert about exit `code` (a log in /var/log)."""
        log_path = self.root / "var" / "log" / log
        return f"mail -s {subject} admin@uni.edu\nremove_users exit {code} (see {log_path})\n"


@pytest.fixture
def rehearsal(tmp_path: Path, venv: Path) -> Iterator[Rehearsal]:
    rehearsal = Rehearsal(tmp_path, venv)
    yield rehearsal
    rehearsal.stop()


def fake_lines(block: Block) -> list[str]:
    assert all(line.startswith("python tests/fake_aac.py") for line in block.commands), block.text
    return block.commands


# ---------------------------------------------------------------------------------------------
# What is checked without running
# ---------------------------------------------------------------------------------------------


def test_every_command_block_is_run():
    counts: dict[str, int] = {}
    for block in readme_blocks():
        if block.lang in ("sh", "crontab"):
            counts[block.section] = counts.get(block.section, 0) + 1
    assert counts == {section: count for section, (count, _) in RUN_BY.items()}


def test_untagged_blocks_hold_no_commands():
    shell = r"^(python3? |pip |py |\.venv|cd |export |chmod |mkdir |\$env:|#!)"
    cron = r"^[\d*,/-]+( [\d*,/-]+){4} "
    for block in readme_blocks():
        assert block.lang in ("", "sh", "crontab", "powershell"), block
        if not block.lang:
            for command in (shell, cron):
                assert not re.search(command, block.text, re.M), f"tag README line {block.line}"


def test_cron_lines_use_the_environments_python_and_end_with_the_alert():
    lines = [line for b in readme_blocks() if b.lang == "crontab" for line in b.commands]
    assert len(lines) == 5
    for line in lines:
        fields = line.split(None, 5)
        assert all(re.fullmatch(r"[\d*,/-]+", f) for f in fields[:5]), line
        assert "%" not in line, line  # cron turns an unescaped % into a line break
        tool = re.search(r"(\S+) remove_users\.py|/opt/aac/leavers\.sh", fields[5])
        assert tool and tool.group(1) in (".venv/bin/python", None), line
        alert = ALERT.search(line)
        assert alert and alert.group(1) == alert.group(2), line
    script = blocks_of("A nightly leavers run")[0]
    assert ".venv/bin/python remove_users.py" in script.text and "python3" not in script.text


def test_powershell_blocks_say_what_the_sh_blocks_say():
    sh = blocks_of("Try it safely first, against a fake workspace")[1]
    (ps,) = blocks_of("Try it safely first, against a fake workspace", "powershell")
    assert ps.commands[0] == ".venv\\Scripts\\Activate.ps1"
    # What to paste, in the form the fake prints it (Fake.read_start checks that it does).
    pasted = "$env:AAC_BASE_URL = 'http://127.0.0.1:<the port it printed>'; $env:AAC_ACCESS_TOKEN = "
    assert ps.commands[1].startswith(pasted)
    assert ps.commands[2] in [command.split("  #")[0].strip() for command in sh.commands]
    sh, ps = blocks_of("Examples")[0], blocks_of("Examples", "powershell")[0]
    assert sh.commands[0] == "export AAC_TOKEN_FILE=~/aac/fall-2026-token.json"
    assert ps.commands[0] == '$env:AAC_TOKEN_FILE = "$HOME\\aac\\fall-2026-token.json"'
    assert ps.commands[1:] == sh.commands[1:]
    # Task Scheduler runs the main cron recipe: the environment's python.exe, the same flags.
    (task,) = blocks_of("Running it from Windows Task Scheduler", "powershell")
    assert "-Execute 'C:\\aac\\.venv\\Scripts\\python.exe'" in task.text
    arguments = re.findall(r"-Argument '([^']*)'", task.text)[0].split()
    assert arguments[0] == "C:\\aac\\remove_users.py"
    cron = blocks_of("Running it from cron")[0].commands[0]
    flags = cron.split(" remove_users.py ", 1)[1].split(" >> ")[0].split()

    def shape(words: list[str]) -> list[str]:  # the paths differ between the systems, no flag may
        return [w if w.startswith("-") or w.isdigit() else "PATH" for w in words]

    assert shape(arguments[1:]) == shape(flags)


# ---------------------------------------------------------------------------------------------
# The quick start, and the rehearsal section
# ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_quick_start(rehearsal):
    """Five commands: the install (run by .ci/run), the fake, then the second terminal's three.
    The only substitution is a free port for 8765, as "Rehearsing the recipes" says."""
    first, second = blocks_of("Quick start")
    install, start = first.commands
    assert install == code_blocks_of_install()[0]
    port = str(free_port())
    (fake,) = rehearsal.start(start.replace("8765", port))
    assert fake.token_file == rehearsal.aac / "sandbox-token.json"
    pasted = Block(second.section, "sh", second.text.replace("8765", port), second.line)
    session = rehearsal.paste(pasted, None, [confirm(FALL)])
    assert session.codes == [0, 0, 3], session.screen  # the owner's removal is refused
    assert "Dry run: nothing was changed." in session.outputs[1]
    assert set(fake.members()) == STAFF | {"ta@uni.edu", "owner@uni.edu"}


def code_blocks_of_install() -> list[str]:
    return [b.text.strip() for b in readme_blocks() if b.section == "Install" and b.lang == "sh"]

REHEARSAL = "Try it safely first, against a fake workspace"


def test_the_rehearsal_dry_run_then_the_real_run(rehearsal):
    start, second, *_ = blocks_of(REHEARSAL)
    (fake,) = rehearsal.start(*fake_lines(start))
    assert second.commands[0].split("  #")[0].strip() in fake.printed  # what the fake suggests
    session = rehearsal.paste(second, fake, [confirm(FALL)])
    assert session.codes == [0, 3], session.screen  # the owner's removal is refused
    assert "Dry run: nothing was changed." in session.outputs[0]
    assert "FAILED owner@uni.edu" in session.outputs[1]
    assert set(fake.members()) == STAFF | {"ta@uni.edu", "owner@uni.edu"}


def test_the_rehearsal_switches(rehearsal):
    # Against each, what it is for: a real run that must refresh the token file, and dry runs
    # through transient faults and a quota (a real run of 500 people at 120 a minute takes over
    # four minutes; test_sandbox_rehearsal removes everyone through faults).
    _, second, wearing, faults, quota = blocks_of(REHEARSAL)
    lines = [fake_lines(block)[0] for block in (wearing, faults, quota)]
    fake, with_faults, with_quota = rehearsal.start(*lines)
    assert fake.token_file == rehearsal.aac / "sandbox-token.json"
    first = json.loads(fake.token_file.read_text())["refresh_token"]
    session = rehearsal.paste(second, fake, [confirm(FALL)], only=slice(1, 2))
    assert session.codes == [3], session.screen
    assert "Refreshed the access token" in session.screen
    assert json.loads(fake.token_file.read_text())["refresh_token"] != first
    assert set(fake.members()) == STAFF | {"ta@uni.edu", "owner@uni.edu"}
    for fake, members in ((with_faults, 207), (with_quota, 507)):
        session = rehearsal.paste(second, fake, only=slice(1))
        assert session.codes == [0] and f"Members: {members}" in session.outputs[0], session.screen


# ---------------------------------------------------------------------------------------------
# The recipes, each against a fake started as "Rehearsing the recipes" says
# ---------------------------------------------------------------------------------------------


def test_getting_a_token(rehearsal):
    init, use = blocks_of("Getting a token")
    (fake,) = rehearsal.start("python tests/fake_aac.py")  # the recipe writes its own token file
    session = rehearsal.paste(init, fake, token_questions(fake.access_token))
    assert session.codes == [0], session.screen
    written = rehearsal.aac / "aac-token.json"
    assert json.loads(written.read_text())["access_token"] == fake.access_token
    session = rehearsal.paste(use, fake)
    assert session.codes == [0, 0], session.screen
    assert written.stat().st_mode & 0o777 == 0o600
    assert "Dry run: nothing was changed." in session.outputs[1]


def test_the_examples(rehearsal):
    first, confirmed, files, unattended = blocks_of("Examples")
    (rehearsal.home / "aac").mkdir()  # the folder the examples keep their token file in
    (fake,) = rehearsal.start("python tests/fake_aac.py --token-file ~/aac/fall-2026-token.json")
    assert fake.token_file == rehearsal.home / "aac" / "fall-2026-token.json"
    rehearsal.write("keep.txt", "ta@uni.edu\n")
    rehearsal.write("staff-roster.csv", "Name,Email\nTerry,ta@uni.edu\nJane,jane@uni.edu\n")
    # One terminal for the section: its first block's export holds for the others.
    text = first.text + confirmed.text + files.text + unattended.text
    session = rehearsal.paste(Block(first.section, "sh", text, first.line), fake, [confirm(FALL)])
    assert session.codes == [0, 0, 3, 0, 3], session.screen
    assert "protected email   ta@uni.edu" in session.outputs[1]
    assert set(fake.members()) == STAFF | {"ta@uni.edu", "owner@uni.edu"}
    rows = read_report(rehearsal.root / "var" / "log" / "aac" / "fall-2026.csv")
    assert [(row["email"], row["outcome"]) for row in rows] == [("owner@uni.edu", "failed")]


def test_the_nightly_leavers_script_from_cron(rehearsal):
    script, crontab = blocks_of("A nightly leavers run")
    (rehearsal.aac / "tokens").mkdir()
    (fake,) = rehearsal.start("python tests/fake_aac.py --token-file /opt/aac/tokens/research.json")
    rehearsal.write("/opt/aac/graph-secret", CLIENT_SECRET + "\n").chmod(0o600)
    path = script.text.splitlines()[1].split()[1]  # "# /opt/aac/leavers.sh (chmod 700), ..."
    rehearsal.write(path, rehearsal.paths(script.text)).chmod(0o700)  # the README's chmod 700
    graph = FakeGraph()
    (leavers,) = re.findall(r"--only-group entra:(\S+)", script.text)
    (staff,) = re.findall(r"--exclude-group entra:(\S+)", script.text)
    for n, mail in enumerate(["student00001", "student00002", "jane", "ta"]):
        graph.add_user(f"u{n}", f"{mail}@uni.edu")
    graph.groups = {leavers: ["u0", "u1", "u2", "u3"], staff: ["u3"]}  # the TA leaves, and is staff
    graph.start()
    try:
        graph_env = {"AAC_GRAPH_URL": graph.url, "AAC_GRAPH_LOGIN_URL": graph.url}
        rehearsal.cron(crontab, AAC_BASE_URL=fake.base_url, **graph_env)
    finally:
        graph.stop()
    log = rehearsal.log("aac-leavers.log")
    assert rehearsal.mails() == "", log
    members = set(fake.members())
    assert {"student00001@uni.edu", "student00002@uni.edu", "jane@uni.edu"}.isdisjoint(members), log
    assert {"ta@uni.edu", "student00003@uni.edu", "archive@uni.edu"} <= members


def test_suspend_first_remove_later(rehearsal):
    (recipe,) = blocks_of("Suspend first, remove later", "sh")
    (rehearse,) = re.findall(r"For \"Suspend first,\s+remove later\" that is\s+`([^`]*)`", README)
    (fake,) = rehearsal.start(rehearse)
    rehearsal.write("keep.txt", "ta@uni.edu\n")
    session = rehearsal.paste(recipe, fake, [confirm(FALL)] * 2)
    assert session.codes == [0, 0, 0, 0], session.screen
    assert "Dry run: nothing was changed." in session.outputs[0]
    assert "Summary: suspended 203," in session.outputs[1], session.outputs[1]
    assert "Summary: unsuspended 1," in session.outputs[2], session.outputs[2]
    assert "Summary: unsuspended 202," in session.outputs[3], session.outputs[3]  # Jane was back
    members = fake.members()
    assert len(members) == 207 and not any(members.values())  # everyone is back, nobody removed
    rows = read_report(rehearsal.root / "var" / "log" / "aac" / "fall-2026.csv")
    # one report for the term: the undos appended to it, so each person's last row is the undo's
    assert len(rows) == 203 and {row["outcome"] for row in rows} == {"unsuspended"}


def test_suspend_first_remove_later_from_cron(rehearsal):
    (crontab,) = blocks_of("Suspend first, remove later", "crontab")
    (rehearse,) = re.findall(r"To rehearse it: `(python tests/fake_aac.py [^`]*)`", README)
    (fake,) = rehearsal.start(rehearse + " --token-file /opt/aac/fall-token.json")
    rehearsal.write("/opt/aac/keep.txt", "ta@uni.edu\n")
    before = fake.members()
    suspended = {email for email, is_suspended in before.items() if is_suspended}
    assert len(suspended) == 11 and "coadmin2@uni.edu" in suspended
    suspended -= {"coadmin2@uni.edu"}  # an admin: kept, suspended or not
    rehearsal.cron(crontab, AAC_BASE_URL=fake.base_url)
    log = rehearsal.log("aac-remove.log")
    assert rehearsal.mails() == "", log  # exit 0: no alert
    assert set(fake.members()) == set(before) - suspended, log
    rows = read_report(rehearsal.root / "var" / "log" / "aac" / "fall-2026.csv")
    assert {row["email"] for row in rows} == suspended
    assert {row["outcome"] for row in rows} == {"removed"}


def test_review_then_apply(rehearsal):
    (recipe,) = blocks_of("Review, then apply")
    (fake,) = rehearsal.start("python tests/fake_aac.py --token-file token.json")
    rehearsal.write("keep.txt", "ta@uni.edu\n")
    session = rehearsal.paste(recipe, fake)
    assert session.codes == [0, 3], session.screen  # the owner: transferred, then refused
    assert "Applying the saved plan fall-2026-plan.json" in session.outputs[1]
    assert set(fake.members()) == STAFF | {"ta@uni.edu", "archive@uni.edu", "owner@uni.edu"}


def test_the_review_page(rehearsal):
    """Started as the README says, in the second terminal: the printed address opens the page
    (with its secret), the page plans against the fake, and Ctrl-C ends it."""
    from review_stub import Client, plan_form

    (block,) = blocks_of("The review page")
    (fake,) = rehearsal.start("python tests/fake_aac.py")
    (command,) = block.commands
    script = f". .venv/bin/activate && {fake.export} && exec {command}"
    proc = subprocess.Popen(["bash", "-c", script], cwd=rehearsal.aac, env=rehearsal.terminal_env(),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        printed = proc.stderr.readline()  # no display here: the address is only printed
        address = r"The review page is at (http://127\.0\.0\.1:(\d+)/\?k=(\S+))\n"
        url = re.fullmatch(address, printed)
        assert url, printed
        page = Client(type("Address", (), {"port": int(url[2]), "secret": url[3]}))  # type: ignore
        assert page.log_in().status == 200 and page.get("/").status == 200
        assert page.get("/api/choices").json()["token_given"] is True  # the export line's token
        plan = page.post("/api/plan", plan_form(keep_text="ta@uni.edu")).json()
        assert plan["workspace"]["name"] == FALL and plan["counts"]["members"] == 207
        proc.send_signal(signal.SIGINT)  # Ctrl-C in its terminal
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and err.endswith("The review page has ended (Ctrl-C).\n"), err
    assert "Dry run: nothing was changed." in out
    assert len(fake.members()) == 207  # the page's plan changed nothing


def test_the_cron_recipes(rehearsal):
    clear_out, leavers = blocks_of("Running it from cron")
    fall, staff = rehearsal.start(
        "python tests/fake_aac.py --token-file /opt/aac/fall-token.json",
        "python tests/fake_aac.py --token-file /opt/aac/staff-token.json",
    )
    rehearsal.write("/opt/aac/keep.txt", "ta@uni.edu\n")
    rehearsal.cron(clear_out, AAC_BASE_URL=fall.base_url)
    assert "Summary: removed 202, already gone 0, failed 1" in rehearsal.log("aac-remove.log")
    # The owner's removal is refused: exit 3, and the alert says so.
    assert rehearsal.mails() == rehearsal.alert(3, "AAC clear-out", "aac-remove.log")
    assert set(fall.members()) == STAFF | {"ta@uni.edu", "owner@uni.edu"}
    rows = ["Employee;Email;Leaves", "1;student00001@uni.edu;12/01", "2;jane@uni.edu;12/02"]
    rehearsal.write("/exports/leavers.csv", "\n".join(rows) + "\n")
    rehearsal.cron(leavers, AAC_BASE_URL=staff.base_url)
    assert rehearsal.mails().count("mail -s") == 1, rehearsal.log("aac-leavers.log")
    members = set(staff.members())
    assert len(members) == 205 and {"student00001@uni.edu", "jane@uni.edu"}.isdisjoint(members)


# ---------------------------------------------------------------------------------------------
# Many workspaces: the journey, against one fake per workspace
# ---------------------------------------------------------------------------------------------


def test_the_many_workspaces_journey(rehearsal):
    (fakes_block,) = blocks_of("Rehearsing the recipes")
    add, dry, real, cron = blocks_of("The journey, for three workspaces")
    (ini,) = [b for b in blocks_of(add.section, "") if "[DEFAULT]" in b.text]
    fakes = rehearsal.start(*fake_lines(fakes_block))
    # 1. Add each workspace: that fake's export line first, then its access token and Enter.
    adds = [n for n, command in enumerate(add.commands) if "--add-workspace" in command]
    typed = [answer for fake in fakes for answer in token_questions(fake.access_token)]
    pasted = {n: fake.export for n, fake in zip(adds, fakes)}
    session = rehearsal.paste(add, None, typed, before=pasted)
    assert session.codes == [0, 0, 0, 0], session.screen
    folder = rehearsal.home / "aac"
    config = (folder / "workspaces.ini").read_text()
    written, sample = configparser.ConfigParser(), configparser.ConfigParser()
    written.read_string(config)
    sample.read_string(ini.text)
    assert written.sections() == sample.sections()
    for name, fake in zip(sample.sections(), fakes):
        for key in ("token_file", "workspace_id"):
            assert written[name][key] == sample[name][key]
        assert written[name]["base-url"] == fake.base_url
        (comment,) = re.findall(rf"\[{name}\]\n(# .*\(id \d+\), added )", ini.text)
        assert comment in config
    # 2. The editor: the README's file, with the base URL each section got from its fake.
    text = ini.text
    for name in written.sections():
        line = f"workspace_id = {written[name]['workspace_id']}\n"
        text = text.replace(line, f"{line}base-url = {written[name]['base-url']}\n")
    (folder / "workspaces.ini").write_text(text)
    rehearsal.write("~/aac/keep.txt", "ta@uni.edu\n")
    # 3. The dry run: its table says how each real run will end, and it exits 0.
    session = rehearsal.paste(dry, fakes[0])
    assert session.codes == [0], session.screen
    table = session.outputs[0][session.outputs[0].index("workspace  members") :].splitlines()
    ends = [(row.split()[0], row.split()[-1]) for row in table[1:4]]
    assert ends == [("stats-101", "0"), ("stats-102", "0"), ("data-lab", "4")]
    # 4. The real run, confirmed by each name: data-lab stops at its cap, as the table said.
    names = [confirm("Stats 101 Fall"), confirm("Stats 102 Fall")]
    session = rehearsal.paste(real, fakes[0], names)
    assert session.codes == [4], session.screen
    for fake in fakes[:2]:
        assert set(fake.members()) == STAFF | {"ta@uni.edu", "archive@uni.edu", "owner@uni.edu"}
    assert len(fakes[2].members()) == 47  # data-lab: 40 students and 7 others
    # 5. From cron, with the folder's files moved to /opt/aac beside the tool.
    for path in folder.iterdir():
        shutil.move(str(path), rehearsal.aac)
    rehearsal.cron(cron, AAC_BASE_URL=fakes[0].base_url)
    log = rehearsal.log("aac-remove.log")
    assert rehearsal.mails() == rehearsal.alert(4, "AAC clear-out", "aac-remove.log"), log
    assert [line.split()[-1] for line in log.splitlines()[-3:]] == ["3", "3", "4"]
