"""Fixtures: a fake AAC server on 127.0.0.1 (port 0) and a way to run the tool in process."""

from __future__ import annotations

import csv
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import remove_users  # noqa: E402
from fake_aac import FakeAAC  # noqa: E402


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


@pytest.fixture
def fake() -> Iterator[FakeAAC]:
    server = FakeAAC(people=20)
    server.start()
    yield server
    server.stop()


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


class Runner:
    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
        self.capsys = capsys
        self.monkeypatch = monkeypatch

    def __call__(self, fake: FakeAAC | None, *args: str, env: dict[str, str] | None = None, token: str | None = None, stdin: str | None = None) -> Result:
        argv = list(args)
        if fake is not None:
            argv = ["--base-url", fake.base_url] + argv
            if token is None and "--token-file" not in argv and not (env and ("AAC_ACCESS_TOKEN" in env or "AAC_TOKEN_FILE" in env)):
                token = fake.issue_access_token()
        if token:
            argv = ["--token", token] + argv
        if stdin is not None:
            self.monkeypatch.setattr(sys, "stdin", FakeTerminal(stdin))
        else:
            self.monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        self.capsys.readouterr()
        code = remove_users.main(argv, environ=env or {})
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)


class FakeTerminal(io.StringIO):
    """Standard input that says it is a terminal, typed into in advance."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Runner:
    return Runner(capsys, monkeypatch)


def read_report(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def only_report(folder: Path | None = None) -> list[dict[str, str]]:
    reports = sorted((folder or Path.cwd()).glob("remove_users-*.csv"))
    assert len(reports) == 1, reports
    return read_report(reports[0])
