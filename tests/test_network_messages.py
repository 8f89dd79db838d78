"""Issue 10, item 3: a failure to reach AAC names the host and the cause, and says what to do.

No test leaves the machine: the DNS failure comes from a patched socket.getaddrinfo, the refused
connection from a local port nobody listens on, the TLS failure from a local server with a
self-signed certificate (tests/tls/), and the timeout from a slow fake.
"""

from __future__ import annotations

import re
import socket
import ssl
import time
from pathlib import Path

import pytest

from fake_aac import make_jwt
from remove_users import ExitStatus

pytestmark = pytest.mark.usefixtures("no_proxy_or_ca")

CERT = str(Path(__file__).parent / "tls" / "self-signed-127.0.0.1.pem")


def error_line(result) -> str:
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    return lines[0]


def test_a_name_that_does_not_resolve_is_named_and_not_retried(run, monkeypatch):
    lookups = []
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host in ("127.0.0.1", "localhost"):
            return real(host, *args, **kwargs)
        lookups.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    started = time.monotonic()
    result = run(None, "--base-url", "https://eu9.alteryxcloud.com", "--token", "x" * 30, "--dry-run")
    assert result.code == ExitStatus.ERROR
    line = error_line(result)
    assert line.startswith("remove_users: error: GET /v4/")
    assert line.endswith(
        ": no answer: the name eu9.alteryxcloud.com does not resolve (DNS lookup failed); check --base-url and the network connection"
    )
    assert len(lookups) <= 3  # one per strand of the start-up reads: none retried
    assert time.monotonic() - started < 5


def test_a_refused_connection_names_host_and_port(run):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run(None, "--base-url", f"http://127.0.0.1:{port}", "--token", "x" * 30, "--dry-run")
    assert result.code == ExitStatus.ERROR
    assert error_line(result).endswith(
        f": no answer after 5 attempts: 127.0.0.1:{port} refused the connection; check --base-url (and HTTPS_PROXY, if you use a proxy)"
    )


class TlsFake:
    """The fake AAC behind TLS with a self-signed certificate; counts TLS handshakes attempted."""

    def __init__(self, fake) -> None:
        self.fake = fake
        self.handshakes = 0
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(CERT)
        server = fake.server
        plain_accept = server.get_request

        def accept():
            conn, address = plain_accept()
            self.handshakes += 1
            return context.wrap_socket(conn, server_side=True), address

        server.get_request = accept  # serve_forever takes each connection from here
        fake.base_url = fake.base_url.replace("http://", "https://")


def test_a_certificate_that_fails_verification_points_at_requests_ca_bundle(run, make_fake, monkeypatch):
    tls = TlsFake(make_fake(people=3))
    result = run(tls.fake, "--dry-run")
    assert result.code == ExitStatus.ERROR
    host = tls.fake.base_url.split("//")[1]
    assert error_line(result).endswith(
        f": no answer: the TLS certificate of {host} failed verification; behind a proxy or firewall with its own "
        "CA, set REQUESTS_CA_BUNDLE to that CA's certificate bundle (a .pem file)"
    )
    assert tls.handshakes <= 3  # not retried
    # The advice works: trusting the certificate's bundle lets the same run through.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", CERT)
    result = run(tls.fake, "--dry-run")
    assert result.code == ExitStatus.OK, result.err
    assert "Members: 5" in result.out


def test_a_timeout_names_the_host_and_the_flag(run, make_fake):
    fake = make_fake(people=1, latency=1.0)
    result = run(fake, "--timeout", "0.2", "--dry-run")
    assert result.code == ExitStatus.ERROR
    host = fake.base_url.split("//")[1]
    assert error_line(result).endswith(f": no answer after 5 attempts: {host} did not answer within 0.2 s (--timeout)")


def test_a_token_from_another_region_names_the_base_url_it_belongs_to(run, fake):
    token = make_jwt({"iss": "https://auth-eu1.alteryxcloud.com/as", "exp": int(time.time()) + 3600})
    result = run(fake, "--dry-run", token=token)
    assert result.code == ExitStatus.ERROR
    assert re.sub(r" \(request id [^)]*\)$", "", error_line(result)).endswith(
        "HTTP 401: the access token was rejected (Invalid or expired access token); it belongs to "
        f"https://eu1.alteryxcloud.com (its iss claim), not {fake.base_url}: give --base-url https://eu1.alteryxcloud.com"
    )
    # A token from this host that is rejected keeps the usual advice.
    result = run(fake, "--dry-run", token=make_jwt({"iss": f"{fake.base_url}/as", "exp": int(time.time()) + 3600}))
    assert "it may have expired" in result.err and "belongs to" not in result.err


def test_an_expired_token_without_refresh_stops_before_any_request(run, fake):
    expired = int(time.time()) - 3 * 3600
    result = run(fake, "--dry-run", token=make_jwt({"iss": f"{fake.base_url}/as", "exp": expired}))
    assert result.code == ExitStatus.ERROR
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(expired))
    assert error_line(result) == (
        f"remove_users: error: the access token expired at {when} (3 hours ago) and there is no refresh token "
        "to renew it; make a new token pair in AAC (Profile > Preferences > OAuth 2.0 API Tokens), best kept in a --token-file"
    )
    assert fake.requests == []


@pytest.mark.parametrize("prefix", ["Bearer ", "bearer  ", " BEARER "])
def test_a_token_pasted_with_its_bearer_prefix_works(run, fake, prefix):
    result = run(fake, "--dry-run", token=prefix + fake.issue_access_token())
    assert result.code == ExitStatus.OK, result.err
    assert fake.requests[0].authorization.count("Bearer") == 1


def test_a_base_url_with_a_path_asks_for_the_host_only(run, fake):
    result = run(None, "--base-url", "https://us1.alteryxcloud.com/v4", "--token", "x" * 30, "--dry-run")
    assert result.code == ExitStatus.USAGE
    assert error_line(result) == (
        "remove_users: error: --base-url / AAC_BASE_URL 'https://us1.alteryxcloud.com/v4' has a path; give the host "
        "only, such as https://us1.alteryxcloud.com"
    )
    assert run(fake, "--dry-run", "--base-url", fake.base_url + "/").code == ExitStatus.OK  # a trailing slash is no path


def test_a_rejected_token_that_is_no_jwt_is_said_not_to_look_like_one(run, fake):
    result = run(fake, "--dry-run", token="abc123secretvalue")
    assert result.code == ExitStatus.ERROR
    assert "it does not look like an AAC access token (those are JWTs" in result.err
    assert "may have expired" not in result.err and "abc123secretvalue" not in result.output


def test_https_to_a_plain_http_server_on_this_machine_says_so_at_once(run, fake):
    url = fake.base_url.replace("http://", "https://")
    result = run(None, "--base-url", url, "--token", fake.issue_access_token(), "--dry-run")
    assert result.code == ExitStatus.ERROR
    host = url.split("//", 1)[1]
    assert error_line(result).endswith(
        f"no answer: {host} speaks plain HTTP, not HTTPS (a local test server, such as the fake?); use http:// in --base-url"
    )
