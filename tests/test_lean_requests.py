"""The request path: prepared requests through one requests adapter, settings read once.

What Session.request did per request (environment, proxies, CA bundle, cookies, ~/.netrc) is now
done once per client; these pin that the guarantees survived: a proxy from the environment is
used, connections are kept and shared rather than churned, and the token goes to nobody else.
(TLS verification and REQUESTS_CA_BUNDLE are pinned by test_network_messages.py.)
"""

from __future__ import annotations

import socket

import pytest

from remove_users import ExitStatus

pytestmark = pytest.mark.usefixtures("no_proxy_or_ca")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_proxy_from_the_environment_carries_every_request(run, make_fake, monkeypatch):
    fake = make_fake(people=12)
    # Nothing listens at the base URL: only the proxy (the fake, answering absolute-form requests) can.
    monkeypatch.setenv("HTTP_PROXY", fake.base_url)
    result = run(None, "--base-url", f"http://127.0.0.1:{closed_port()}", "--token", fake.issue_access_token(), "--yes", "--no-protected-emails")
    assert result.code == ExitStatus.OK, result.err
    assert len(fake.people) == 2
    assert fake.count("DELETE") == 12


def test_no_proxy_still_exempts_the_host(run, make_fake, monkeypatch):
    fake = make_fake(people=3)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")  # a proxy that is down
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    result = run(fake, "--yes", "--no-protected-emails")
    assert result.code == ExitStatus.OK, result.err
    assert len(fake.people) == 2


@pytest.mark.parametrize("concurrency", [4, 32])
def test_workers_share_kept_alive_connections_instead_of_churning_them(run, make_fake, concurrency):
    fake = make_fake(people=300, latency=0.005)
    result = run(fake, "--yes", "--no-protected-emails", "--concurrency", str(concurrency))
    assert result.code == ExitStatus.OK, result.err
    assert len(fake.people) == 2
    # One pool sized for every worker: no more connections than requests in flight at once (a pool
    # smaller than the concurrency would open and drop connections throughout the run).
    assert fake.connections <= concurrency
    assert fake.max_in_flight <= concurrency


def test_the_token_is_sent_as_given_and_only_as_a_bearer(run, fake):
    token = fake.issue_access_token()
    result = run(fake, "--yes", "--no-protected-emails", token=token)
    assert result.code == ExitStatus.OK
    assert {r.authorization for r in fake.requests} == {f"Bearer {token}"}
