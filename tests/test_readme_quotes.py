"""The messages the README quotes, produced by the tool word for word (hosts, ports, times and file
names swapped for the README's examples)."""

from __future__ import annotations

import socket
import time

import pytest

from conftest import ROOT, CtrlCAtTheKeyboard
from fake_aac import make_jwt
from test_network_messages import TlsFake

pytestmark = pytest.mark.usefixtures("no_proxy_or_ca")

README = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())


def quoted(message: str) -> bool:
    return " ".join(message.split()) in README


def message(result) -> str:
    """The error or warning line's text after `remove_users: error: METHOD PATH: `."""
    line = result.err.strip().splitlines()[-1]
    return line.split(": ", 3)[-1] if " /v4/" in line else line


def test_input_messages(run, fake, tmp_path):
    result = run(None, "--base-url", "https://us1.alteryxcloud.com/v4", "--token", "x" * 30, "--dry-run")
    assert quoted(result.err.strip())
    files = {
        "staff.csv": "Name,Email,Work Email\nOne,student00001@example.edu,student00001@example.edu",
        "leavers.csv": "Name,Manager Email,Email - Personal\nOne,ta@uni.edu,one@home.example",
        "users.csv": "userPrincipalName,displayName,mail\nbo@uni.edu,Bo,bo@uni.edu\njo@uni.edu,Jo,",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        flag = "--only-file" if name == "leavers.csv" else "--exclude-file"
        assert quoted(error(run(fake, flag, name, "--dry-run")))
    (tmp_path / "staff.csv").write_text("Name;Email\nOne;student00001@example.edu\nNo email;\n;\nAlso none;\n")
    assert quoted(run(fake, "--exclude-file", "staff.csv", "--dry-run").err.strip())
    (tmp_path / "keep.txt").write_text("".join(f"gone{n:02d}@example.edu\n" for n in range(12)))
    assert quoted(run(fake, "--exclude-file", "keep.txt", "--dry-run").err.strip())


def error(result) -> str:
    """The one error line a run ended with (a vacuous empty string would be "quoted" anywhere)."""
    last = result.err.strip().splitlines()[-1]
    assert result.code == 2 and last.startswith("remove_users: error: "), result.err
    return last


def test_plan_and_summary_lines(run, make_fake):
    fake = make_fake(people=2)
    assert quoted(next(line for line in run(fake, "--dry-run").out.splitlines() if line.startswith("Their work")))
    archive = fake.id_of("student00002@example.edu")
    line = next(line for line in run(fake, "--transfer-to", "student00002@example.edu", "--dry-run").out.splitlines() if line.startswith("Their work"))
    assert quoted(line.replace("student00002@example.edu", "archive@uni.edu").replace(f"id {archive}", "id 1005"))
    fake.add_fault(method="DELETE", person_id=fake.id_of("student00001@example.edu"), status=503, times=5)
    assert quoted(next(line for line in run(fake, "--yes", "--no-protected-emails").out.splitlines() if line.startswith("Next:")))


def test_network_messages(run, make_fake, monkeypatch):
    real = socket.getaddrinfo

    def no_dns(host, *args, **kwargs):
        if host in ("127.0.0.1", "localhost"):
            return real(host, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    assert quoted(message(run(None, "--base-url", "https://eu9.alteryxcloud.com", "--token", "x" * 30, "--dry-run")))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    refused = message(run(None, "--base-url", f"http://127.0.0.1:{port}", "--token", "x" * 30, "--dry-run"))
    assert quoted(refused.replace(f"127.0.0.1:{port}", "us1.alteryxcloud.com"))
    tls = TlsFake(make_fake(people=1))
    host = tls.fake.base_url.split("//")[1]
    assert quoted(message(run(tls.fake, "--dry-run")).replace(host, "us1.alteryxcloud.com"))
    slow = make_fake(people=1, latency=1.0)
    host = slow.base_url.split("//")[1]
    timeout = message(run(slow, "--timeout", "0.2", "--dry-run"))
    assert quoted(timeout.replace(host, "us1.alteryxcloud.com").replace("0.2 s", "30 s"))


def test_token_messages(run, fake):
    token = make_jwt({"iss": "https://auth-eu1.alteryxcloud.com/as", "exp": int(time.time()) + 3600})
    region = message(run(fake, "--dry-run", token=token)).rsplit(" (request id", 1)[0]
    region = region.split("HTTP 401: ", 1)[1].replace("Invalid or expired access token", "Unauthorized")
    assert quoted(region.replace(fake.base_url, "https://us1.alteryxcloud.com"))
    expired = int(time.time()) - 3 * 3600
    line = message(run(fake, "--dry-run", token=make_jwt({"exp": expired})))
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(expired))
    assert quoted(line.split("error: ", 1)[1].replace(when, "2026-12-20 15:00 UTC"))


def test_start_up_interrupt_line():
    from test_ending_well import STARTUP_INTERRUPTED  # asserted there, against a real start-up

    assert quoted(STARTUP_INTERRUPTED)


def test_refused_for_good_and_email_file_lines(run, make_fake, tmp_path):
    fake = make_fake(people=2)
    (tmp_path / "staff.csv").write_text("Name,Work Email\nOne,student00002@example.edu\n")
    line = next(line for line in run(fake, "--exclude-file", "staff.csv", "--dry-run").out.splitlines() if line.startswith("Emails from"))
    assert quoted(line)
    leavers = "Employee ID,Name,Leaving Date,Email\n1001,Bo Leaver,2026-03-31,"
    (tmp_path / "leavers.csv").write_text(leavers + "student00001@example.edu\n")
    out = run(fake, "--only-file", "leavers.csv", "--dry-run").out.splitlines()
    rows = "\n".join(out[out.index("Emails from leavers.csv (--only-file): column 'Email'") :][:3])
    assert quoted(rows.replace("student00001@example.edu (Student 1)", "bo@uni.edu (Bo Leaver)"))
    fake.owner_ids.add(fake.id_of("student00001@example.edu"))
    out = run(fake, "--yes", "--exclude-file", "staff.csv", "--report", str(tmp_path / "r.csv")).out
    assert quoted(next(line for line in out.splitlines() if line.startswith("Next:")).replace("student00001@example.edu", "owner@uni.edu"))


def test_ctrl_c_at_the_token_prompt(run):
    result = run(None, "--dry-run", stdin=CtrlCAtTheKeyboard(""))
    assert result.code == 130
    prompt, message = result.err.splitlines()  # the message starts a line of its own
    assert prompt.startswith("AAC access token") and quoted(message)
