"""Issue 18, item 3: the review page is a local admin console and nobody else gets in. Raw HTTP
(no browser) against the page's server with a stub session: who is refused, what every answer
carries, and that a token given to the page never comes back out."""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Iterator

import pytest

import remove_users
from conftest import SCRIPT, clean_env
from remove_users import ExitStatus
from review_stub import (
    RUN_EVENTS,
    WORKSPACE,
    Client,
    StubSession,
    page_key,
    plan_form,
    serving,
)

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


# Every POST that would change something, with a body the session would take.
POSTS = [
    ("/api/plan", plan_form(token="x" * 30)),
    ("/api/start", {"keep_ids": [], "typed_name": WORKSPACE}),
    ("/api/plan-file", {"keep_ids": []}),
    ("/api/stops", {"keep_ids": []}),
    ("/api/add-workspace", {"name": "a", "token_pair": "{}"}),
]


@pytest.fixture
def stub() -> StubSession:
    return StubSession(wait=0.05)


@pytest.fixture
def page(stub: StubSession) -> Iterator[Client]:
    with serving(stub) as server:
        yield Client(server)


def test_without_the_secret_everything_is_refused_with_no_data(page, stub):
    for path in ["/", "/app.js", "/app.css", "/api/choices", "/api/events?since=0", "/api/report"]:
        answer = page.get(path)
        assert answer.status == 403, path
        assert answer.json() == {"error": "open the address the tool printed in the terminal"}
        assert answer.header("Set-Cookie") is None
    assert page.post("/api/plan", plan_form()).status == 403
    assert stub.calls == []


def test_a_wrong_secret_or_cookie_is_refused(page, stub):
    wrong = page.get(f"/?k={secrets.token_urlsafe(32)}")
    assert wrong.status == 403 and wrong.header("Set-Cookie") is None
    assert page.get(f"/?k={page.server.secret}&k=again").status == 403
    assert page.get(f"/?k={page.server.secret[:-1]}").status == 403
    # The address's secret is not the cookie.
    page.cookie = f"{page.server.cookie_name}={page.server.secret}"
    assert page.get("/api/choices").status == 403
    page.cookie = f"{page.server.cookie_name}=caf\u00e9"  # not ASCII: refused, not a crash
    assert page.get("/api/choices").status == 403
    assert stub.calls == []


def test_the_secret_is_traded_for_a_strict_cookie_and_leaves_the_address(page, stub):
    assert len(page.server.secret) >= 43  # 32 random bytes: at least 128 bits
    answer = page.log_in()
    # The page it moves on to, its key in the fragment (never sent to a server).
    assert answer.status == 200 and answer.header("Location") is None
    assert f'content="0;url=/#{page.server.key}"'.encode() in answer.body
    assert page.server.secret.encode() not in answer.body
    parts = [part.strip() for part in answer.header("Set-Cookie").split(";")]
    assert parts[0] == f"remove_users_{page.server.port}={page.server.cookie}"
    # No Max-Age: the cookie goes when the browser closes.
    assert set(parts[1:]) == {"Path=/", "HttpOnly", "SameSite=Strict"}
    assert page.server.secret not in answer.header("Set-Cookie")
    assert page.server.key not in answer.header("Set-Cookie")
    home = page.get("/")
    assert home.status == 200 and b"<title>Review: remove_users.py</title>" in home.body
    assert page.get("/api/choices").json()["tool_version"] == remove_users.__version__


def test_the_cookie_alone_drives_nothing(page, stub):
    """Cookies ignore ports: a server on another port of 127.0.0.1 that the browser visits gets
    this page's cookie. Without the page's key (which the trade puts in the address's fragment,
    for the page's own script) every /api request is refused with no data."""
    page.log_in()
    key = page.key
    assert len(key) >= 43 and key not in {page.server.secret, page.server.cookie}
    refusal = {"error": remove_users.REVIEW_NO_KEY}
    for headers in [{}, {"X-Remove-Users": "1"}, {"X-Remove-Users": secrets.token_urlsafe(32)},
                    {"X-Remove-Users": page.server.cookie}, {"X-Remove-Users": key[:-1]}]:
        for path in ["/api/choices", "/api/events?since=0", "/api/report"]:
            answer = page.get(path, headers=headers, key=False)
            assert answer.status == 403 and answer.json() == refusal, (path, headers)
        for path, doc in [*POSTS, ("/api/close", {})]:
            answer = page.post(path, doc, headers={"X-Remove-Users": None, **headers})
            assert answer.status == 403 and answer.json() == refusal, (path, headers)
    assert stub.calls == []
    assert page.get("/api/choices").status == 200  # with the key: the page's own requests
    assert page.post("/api/plan", plan_form()).status == 200
    # A key of another server of the tool (another review page open at once) is not this one's.
    with serving(StubSession()) as other:
        assert other.key != key
        assert page.get("/api/choices", headers={"X-Remove-Users": other.key}).status == 403


