"""A fake Microsoft Graph (and its login host) for the --only-group/--exclude-group entra: tests.

It serves the two calls remove_users.py makes, as strictly as Graph documents them:
- `POST /{tenant}/oauth2/v2.0/token` (client credentials): checks the client id, secret and scope,
  answers OAuth errors in Entra's shape (`{"error": "invalid_client", "error_description": ...}`).
- `GET /v1.0/groups/{id}/transitiveMembers/microsoft.graph.user`: users of nested groups included,
  each once; `$select` honoured; `$count=true` refused (400) without `ConsistencyLevel: eventual`;
  pages of at most `page_size` rows however large `$top` is, linked by `@odata.nextLink`, with
  `@odata.count` on the first page; Graph's `{"error": {"code", "message"}}` bodies.
Faults: 429/503 with Retry-After, a page that fails, a count that lies, a nextLink to another host,
answers that trickle in a byte at a time.
"""

from __future__ import annotations

import http.server
import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

TENANT = "contoso.onmicrosoft.com"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
CLIENT_SECRET = "fake-graph-secret-Zq8~not-real"


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    form: dict[str, str]
    status: int = 0


@dataclass
class FakeGraph:
    page_size: int = 3
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # user id -> mail, userPrincipalName, otherMails
    groups: dict[str, list[str]] = field(default_factory=dict)  # group id -> member ids (users or groups)
    throttle: list[tuple[int, str | None]] = field(default_factory=list)  # answers for the next member pages
    fail_page: int | None = None  # this page number (1-based) answers 500 every time
    count_offset: int = 0  # added to @odata.count (a lie)
    foreign_next_link: bool = False
    token_lifetime_uses: int | None = None  # access tokens die after this many uses
    trickle: float = 0.0  # seconds between each answer's bytes (a body that trickles in)
    requests: list[Seen] = field(default_factory=list)
    tokens: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.server: http.server.ThreadingHTTPServer | None = None
        self.url = ""

    # -- state -------------------------------------------------------------------------------
    def add_user(self, uid: str, mail: str | None, upn: str | None = None, other: list[str] | None = None) -> str:
        self.users[uid] = {"mail": mail, "userPrincipalName": upn or (mail or f"{uid}@contoso.onmicrosoft.com"), "otherMails": other or []}
        return uid

    def transitive_users(self, gid: str) -> list[str]:
        found: list[str] = []
        stack, seen = [gid], {gid}
        while stack:
            for member in self.groups.get(stack.pop(), []):
                if member in self.groups:
                    if member not in seen:
                        seen.add(member)
                        stack.append(member)
                elif member in self.users and member not in found:
                    found.append(member)
        return found

    def member_pages(self) -> list[Seen]:
        return [r for r in self.requests if "/transitiveMembers/" in r.path]

    # -- serving -------------------------------------------------------------------------------
    def start(self) -> str:
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                status, headers, payload = fake.handle(self.command, self.path, dict(self.headers), body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                chunks = [payload[i : i + 1] for i in range(len(payload))] if fake.trickle else [payload]
                try:
                    for chunk in chunks:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                        time.sleep(fake.trickle)
                except OSError:  # the client gave up on the trickle
                    self.close_connection = True

            do_GET = do_POST = _serve

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        host, port = self.server.server_address[:2]
        self.url = f"http://{host}:{port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self.url

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def env(self, **extra: str) -> dict[str, str]:
        """The environment a run needs to read groups from this fake."""
        return {
            "AAC_GRAPH_URL": self.url,
            "AAC_GRAPH_LOGIN_URL": self.url,
            "AAC_GRAPH_TENANT": TENANT,
            "AAC_GRAPH_CLIENT_ID": CLIENT_ID,
            "AAC_GRAPH_CLIENT_SECRET": CLIENT_SECRET,
            **extra,
        }

    def handle(self, method: str, raw: str, headers: dict[str, str], body: str) -> tuple[int, dict[str, str], bytes]:
        parts = urllib.parse.urlsplit(raw)
        query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        form = dict(urllib.parse.parse_qsl(body)) if method == "POST" else {}
        seen = Seen(method, parts.path, query, {k.lower(): v for k, v in headers.items()}, form)
        with self.lock:
            self.requests.append(seen)
            status, extra, payload = self._route(seen)
        seen.status = status
        return status, extra, json.dumps(payload).encode()

    def _route(self, seen: Seen) -> tuple[int, dict[str, str], Any]:
        if seen.method == "POST" and seen.path == f"/{TENANT}/oauth2/v2.0/token":
            return self._token(seen.form)
        prefix, suffix = "/v1.0/groups/", "/transitiveMembers/microsoft.graph.user"
        if seen.method == "GET" and seen.path.startswith(prefix) and seen.path.endswith(suffix):
            return self._members(seen, seen.path[len(prefix) : -len(suffix)])
        return 404, {}, _graph_error("Request_ResourceNotFound", f"Resource '{seen.path}' does not exist")

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        if form.get("grant_type") != "client_credentials":
            return 400, {}, {"error": "unsupported_grant_type", "error_description": "AADSTS70003: unsupported grant"}
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return 401, {}, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."}
        if form.get("scope") != f"{self.url}/.default":
            return 400, {}, {"error": "invalid_scope", "error_description": f"AADSTS70011: bad scope {form.get('scope')}"}
        token = "graph-at-" + secrets.token_hex(20)  # not JWT-shaped: only registration can redact it
        self.tokens[token] = self.token_lifetime_uses or -1
        return 200, {}, {"token_type": "Bearer", "expires_in": 3599, "access_token": token}

    def _members(self, seen: Seen, gid: str) -> tuple[int, dict[str, str], Any]:
        auth = seen.headers.get("authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else ""
        uses = self.tokens.get(token, 0)
        if uses == 0:
            return 401, {}, _graph_error("InvalidAuthenticationToken", "Access token has expired or is not yet valid.")
        if uses > 0:
            self.tokens[token] = uses - 1
        if self.throttle:
            status, retry_after = self.throttle.pop(0)
            return status, ({"Retry-After": retry_after} if retry_after else {}), _graph_error("TooManyRequests", "Too many requests")
        if seen.query.get("$count") == "true" and seen.headers.get("consistencylevel") != "eventual":
            return 400, {}, _graph_error("Request_BadRequest", "$count is not supported without ConsistencyLevel: eventual")
        if gid not in self.groups:
            return 404, {}, _graph_error("Request_ResourceNotFound", f"Resource '{gid}' does not exist")
        skip = int(seen.query.get("$skiptoken", "0"))
        page_number = skip // self.page_size + 1
        if self.fail_page == page_number:
            return 500, {}, _graph_error("UnknownError", "the page could not be served")
        fields = [f for f in seen.query.get("$select", "").split(",") if f]
        users = self.transitive_users(gid)
        top = min(int(seen.query.get("$top", "100")), self.page_size)
        rows = [{"@odata.type": "#microsoft.graph.user", **{f: self.users[u].get(f) for f in fields}} for u in users[skip : skip + top]]
        answer: dict[str, Any] = {"@odata.context": f"{self.url}/v1.0/$metadata#users", "value": rows}
        if skip == 0 and seen.query.get("$count") == "true":
            answer["@odata.count"] = len(users) + self.count_offset
        if skip + top < len(users):
            query = {**seen.query, "$skiptoken": str(skip + top)}
            base = "https://graph.evil.example" if self.foreign_next_link else self.url
            answer["@odata.nextLink"] = f"{base}{seen.path}?{urllib.parse.urlencode(query)}"
        return 200, {}, answer


def _graph_error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "innerError": {"request-id": secrets.token_hex(8)}}}
