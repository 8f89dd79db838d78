"""Attack 22, F1: Ctrl-C or SIGTERM in the terminal while the review page's plan (or "Add a
workspace") refreshes a pasted token pair. The server rotates the refresh token as it answers, so
the end waits (bounded) for that refresh: the token file holds the live pair and the next run
works, as after a terminal run."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import SCRIPT, clean_env
from remove_users import ExitStatus
from review_stub import Client, plan_form


def review(fake, cwd: Path, *flags: str) -> tuple[subprocess.Popen, Client]:
    argv = [sys.executable, SCRIPT, "--review", "--no-browser", "--base-url", fake.base_url,
            *flags]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=clean_env(), cwd=cwd)
    url = proc.stderr.readline().split()[-1]
    server = type("Address", (), {"port": int(url.split(":")[2].split("/")[0]),
                                  "secret": url.split("?k=")[1]})
    page = Client(server)  # type: ignore[arg-type]
    page.log_in()
    return proc, page


def signal_mid_refresh(fake, proc: subprocess.Popen, page: Client, form: dict, signum: int,
                       path: str = "/api/plan") -> None:
    """Posts the form in a thread; once its refresh has reached the server (which answers 2 s
    later, the old refresh token already dead), signals the tool."""
    before = fake.count("POST", "/as/token")
    fake.add_fault(method="POST", path="/as/token", passthrough=True, delay=2.0)

    def post() -> None:
        with contextlib.suppress(OSError):  # the tool may end before it answers
            page.post(path, form)

    threading.Thread(target=post, daemon=True).start()
    deadline = time.monotonic() + 10
    while fake.count("POST", "/as/token") == before:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.02)
    time.sleep(0.3)
    proc.send_signal(signum)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_the_first_plan_s_refresh_keeps_the_live_pair(make_fake, tmp_path, run,
                                                                       signum):
    fake = make_fake(people=3)
    pair = fake.issue_pair(lifetime=10)  # about to expire: the plan refreshes it at once
    proc, page = review(fake, tmp_path)
    try:
        signal_mid_refresh(fake, proc, page, plan_form(token_pair=json.dumps(pair)), signum)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signum, err
    saved = json.loads((tmp_path / "aac-token.json").read_text())
    assert saved["refresh_token"] != pair["refresh_token"]  # the rotated pair, not the dead one
    assert saved["refresh_token"] in fake.refresh_tokens
    fake.faults.clear()
    later = run(fake, "--token-file", str(tmp_path / "aac-token.json"), "--dry-run",
                "--no-protected-emails", token=None)
    assert later.code == ExitStatus.OK, later.err
    assert fake.writes() == []


def test_a_signal_during_a_re_plan_s_refresh_keeps_the_live_pair(make_fake, tmp_path, run):
    """The second plan's access token wears out: the refresh is that plan's, not the shown one's."""
    fake = make_fake(people=3, access_token_uses=6)
    pair = fake.issue_pair()
    proc, page = review(fake, tmp_path)
    try:
        first = page.post("/api/plan", plan_form(token_pair=json.dumps(pair)))
        assert first.status == 200, first.body
        signal_mid_refresh(fake, proc, page, plan_form(), signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == ExitStatus.INTERRUPTED, err
    saved = json.loads((tmp_path / "aac-token.json").read_text())
    assert saved["refresh_token"] in fake.refresh_tokens
    assert "nobody was removed" in err and fake.writes() == []


def test_a_signal_while_adding_a_workspace_keeps_the_live_pair(make_fake, tmp_path, run):
    fake = make_fake(people=3)
    pair = fake.issue_pair(lifetime=10)
    config = tmp_path / "workspaces.ini"
    proc, page = review(fake, tmp_path, "--config", str(config))
    try:
        form = {"name": "fall", "token_pair": json.dumps(pair)}
        signal_mid_refresh(fake, proc, page, form, signal.SIGINT, "/api/add-workspace")
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == ExitStatus.INTERRUPTED, err
    [saved] = [json.loads(path.read_text()) for path in tmp_path.glob("*.json")]
    assert saved["refresh_token"] != pair["refresh_token"]
    assert saved["refresh_token"] in fake.refresh_tokens