@pytest.mark.parametrize(
    "host",
    ["evil.example:{port}", "127.0.0.1:1", "127.0.0.1", "localhost", "",
     "127.0.0.1:{port}.evil.example", "[::1]:{port}"],
)
def test_a_foreign_host_is_refused_even_with_the_secret(page, stub, host):
    host = host.format(port=page.server.port)
    assert page.get(f"/?k={page.server.secret}", host=host).status == 403
    page.log_in()
    assert page.get("/api/choices", host=host).status == 403
    origin = {"Origin": f"http://{host}"}
    assert page.post("/api/plan", plan_form(), host=host, headers=origin).status == 403
    assert stub.calls == []


def test_localhost_is_this_page_too(page, stub):
    host = f"LOCALHOST:{page.server.port}"
    answer = page.send("GET", f"/?k={page.server.secret}", host=host)
    assert answer.status == 200
    page.cookie = answer.header("Set-Cookie").split(";")[0]
    page.key = page_key(answer)
    assert page.post("/api/plan", plan_form(), host=host,
                     headers={"Origin": f"http://localhost:{page.server.port}"}).status == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": None},
        {"Origin": "null"},
        {"Origin": "http://localhost:{port}"},  # not the origin the request was sent to
        {"Origin": "https://127.0.0.1:{port}"},
        {"X-Remove-Users": None},
        {"X-Remove-Users": "0"},
    ],
)
def test_a_post_from_elsewhere_is_refused_and_the_session_never_called(page, stub, headers):
    page.log_in()
    headers = {k: v.format(port=page.server.port) if v else v for k, v in headers.items()}
    for path, doc in POSTS:
        answer = page.post(path, doc, headers=headers)
        assert answer.status == 403, (path, answer.body)
    assert [name for name, _ in stub.calls] == []


def test_a_cross_site_form_post_is_refused(page, stub):
    """What a form on another site can send: its own Origin, a form encoding, no custom header,
    and (were SameSite ignored) the cookie."""
    page.log_in()
    body = f"keep_ids=&typed_name={WORKSPACE}".encode()
    answer = page.send("POST", "/api/start", body, headers={
        "Origin": "http://evil.example", "Content-Type": "application/x-www-form-urlencoded"},
        key=False)
    assert answer.status == 403
    # Even with this page's Origin, a form cannot add the header, nor send JSON.
    answer = page.send("POST", "/api/start", body, headers={
        "Origin": f"http://127.0.0.1:{page.server.port}", "Content-Type": "text/plain"},
        key=False)
    assert answer.status == 403
    answer = page.post("/api/start", {}, headers={"Content-Type": "text/plain"})
    assert answer.status == 415
    assert stub.called("start") == []


def test_get_never_changes_anything(page, stub):
    page.log_in()
    for path in ["/api/start", "/api/plan", "/api/plan-file", "/api/stops", "/api/add-workspace",
                 "/api/close"]:
        assert page.get(path).status == 405
    headers = {"Origin": f"http://127.0.0.1:{page.server.port}", "X-Remove-Users": page.key,
               "Content-Type": "application/json"}
    assert page.send("POST", "/", b"{}", headers=headers).status == 405
    assert page.get("/nothing-here").status == 404
    assert [name for name, _ in stub.calls] == []


@pytest.mark.parametrize(
    "body, headers, status",
    [
        (b"{not json", {}, 400),
        (b"\xff\xfe{}", {}, 400),
        (b"[1, 2]", {}, 400),
        (b"[" * 100_000 + b"]" * 100_000, {}, 400),  # deep enough to exhaust the parser's recursion
        (b"{}", {"Content-Length": "abc"}, 400),
        (b"{}", {"Content-Length": str(remove_users.REVIEW_MAX_BODY + 1)}, 413),
        (b'{"token": 5}', {}, 400),
        (b'{"action": "delete everyone"}', {}, 400),
        (b'{"keep_file": "keep.csv"}', {}, 400),
    ],
)
def test_a_bad_body_is_a_clear_refusal_never_a_traceback(page, stub, body, headers, status):
    page.log_in()
    base = {"Origin": f"http://127.0.0.1:{page.server.port}", "X-Remove-Users": page.key,
            "Content-Type": "application/json"}
    answer = page.send("POST", "/api/plan", body, headers={**base, **headers})
    assert answer.status == status
    assert set(answer.json()) == {"error"} and b"Traceback" not in answer.body
    assert stub.called("plan") == []


def test_keep_ids_must_be_ids(page, stub):
    page.log_in()
    for ids in ["1,2", [1, "2"], [True], None, [1.5]]:
        assert page.post("/api/start", {"keep_ids": ids, "typed_name": WORKSPACE}).status == 400
    assert page.post("/api/start", {"keep_ids": [], "typed_name": 7}).status == 400
    assert stub.called("start") == []


def test_an_oversize_body_is_refused_before_it_is_read(page, stub):
    page.log_in()
    with socket.create_connection(("127.0.0.1", page.server.port), timeout=5) as sock:
        port = page.server.port
        sock.sendall(
            (f"POST /api/plan HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {page.cookie}\r\n"
             f"Origin: http://127.0.0.1:{port}\r\nX-Remove-Users: {page.key}\r\n"
             f"Content-Type: application/json\r\nContent-Length: {10**9}\r\n\r\n").encode()
        )
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.0 413 ")
    assert stub.called("plan") == []


def test_the_session_s_refusal_reaches_the_page_and_its_failure_is_one_line(page, stub, capsys):
    page.log_in()
    answer = page.post("/api/start", {"keep_ids": [], "typed_name": "Spring 2027"})
    assert answer.status == 422
    refusal = "the name typed is not the workspace's name: nothing was changed"
    assert answer.json() == {"error": refusal}
    stub.plan = lambda form: {}["no such key"]  # a session bug
    answer = page.post("/api/plan", plan_form())
    assert answer.status == 500
    assert b"Traceback" not in answer.body and b"no such key" not in answer.body
    assert page.get("/api/choices").status == 200  # the server goes on


def test_every_answer_carries_the_security_headers(page, stub):
    page.get("/")
    page.get(f"/?k={page.server.secret}x")
    page.log_in()
    for path in ["/", "/app.css", "/app.js", "/favicon.svg", "/api/choices", "/api/events?since=0",
                 "/api/report", "/missing", "/api/start"]:
        page.get(path)
    page.post("/api/plan", plan_form())
    page.post("/api/plan", plan_form(), headers={"Origin": "http://evil.example"})
    page.post("/api/plan", {"token": 1})
    page.post("/api/plan-file", {"keep_ids": [12]})
    page.send("PUT", "/", b"")
    page.send("HEAD", "/", None)
    page.send("GET", "/" + "a" * 70_000, None)  # a request line too long for http.server
    statuses = {answer.status for answer in page.answers}
    assert {200, 400, 403, 404, 405, 414, 501} <= statuses
    for answer in page.answers:
        for name, value in SECURITY_HEADERS.items():
            assert answer.header(name) == value, (answer.status, name)
        assert "Python" not in (answer.header("Server") or "")


def test_the_page_loads_nothing_from_elsewhere_and_writes_no_html_from_data():
    html, css, js = remove_users.REVIEW_HTML, remove_users.REVIEW_CSS, remove_users.REVIEW_JS
    assert not re.search(r"https?:|//[a-z]", html + css + js.replace("// ", ""))
    assert "url(" not in css and "@import" not in css
    assert "<script>" not in html and " style=" not in html and not re.search(r"\son[a-z]+=", html)
    sinks = ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function("]
    for sink in sinks:
        assert sink not in js


def test_the_server_listens_on_127_0_0_1_only(page):
    assert page.server.socket.getsockname()[0] == "127.0.0.1"
    others = set()
    try:
        for family, _, _, _, address in socket.getaddrinfo(socket.gethostname(), None):
            loopback = address[0].startswith(("127.", "::1"))
            if family in (socket.AF_INET, socket.AF_INET6) and not loopback:
                others.add((family, address[0]))
    except socket.gaierror:  # no name for this host: loopback is all there is
        pass
    for family, address in others:
        with socket.socket(family) as probe:
            probe.settimeout(1)
            assert probe.connect_ex((address, page.server.port)) != 0, address
    with pytest.raises(TypeError):
        remove_users.ReviewServer(StubSession(), 0, host="0.0.0.0")  # there is no such parameter


def test_a_token_given_to_the_page_never_comes_back_out():
    """A whole session with a careless stub that repeats the token everywhere: no answer's body or
    header holds the token, the token pair's secrets, or a piece of them. A download that holds
    one is refused (a changed copy would pass for the file)."""
    token = "review-test-token-" + secrets.token_hex(16)
    refresh = "review-test-refresh-" + secrets.token_hex(16)
    access = "review-test-access-" + secrets.token_hex(16)
    pair = json.dumps({"access_token": access, "refresh_token": refresh, "client_id": "client-1",
                       "token_url": "http://127.0.0.1:9/token"})
    stub = StubSession(echo=True, wait=0.05, config="workspaces.ini")
    with serving(stub) as server:
        page = Client(server)
        page.log_in()
        page.get("/")
        page.get("/api/choices")
        assert page.post("/api/plan", plan_form(token=token)).status == 200
        assert page.post("/api/plan", plan_form(token_pair=pair)).status == 200
        plan_file = page.post("/api/plan-file", {"keep_ids": [12]})
        assert plan_file.status == 500 and plan_file.header("Content-Disposition") is None
        refusal = "fall-2026-plan.json holds a token, so the page does not send it"
        assert plan_file.json() == {"error": refusal}
        assert page.post("/api/start", {"keep_ids": [12], "typed_name": WORKSPACE}).status == 200
        stub.feed(*RUN_EVENTS, {"kind": "error", "text": f"token {token} refused"})
        assert page.get("/api/events?since=0").status == 200
        report = page.get("/api/report")
        assert report.status == 500 and "holds a token" in report.json()["error"]
        assert page.post("/api/add-workspace", {"name": "Spring", "token_pair": pair}).status == 200
    assert stub.called("plan")[0]["token"] == token  # the session itself gets it
    everything = b"\n".join(
        answer.body + b"".join(f"{k}: {v}".encode() for k, v in answer.headers)
        for answer in page.answers
    )
    assert b"[REDACTED]" in everything  # the stub did try
    for secret in [token, refresh, access]:
        assert secret.encode() not in everything
        assert secret[-12:].encode() not in everything


def test_one_change_at_a_time(page, stub):
    page.log_in()
    release = threading.Event()
    original = stub.plan

    def slow_plan(form):
        release.wait(5)
        return original(form)

    stub.plan = slow_plan
    first: list = []
    thread = threading.Thread(target=lambda: first.append(page.post("/api/plan", plan_form())))
    thread.start()
    deadline = time.monotonic() + 5
    while not page.server._busy.locked() and time.monotonic() < deadline:
        time.sleep(0.01)
    second = page.post("/api/start", {"keep_ids": [], "typed_name": WORKSPACE})
    release.set()
    thread.join(5)
    assert second.status == 409 and first[0].status == 200
    assert stub.called("start") == []


# The server's life: it ends when the work is over (and the page has gone), when idle, on a signal.


def _console() -> remove_users.Console:
    return remove_users.Console()


def test_it_ends_with_the_session_s_exit_code_once_the_page_has_gone(monkeypatch, capsys):
    monkeypatch.setattr(remove_users, "REVIEW_PAGE_GONE", 0.3)
    stub = StubSession()
    stub.code = ExitStatus.SOME_FAILED
    started = time.monotonic()
    assert remove_users.serve_review(stub, _console(), open_browser=False) == ExitStatus.SOME_FAILED
    assert time.monotonic() - started < 3
    err = capsys.readouterr().err
    assert err.splitlines()[0].startswith("The review page is at http://127.0.0.1:")
    ending = "The review page has ended (the work is over and the page is closed)."
    assert err.splitlines()[-1] == ending


def test_after_the_work_the_page_may_close_it(monkeypatch):
    stub = StubSession()
    outcome: list = []
    servers: list = []
    real = remove_users.ReviewServer

    def keep(*args, **kwargs):
        servers.append(real(*args, **kwargs))
        return servers[-1]

    monkeypatch.setattr(remove_users, "ReviewServer", keep)
    def serve() -> None:
        outcome.append(remove_users.serve_review(stub, _console(), open_browser=False))

    thread = threading.Thread(target=serve)
    thread.start()
    while not servers:
        time.sleep(0.01)
    page = Client(servers[0])
    page.log_in()
    assert page.post("/api/close", {}).status == 409  # the work is not over
    stub.code = 0
    assert page.post("/api/close", {}).status == 200
    thread.join(5)
    assert outcome == [0]


def test_idle_ends_it_unless_a_run_is_under_way(monkeypatch, capsys):
    monkeypatch.setattr(remove_users, "REVIEW_PAGE_GONE", 0.1)
    stub = StubSession()
    stub.idle_answer = None  # a run is under way: keep serving until it is over
    timer = threading.Timer(0.8, lambda: setattr(stub, "code", 0))
    timer.start()
    try:
        assert remove_users.serve_review(stub, _console(), open_browser=False, idle=0.2) == 0
    finally:
        timer.cancel()
    assert stub.stopped_with[:2] == [None, None]
    last = capsys.readouterr().err.splitlines()[-1]
    assert last == "The review page has ended (the work is over and the page is closed)."
    stub = StubSession()  # nothing under way: idle ends it
    assert remove_users.serve_review(stub, _console(), open_browser=False, idle=0.2) == 0
    assert stub.stopped_with == [None]
    last = capsys.readouterr().err.splitlines()[-1]
    assert last == "The review page has ended (0.2 s without use)."


def test_ctrl_c_while_serving_asks_the_session_to_stop():
    stub = StubSession()
    calls = 0

    def finished():
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt  # as Python raises it when Ctrl-C arrives in the main thread
        return None

    stub.finished = finished
    assert remove_users.serve_review(stub, _console(), open_browser=False) == ExitStatus.INTERRUPTED
    assert stub.stopped_with == [signal.SIGINT]


def test_review_flags(run):
    result = run(None, "--review-port", "8123")
    assert result.code == ExitStatus.USAGE
    assert result.err == "remove_users: error: --review-port and --no-browser go with --review\n"
    result = run(None, "--review", "--review-port", "70000")
    assert result.code == ExitStatus.USAGE and "--review-port must be a port number" in result.err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(None, "--review", "--no-browser", "--review-port", str(port))
    assert result.code == ExitStatus.USAGE
    refusal = f"remove_users: error: --review-port {port}: cannot listen on 127.0.0.1:{port} ("
    assert result.err.startswith(refusal)


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_the_script_serves_the_page_until_a_signal(signum, code, fake):
    proc = subprocess.Popen(
        [sys.executable, SCRIPT, "--review", "--no-browser", "--base-url", fake.base_url],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env(),
    )
    try:
        first = proc.stderr.readline()
        assert first.startswith("The review page is at http://127.0.0.1:"), first
        url = first.split()[-1]
        port = int(url.split(":")[2].split("/")[0])
        server = type("Address", (), {"port": port, "secret": url.split("?k=")[1]})
        page = Client(server)  # type: ignore[arg-type]
        page.log_in()
        assert page.get("/").status == 200
        token = fake.issue_access_token()
        answer = page.post("/api/plan", plan_form(token=token, keep_text="ta@example.edu"))
        assert answer.status == 200 and answer.json()["workspace"]["name"] == WORKSPACE
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code
    # The terminal shows the plan the page showed: one engine, two faces.
    assert "Workspace: Fall 2026 Data Science (id 4242)" in out and "Dry run: nothing" in out
    assert (first + err).count(server.secret) == 1  # in the printed address, in no log line
    name = "Ctrl-C" if signum == signal.SIGINT else "SIGTERM"
    assert err.splitlines()[-2:] == [
        f"remove_users: error: interrupted by {name} before any removal; nobody was removed",
        f"The review page has ended ({name}).",
    ]
    assert token not in first + err and fake.writes() == []


def _opened_file(url: str) -> str:
    import urllib.parse
    import urllib.request

    assert url.startswith("file://"), url
    return urllib.request.url2pathname(urllib.parse.urlsplit(url).path)


def test_the_browser_is_started_on_an_owner_only_file_not_on_the_secret(monkeypatch, capsys):
    """A browser's command line is readable by every local user (ps): what the tool gives the
    browser holds no secret. It is a file only the owner can read, holding the address; it is
    gone when the page ends."""
    import os
    import stat

    monkeypatch.setattr(remove_users, "REVIEW_PAGE_GONE", 0.3)
    opened: list[tuple[str, str, int, int, str]] = []

    def record(url: str, *args, **kwargs) -> bool:
        path = _opened_file(url)
        mode = stat.S_IMODE(os.stat(path).st_mode)
        folder = stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode)
        with open(path, encoding="utf-8") as handle:
            opened.append((url, path, mode, folder, handle.read()))
        return True

    monkeypatch.setattr(remove_users.webbrowser, "open", record)
    stub = StubSession()
    stub.code = 0
    assert remove_users.serve_review(stub, _console(), open_browser=True) == 0
    printed = capsys.readouterr().err.splitlines()[0].split()[-1]  # the terminal's own address
    secret = printed.split("?k=")[1]
    [(url, path, mode, folder, text)] = opened
    assert secret not in url
    assert f'content="0;url={printed}"' in text and f'href="{printed}"' in text
    if os.name == "posix":
        assert mode == 0o600 and folder == 0o700
    assert not os.path.exists(path) and not os.path.exists(os.path.dirname(path))


def test_a_download_is_the_file_byte_for_byte(page, stub):
    """The audit report and the plan file go out as the session read them: no redaction by
    substring or by shape changes what they say of people (a `Bearer` in a name, a JWT-shaped
    request id)."""
    text = ("time,email,name,outcome,request_id\r\n"
            "2026-12-03,ring@example.edu,Ring Bearer Team,removed,eyJreq.id00.x1\r\n"
            "2026-12-03,caf\u00e9@example.edu,Caf\u00e9,removed,\r\n").encode("utf-8-sig")
    stub.report = lambda: ("report.csv", text)
    stub.plan_file = lambda keep_ids, plan_id=None: ("plan.json", b'{"name": "Bearer TokenTeamOfTheYear"}')
    page.log_in()
    report = page.get("/api/report")
    assert report.status == 200 and report.body == text
    assert report.header("Content-Disposition") == 'attachment; filename="report.csv"'
    plan_file = page.post("/api/plan-file", {"keep_ids": []})
    assert plan_file.body == b'{"name": "Bearer TokenTeamOfTheYear"}'


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script as the browser")
def test_a_browser_s_command_line_holds_no_secret_and_a_signal_leaves_no_file(fake, tmp_path):
    """As `ps` shows it to every local user: the command line the browser is started with. Here
    BROWSER is a script that records it and stays running, as a browser does (webbrowser waits
    for it); SIGTERM meanwhile ends the tool, and the file it gave the browser is gone."""
    import os
    import stat

    record = tmp_path / "argv"
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\necho "$$ $*" > {record}.tmp\nmv {record}.tmp {record}\n'
                       "exec sleep 30 >/dev/null 2>&1\n")
    browser.chmod(0o700)
    env = {**clean_env(), "BROWSER": str(browser), "DISPLAY": ":0"}
    proc = subprocess.Popen(
        [sys.executable, SCRIPT, "--review", "--base-url", fake.base_url],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env, cwd=tmp_path,
    )
    pid = None
    try:
        first = proc.stderr.readline()
        secret = first.split("?k=")[1].strip()
        deadline = time.monotonic() + 10
        while not record.exists():
            assert time.monotonic() < deadline and proc.poll() is None, first
            time.sleep(0.05)
        pid, url = record.read_text().split()
        assert secret not in url and url.startswith("file://")
        path = _opened_file(url)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        with open(path, encoding="utf-8") as handle:
            assert f"?k={secret}" in handle.read()
        proc.send_signal(signal.SIGTERM)
        err = proc.communicate(timeout=10)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)  # the stand-in browser this test started
    assert proc.returncode == 128 + signal.SIGTERM
    assert err.splitlines()[-1] == "The review page has ended (SIGTERM)."
    assert not os.path.exists(path) and not os.path.exists(os.path.dirname(path))


def test_a_cookie_of_the_same_name_set_by_another_port_does_not_lock_the_page_out(page, stub):
    """Another port of 127.0.0.1 may set a cookie of our name (with a longer Path, so browsers
    send it first): the page's own cookie still counts, and the planted one alone gets 403."""
    page.log_in()
    name, ours = page.cookie.split("=", 1)
    planted = f"{name}=planted-by-another-port"
    assert page.get("/api/choices", headers={"Cookie": f"{planted}; {page.cookie}"},
                    cookie=False).status == 200
    assert page.get("/api/choices", headers={"Cookie": planted}, cookie=False).status == 403
