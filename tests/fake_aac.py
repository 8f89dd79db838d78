#!/usr/bin/env python3
"""A fake Alteryx Analytics Cloud (AAC) v4 API for remove_users.py's tests and for trying the tool.

It follows ../shared/aac-api.md, awkward parts included: pages capped below the asked `limit`,
`{"data": [...], "count": N}` listings, deletes answered 204 or 200 with a body, 404 on a second
delete, an `/admins` route that may be missing and by default ignores `limit`/`offset` (answering
the whole list every time), `isAdmin` true only on the caller's own record by default, `{"exception": ...}` and HTML error bodies, an
`x-trifacta-request-id` on every answer, OAuth refresh with rotating refresh tokens, asset
transfer, and suspension as the spec (v2025.23.2) allows: bulk routes, a one-person route that
only suspends, suspended members left out of GET /v4/people (nothing says it lists them; the
admins route lists them when asked `includeStatus=new,suspended`), the workspace-people route
(`?status=`) only when switched on, and a suspension shown as a switch says (SUSPENDED_AS).
Faults are injected on demand (status codes, 429 with either retry header, connection resets,
latency, a request-rate limit), and every request is recorded. Faults combine, first match
first: a DELETE that acts and drops the answer, then 503s (`act_first=True, reset=True, times=1`
then `status=503`); acts and answers 504 (`act_first=True, status=504`); a 200 sign-in page
(`status=200, html=True`); a missing route (`status=404, name="RouteNotFoundException"`); 403 for
everyone (`status=403`); a day's wait (`status=429, headers={"Retry-After": "86400"}`); acts at
once but answers late (`act_first=True, passthrough=True, delay=...`); a trickling body
(`passthrough=True, trickle=...`).

Standalone, for a safe first try of the tool (nothing here touches a real workspace):

    python tests/fake_aac.py --people 200
"""

from __future__ import annotations

import argparse
import base64
import datetime as _dt
import collections
import email.utils
import http.server
import json
import math
import os
import random
import re
import secrets
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional, Tuple


def make_jwt(claims: dict[str, Any]) -> str:
    """An unsigned JWT-shaped token: the tool only reads claims, it never verifies signatures."""

    def part(obj: dict[str, Any]) -> str:
        raw = json.dumps(obj, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.{secrets.token_urlsafe(16)}"


@dataclass
class Fault:
    """One injected fault. Matches on method, a path regex and optionally a person id."""

    method: str | None = None
    path: str | None = None
    person_id: int | None = None
    status: int = 500
    times: int | None = None  # None: every matching request
    probability: float | None = None
    headers: dict[str, str] = field(default_factory=dict)
    html: bool = False
    reset: bool = False  # close the connection without an answer
    act_first: bool = False  # carry out the request first, then drop the answer (reset) or answer with this fault
    message: str = "Injected fault"
    name: str = "InjectedFault"  # the exception name in the JSON error body, e.g. RouteNotFoundException
    passthrough: bool = False  # answer what the request really answers (with delay or trickle)
    delay: float = 0.0  # seconds to wait before answering
    trickle: float = 0.0  # seconds between the answer's bytes (a body that trickles in)

    def matches(self, method: str, path: str, person_id: int | None, rng: random.Random) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.method and self.method != method:
            return False
        if self.path and not re.search(self.path, path):
            return False
        if self.person_id is not None and self.person_id != person_id:
            return False
        if self.probability is not None and rng.random() >= self.probability:
            return False
        if self.times is not None:
            self.times -= 1
        return True


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    authorization: str | None
    body: str
    status: int | None = None
    time: float = 0.0


class _ConnectionDropped(Exception):
    pass


class RateLimiter:
    """A request quota in one of the shapes gateways use:

    - "sliding": at most `limit` requests in any `window` seconds;
    - "bucket": a token bucket of `limit` tokens, refilled at limit/window tokens a second;
    - "fixed": at most `limit` requests in each clock window of `window` seconds (a per-minute quota
      with window=60); its refusals ask to wait until the window turns.
    A refused request's wait is rounded up to whole seconds, at least 1, as gateways write it.
    The clock is a parameter so that the pacer's tests can run it on simulated time.
    """

    def __init__(self, limit: int, kind: str = "sliding", window: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        if kind not in ("sliding", "bucket", "fixed"):
            raise ValueError(f"unknown rate limit kind {kind!r}")
        self.limit, self.kind, self.window, self.clock = limit, kind, window, clock
        self.lock = threading.Lock()
        self.times: collections.deque[float] = collections.deque()
        self.tokens = float(limit)
        self.filled_at = clock()
        self.start = clock()
        self.used = 0
        self.window_index = 0

    def take(self) -> float | None:
        """None: the request may go (and is counted); otherwise the wait to ask for, in seconds."""
        with self.lock:
            now = self.clock()
            if self.kind == "sliding":
                while self.times and self.times[0] <= now - self.window:
                    self.times.popleft()
                if len(self.times) >= self.limit:
                    return _whole_seconds(self.times[0] + self.window - now)
                self.times.append(now)
                return None
            if self.kind == "bucket":
                rate = self.limit / self.window
                self.tokens = min(float(self.limit), self.tokens + (now - self.filled_at) * rate)
                self.filled_at = now
                if self.tokens < 1:
                    return _whole_seconds((1 - self.tokens) / rate)
                self.tokens -= 1
                return None
            self._turn(now)
            if self.used >= self.limit:
                return _whole_seconds(self.start + (self.window_index + 1) * self.window - now)
            self.used += 1
            return None

    def budget(self) -> tuple[int, float] | None:
        """A fixed window's (requests remaining, seconds to its reset); None for the other kinds."""
        if self.kind != "fixed":
            return None
        with self.lock:
            now = self.clock()
            self._turn(now)
            return self.limit - self.used, self.start + (self.window_index + 1) * self.window - now

    def allowed(self, seconds: float) -> float:
        """How many requests this quota lets through in a run of `seconds` (for the benchmark)."""
        if self.kind == "fixed":
            return self.limit * math.ceil(seconds / self.window)
        burst = self.limit if self.kind == "bucket" else 0
        return burst + self.limit * seconds / self.window

    def _turn(self, now: float) -> None:
        index = int((now - self.start) // self.window)
        if index != self.window_index:
            self.window_index, self.used = index, 0


def _whole_seconds(wait: float) -> float:
    return float(max(1, math.ceil(wait - 1e-9)))


class FakeAAC:
    """The fake server's state and behaviour; `start()` serves it on 127.0.0.1."""

    def __init__(
        self,
        people: int = 10,
        *,
        workspace_id: int = 4242,
        workspace_name: str | None = "Fall 2026 Data Science",
        page_cap: int = 25,
        admins_route: bool = True,
        extra_admins: int = 1,
        delete_answer: str = "204",  # "204", "200" or "mixed"
        latency: float = 0.0,
        rate_limit: int | None = None,  # requests per rate_window (see RateLimiter)
        rate_limit_kind: str = "sliding",  # or "bucket", "fixed"
        rate_window: float = 1.0,  # seconds; 60 for a per-minute quota
        rate_limit_header: str = "x-retry-after",  # or "Retry-After", "Retry-After-date", "none"
        rate_limit_budget: bool = False,  # fixed windows: x-rate-limit-<window>-remaining/-reset on every answer
        access_token_uses: int | None = None,  # access tokens die after this many uses
        hide_suspended: bool = True,  # /v4/people leaves suspended members out, however asked
        include_status_400: bool = False,  # GET /v4/people answers 400 to the includeStatus parameter
        bulk_suspend_route: bool = True,  # False: POST .../people/suspend and /unsuspend answer 404 (no route)
        # How a suspension shows (see SUSPENDED_AS): not documented, so each way is a switch; the
        # default is a status field, sent only where includeStatus=true asks for it.
        suspended_as: str = "status",
        state_change_moves: bool = False,  # True: lastStateChange moves when a suspension changes
        include_status_typed: bool = False,  # /v4/people: 400 to an includeStatus not true or false
        workspace_people_route: bool = False,  # GET /v4/workspaces/{id}/people answers, not 404
        single_unsuspend: bool = False,  # PUT .../people/{id}/suspended takes {"suspended": false}
        seed: int = 7,
        # The least cooperative behaviour the documentation allows is the default; each switch
        # below turns on a friendlier server, or a stranger one.
        admins_paged: bool = False,  # /admins honours limit/offset (undocumented there)
        admin_flag_on_all: bool = False,  # isAdmin is true on every admin's record, not only the caller's
        clamp_offset: bool = False,  # an offset past the end answers the last page again
        reported_count: int | None = None,  # `count` claims this many people, whatever is listed
        control_names: bool = False,  # members' names carry terminal control characters
        epoch_logins: str | None = None,  # "s" or "ms": lastLoginTime sent as epoch seconds or milliseconds
        caller_id_elsewhere: int | None = None,  # /v4/people/current gives the caller this id, not the listing's
        admins_answer: str = "all",  # "empty" or "without-caller": /admins answers 200 but leaves admins out
        row_number_ids: bool = False,  # /v4/people ignores offset, numbers rows as new ids, sends only reported_count
        domain: str = "example.edu",  # everyone's email domain (the standalone sandbox: the README's uni.edu)
    ) -> None:
        self.domain = domain
        self.workspace = {
            "id": workspace_id,
            "name": workspace_name,
            "gid": f"ws-{secrets.token_hex(4)}",
            "custom_url": None,
        }
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self.people: dict[int, dict[str, Any]] = {}
        self._order: list[tuple[dict[str, Any], dict[str, Any] | None]] = []  # the listing's rows, in order
        self._order_key: tuple[int, int, int] | None = None
        self._changes = 0  # bumped by every add, removal and suspension
        self._visible_key: Any = None
        self._visible_rows: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
        self._visible_total = 0
        self.assets: dict[int, int] = {}
        self.admin_ids: set[int] = set()
        self.owner_ids: set[int] = set()  # removal refused with 403, as AAC refuses to remove an owner
        self.next_id = 1000
        self.caller_id = self.add_person(f"admin@{domain}", "Avery Admin", admin=True)
        for n in range(extra_admins):
            self.add_person(f"coadmin{n + 1}@{domain}", f"Co Admin {n + 1}", admin=True)
        for n in range(people):
            self.add_person(f"student{n + 1:05d}@{domain}", f"Student {n + 1}")
        self.page_cap = page_cap
        self.admins_route = admins_route
        self.admins_paged = admins_paged
        self.admin_flag_on_all = admin_flag_on_all
        self.clamp_offset = clamp_offset
        self.reported_count = reported_count
        self.epoch_logins = epoch_logins
        self.caller_id_elsewhere = caller_id_elsewhere
        self.admins_answer = admins_answer
        self.row_number_ids = row_number_ids
        # Extra listing rows: (person id, changed fields), listed right after that person.
        self.duplicates: list[tuple[int, dict[str, Any]]] = []
        if control_names:
            for pid, record in self.people.items():
                if not record["name"].startswith(("Avery", "Co Admin")):
                    record["name"] += "\x1b[1A\x1b[2K\r"  # cursor up, erase the line: hides the one above
        self.delete_answer = delete_answer
        self.latency = latency
        self.limiter = RateLimiter(rate_limit, rate_limit_kind, rate_window) if rate_limit else None
        self.rate_limit_header = rate_limit_header
        self.hide_suspended = hide_suspended
        self.include_status_400 = include_status_400
        self.bulk_suspend_route = bulk_suspend_route
        if suspended_as not in SUSPENDED_AS:
            raise ValueError(f"suspended_as must be one of {SUSPENDED_AS}, not {suspended_as!r}")
        self.suspended_as = suspended_as
        self.state_change_moves = state_change_moves
        self.include_status_typed = include_status_typed
        self.workspace_people_route = workspace_people_route
        self.single_unsuspend = single_unsuspend
        self.rate_limit_budget = rate_limit_budget
        self.faults: list[Fault] = []
        self.hooks: list[Callable[[str, str], None]] = []
        self.requests: list[Recorded] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.connections = 0  # TCP connections accepted
        self.request_counter = 0
        # Tokens: access tokens are JWT-shaped so the tool can read `iss` and `client_id`.
        self.client_id = "fake-client-id"
        self.access_token_uses = access_token_uses
        self.access_tokens: dict[str, int] = {}  # live token -> uses left (or -1: unlimited)
        self.refresh_tokens: set[str] = set()
        self.issued: list[str] = []  # every token ever handed out, for leak tests
        self.refreshes = 0
        self.server: http.server.ThreadingHTTPServer | None = None
        self.base_url = ""

    # -- state -------------------------------------------------------------------------------
    def add_person(
        self, email: str | None, name: str, *, admin: bool = False, invited: bool = False,
        **extra: Any,
    ) -> int:
        """A member as the spec's person model has it (createdAt, updatedAt, state, isDisabled,
        lastStateChange, ...). Keys starting with `_` are the fake's own and never sent:
        `_suspended` (the truth, shown as SUSPENDED_AS says) and `_status` ("new": invited)."""
        with self.lock:
            pid = self.next_id
            self.next_id += 1
            record: dict[str, Any] = {
                "id": pid,
                "email": email,
                "name": name,
                "state": "active",
                "isDisabled": False,
                "isAdmin": admin,
                "lastLoginTime": "2026-09-01T12:00:00.000Z",
                "createdAt": "2026-08-20T09:00:00.000Z",
                "updatedAt": "2026-08-20T09:00:00.000Z",
                "lastStateChange": "2026-08-20T09:00:00.000Z",
                "gid": f"p-{pid}",
                "_suspended": False,
                "_status": "new" if invited else "active",
            }
            record.update(extra)
            self.people[pid] = record
            self._changes += 1
            self.assets[pid] = 3
            if admin:
                self.admin_ids.add(pid)
            return pid

    def add_duplicate(self, pid: int, **changes: Any) -> None:
        """Lists this person a second time, with `changes` applied (none: an identical duplicate)."""
        self.duplicates.append((pid, changes))

    def _shown(self, record: dict[str, Any], with_status: bool = False) -> dict[str, Any]:
        """A record as the server sends it: isAdmin only on the caller's own, logins maybe epoch, a
        suspension as SUSPENDED_AS says, and a status field only where it was asked for."""
        shown = {key: value for key, value in record.items() if not key.startswith("_")}
        if self.suspended_as != "state":
            # A server that shows suspension another way sends no `state`: `state: active` beside
            # a suspension would contradict it (the spec: active members can use the workspace).
            shown.pop("state", None)
        if record.get("_suspended"):
            if self.suspended_as == "isDisabled":
                shown["isDisabled"] = True
            elif self.suspended_as == "state":
                shown["state"] = "hidden"
        if with_status and self.suspended_as == "status":
            shown["status"] = _member_status(record)
        if not self.admin_flag_on_all and shown["id"] != self.caller_id:
            shown["isAdmin"] = False
        login = shown.get("lastLoginTime")
        if self.epoch_logins and isinstance(login, str):
            seconds = _dt.datetime.fromisoformat(login.replace("Z", "+00:00")).timestamp()
            shown["lastLoginTime"] = int(seconds * 1000) if self.epoch_logins == "ms" else int(seconds)
        return shown

    def _listing(self) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
        """The listing's rows in order: (record, None), or (record, changes) for a duplicate.

        Sorted once per change of membership, not once per page: at 100,000 members a sort (or a
        copy of every record) per page would make the fake, not the tool, the bottleneck. Records
        are shown (_shown) only as their page is sent, so edits to them still show."""
        with self.lock:
            key = (self._changes, len(self.people), len(self.duplicates))  # len: tests may `del` a member
            if key != self._order_key:
                extra: dict[int, list[dict[str, Any]]] = collections.defaultdict(list)
                for pid, changes in self.duplicates:
                    extra[pid].append(changes)
                order: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
                for record in sorted(self.people.values(), key=lambda p: p["id"]):
                    order.append((record, None))
                    order += [(record, changes) for changes in extra.get(record["id"], [])]
                self._order, self._order_key = order, key
            return self._order

    def _visible(self, statuses: frozenset[str]) -> tuple[list[Listed], int]:
        """The listing's rows of members in these statuses (active, new, suspended), and how many
        distinct people they are; kept until the membership changes, like _listing."""
        order = self._listing()
        with self.lock:
            key = (self._order_key, statuses)
            if key != self._visible_key:
                rows = [t for t in order if _member_status(_merged(t)) in statuses]
                self._visible_rows, self._visible_total = rows, len({record["id"] for record, _ in rows})
                self._visible_key = key
            return self._visible_rows, self._visible_total

    def _row(self, listed: Listed, with_status: bool = False) -> dict[str, Any]:
        record, changes = listed
        shown = self._shown(record, with_status)
        return shown if changes is None else {**shown, **changes}

    def set_suspended(self, pid: int, suspended: bool = True, *, days_ago: float = 0.0) -> None:
        """Suspends (or reactivates) a member as if it happened `days_ago` days ago."""
        with self.lock:
            self._suspend(self.people[pid], suspended, time.time() - days_ago * 86400)

    def _suspend(self, person: dict[str, Any], suspended: bool, when: float) -> None:
        """The one place a suspension changes (under the lock): updatedAt always moves with it;
        lastStateChange, "when the value of the state parameter was changed" (the spec), only
        with state_change_moves."""
        person["_suspended"] = suspended
        person["updatedAt"] = _iso(when)
        if self.state_change_moves:
            person["lastStateChange"] = _iso(when)
        self._changes += 1

    def time_passes(self, pid: int, days: float) -> None:
        """Moves what the server recorded of this member's changes (updatedAt, and lastStateChange
        where it moves) `days` into the past: with a report's rows aged alike, the suspension
        happened that long ago."""
        with self.lock:
            person = self.people[pid]
            keys = ("updatedAt", "lastStateChange") if self.state_change_moves else ("updatedAt",)
            for key in keys:
                when = _dt.datetime.fromisoformat(person[key].replace("Z", "+00:00")).timestamp()
                person[key] = _iso(when - days * 86400)

    def suspended_emails(self) -> set[str]:
        with self.lock:
            return {p["email"] for p in self.people.values() if p["email"] and p.get("_suspended")}

    def emails(self) -> set[str]:
        with self.lock:
            return {p["email"] for p in self.people.values() if p["email"]}

    def id_of(self, email: str) -> int:
        with self.lock:
            return next(pid for pid, p in self.people.items() if p["email"] == email)

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method in ("DELETE", "PATCH", "POST", "PUT") and r.path.startswith("/v4")]

    def count(self, method: str, pattern: str = "") -> int:
        return sum(1 for r in self.requests if r.method == method and re.search(pattern, r.path))

    def add_fault(self, **kwargs: Any) -> Fault:
        fault = Fault(**kwargs)
        self.faults.append(fault)
        return fault

    # -- tokens --------------------------------------------------------------------------------
    def issue_access_token(self, lifetime: int = 3600) -> str:
        token = make_jwt(
            {
                "iss": f"{self.base_url}/as",
                "client_id": self.client_id,
                "exp": int(time.time()) + lifetime,
                "sub": f"admin@{self.domain}",
            }
        )
        with self.lock:
            self.access_tokens[token] = self.access_token_uses if self.access_token_uses else -1
            self.issued.append(token)
        return token

    def issue_pair(self, lifetime: int = 3600) -> dict[str, Any]:
        refresh = f"fake-refresh-{secrets.token_hex(12)}"
        with self.lock:
            self.refresh_tokens.add(refresh)
            self.issued.append(refresh)
        return {
            "access_token": self.issue_access_token(lifetime),
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": lifetime,
        }

    def _check_access(self, authorization: str | None) -> bool:
        if not authorization or not authorization.startswith("Bearer "):
            return False
        token = authorization[len("Bearer ") :]
        with self.lock:
            uses = self.access_tokens.get(token)
            if uses is None or uses == 0:
                return False
            if uses > 0:
                self.access_tokens[token] = uses - 1
            return True

    # -- serving -------------------------------------------------------------------------------
    def start(self, port: int = 0) -> str:
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self.server = _Server(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        host, port = self.server.server_address[:2]
        self.base_url = f"http://{host}:{port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self.base_url

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def __enter__(self) -> "FakeAAC":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling ----------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, headers: Any, body: bytes) -> tuple[int, dict[str, str], bytes]:
        url = urllib.parse.urlsplit(raw_path)
        path = url.path
        query = dict(urllib.parse.parse_qsl(url.query))
        record = Recorded(method, path, query, headers.get("Authorization"), body.decode("utf-8", "replace"), time=time.time())
        with self.lock:
            self.requests.append(record)
            self.request_counter += 1
        for hook in list(self.hooks):
            hook(method, path)
        if self.latency:
            time.sleep(self.latency)
        status, out_headers, out_body = self._route(method, path, query, headers, body)
        record.status = status
        return status, out_headers, out_body

    def _echoing(self, message: str) -> str:
        """A fault's message with {access_token} and {refresh_token} filled in with the newest ones
        issued: a server that echoes the credentials it was just given (a refreshed pair too)."""
        with self.lock:
            newest = {
                "access_token": next((t for t in reversed(self.issued) if t in self.access_tokens), ""),
                "refresh_token": next((t for t in reversed(self.issued) if t in self.refresh_tokens), ""),
            }
        for name, value in newest.items():
            message = message.replace("{" + name + "}", value)
        return message

    def _budget_headers(self) -> dict[str, str]:
        budget = self.limiter.budget() if self.limiter and self.rate_limit_budget else None
        if budget is None:
            return {}
        assert self.limiter is not None
        name = "minute" if self.limiter.window == 60 else "window"
        remaining, reset = budget
        return {f"x-rate-limit-{name}-remaining": str(remaining), f"x-rate-limit-{name}-reset": str(math.ceil(reset))}

    def _route(self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes) -> tuple[int, dict[str, str], bytes]:
        if method == "POST" and path == "/as/token":
            return self._token(body)
        if not path.startswith("/v4/"):
            return _html(404, "Not Found")
        person_id = _person_in(method, path, body)
        for fault in self.faults:
            if fault.matches(method, path, person_id, self.rng):
                real = self._route_v4(method, path, query, body) if fault.act_first or fault.passthrough else None
                if fault.delay:
                    time.sleep(fault.delay)
                if fault.reset:
                    raise _ConnectionDropped()
                message = self._echoing(fault.message)
                if fault.passthrough and real is not None:
                    answer = real
                elif fault.html:
                    answer = _html(fault.status, message, fault.headers)
                else:
                    answer = _error(fault.status, fault.name, message, fault.headers)
                if fault.trickle:
                    answer[1][TRICKLE] = str(fault.trickle)
                return answer
        if not self._check_access(headers.get("Authorization")):
            return _error(401, "UnauthorizedException", "Invalid or expired access token")
        wait = self.limiter.take() if self.limiter else None
        if wait is not None:
            seconds = int(wait)
            extra = self._budget_headers()
            if self.rate_limit_header == "Retry-After-date":
                extra["Retry-After"] = email.utils.formatdate(time.time() + seconds, usegmt=True)
            elif self.rate_limit_header != "none":
                extra[self.rate_limit_header] = str(seconds)
            return _error(429, "TooManyRequestsException", "Rate limit exceeded", extra)
        status, out_headers, out_body = self._route_v4(method, path, query, body)
        return status, {**out_headers, **self._budget_headers()}, out_body

    def _route_v4(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        ws_id = self.workspace["id"]
        if method == "GET" and path == "/v4/workspaces/current":
            return _json(200, self.workspace)
        if method == "GET" and path == "/v4/people/current":
            with self.lock:
                me = self._shown(self.people[self.caller_id])
            if self.caller_id_elsewhere is not None:  # an account id, not the membership id the listing uses
                me["id"] = self.caller_id_elsewhere
            return _json(200, me)
        if method == "GET" and path == "/v4/people":
            if self.row_number_ids:  # a gateway numbering its rows: every page looks new, forever
                offset, rows = int(query.get("offset", 0)), [self._row(t) for t in self._listing()[: self.page_cap]]
                page = {"data": [{**row, "id": 900000 + offset + n, "email": f"row{offset + n}@example.edu"} for n, row in enumerate(rows)]}
                if self.reported_count is not None:
                    page["count"] = self.reported_count
                return _json(200, page)
            asked = query.get("includeStatus")
            if self.include_status_400 and asked is not None:
                return _error(400, "ValidationException", "Unknown query parameter: includeStatus")
            if self.include_status_typed and asked is not None and asked not in ("true", "false"):
                # The spec types it as a boolean ("Include the user's status in workspace").
                return _error(400, "ValidationException", f"includeStatus: not {asked!r}")
            # includeStatus adds a status; nothing in the spec says it brings suspended members in.
            suspended = not self.hide_suspended
            shows = MEMBER_STATUSES if suspended else MEMBER_STATUSES - {"suspended"}
            order, total = self._visible(frozenset(shows))
            page = self._page(order, query, total=total)
            page["data"] = [self._row(t, asked == "true") for t in page["data"]]  # shown as sent
            return _json(200, page)
        if method == "GET" and path == f"/v4/workspaces/{ws_id}/people":
            if not self.workspace_people_route:
                return _error(404, "RouteNotFoundException", f"No route for {method} {path}")
            # `status` is "Status values to filter the list" (the spec names no values): the admins
            # route's "new" and "suspended", and "active"; without it, the active members only.
            wanted = query.get("status", "active").split(",")
            if not set(wanted) <= MEMBER_STATUSES:
                return _error(400, "ValidationException", f"status: of {sorted(MEMBER_STATUSES)}")
            order, total = self._visible(frozenset(wanted))
            page = self._page(order, query, total=total)
            page["data"] = [self._row(t, True) for t in page["data"]]
            return _json(200, page)
        if method == "GET" and path == f"/v4/workspaces/{ws_id}/admins":
            if not self.admins_route:
                return _html(404, "Not Found")
            # includeStatus: "include admins with one or both statuses of "new" and "suspended"".
            asked_for = set(query.get("includeStatus", "").split(",")) & {"new", "suspended"}
            statuses = {"active"} | asked_for
            if not self.hide_suspended:
                statuses.add("suspended")
            with self.lock:
                admins = [self.people[pid] for pid in sorted(self.admin_ids) if pid in self.people]
                rows = [self._shown(p) for p in admins if _member_status(p) in statuses]
            if self.admins_answer != "all":  # a replica that lags, or a route that wants a role filter
                rows = [] if self.admins_answer == "empty" else [r for r in rows if r["id"] != self.caller_id]
            if not self.admins_paged:  # its documented parameters have no limit or offset
                return _json(200, {"data": rows})
            return _json(200, self._page(rows, query))
        bulk = re.fullmatch(rf"/v4/workspaces/{ws_id}/people/(suspend|unsuspend)", path)
        if method == "POST" and bulk:
            if not self.bulk_suspend_route:
                return _error(404, "RouteNotFoundException", f"No route for {method} {path}")
            return self._bulk_suspend(bulk.group(1) == "suspend", body)
        single = re.fullmatch(rf"/v4/workspaces/{ws_id}/people/(\d+)/suspended", path)
        if method == "PUT" and single:
            return self._put_suspended(int(single.group(1)), body)
        match = re.fullmatch(rf"/v4/workspaces/{ws_id}/people/(\d+)", path)
        if method == "DELETE" and match:
            return self._delete(int(match.group(1)))
        if method == "PATCH" and path in ("/v4/workspaces/current/transfer", f"/v4/workspaces/{ws_id}/transfer"):
            return self._transfer(body)
        return _error(404, "NotFoundException", f"No route for {method} {path}")

    def _bulk_suspend(self, suspend: bool, body: bytes) -> tuple[int, dict[str, str], bytes]:
        try:
            ids = json.loads(body or b"{}")["personIds"]
            if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return _error(400, "ValidationException", "personIds must be a list of integer ids")
        if not ids or len(ids) > 100:
            return _error(400, "ValidationException", "personIds must hold 1 to 100 ids")
        now = time.time()
        with self.lock:
            for pid in ids:  # ids that are not members are ignored, silently (the docs do not say)
                person = self.people.get(pid)
                if person is not None and bool(person.get("_suspended")) is not suspend:
                    self._suspend(person, suspend, now)
        return 200, {}, b""

    def _put_suspended(self, pid: int, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """The spec's "Suspend user" route: its body is an untyped object, so a spec-shaped server
        suspends whatever it says; single_unsuspend makes `{"suspended": false}` reactivate."""
        try:
            data = json.loads(body or b"{}")
            suspend = data.get("suspended", True) if self.single_unsuspend else True
            if not isinstance(suspend, bool):
                raise TypeError
        except (ValueError, TypeError, AttributeError):
            return _error(400, "ValidationException", "suspended must be true or false")
        with self.lock:
            person = self.people.get(pid)
            if person is None:
                return _error(404, "NotFoundException", f"Person {pid} is not a member of this workspace")
            if bool(person.get("_suspended")) is not suspend:
                self._suspend(person, suspend, time.time())
        return 200, {}, b""

    def _page(self, rows: list[dict[str, Any]], query: dict[str, str], total: int | None = None) -> dict[str, Any]:
        limit = min(int(query.get("limit", 25)), self.page_cap)
        offset = int(query.get("offset", 0))
        if self.clamp_offset and rows and offset >= len(rows):
            offset = (len(rows) - 1) // limit * limit  # the last page, again
        page: dict[str, Any] = {"data": rows[offset : offset + limit]}
        if query.get("includeCount") == "true":
            page["count"] = self.reported_count if self.reported_count is not None else len(rows) if total is None else total
        return page

    def _delete(self, pid: int) -> tuple[int, dict[str, str], bytes]:
        if pid in self.owner_ids and pid in self.people:
            return _error(403, "ForbiddenException", "Cannot remove the workspace owner")
        with self.lock:
            person = self.people.pop(pid, None)
            if person is not None:
                self._changes += 1
                self.admin_ids.discard(pid)
                self.assets.pop(pid, None)
        if person is None:
            return _error(404, "NotFoundException", f"Person {pid} is not a member of this workspace")

        style = self.delete_answer
        if style == "mixed":
            style = "200" if pid % 2 else "204"
        if style == "200":
            return _json(200, {"id": pid, "removed": True})
        return 204, {}, b""

    def _transfer(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        try:
            data = json.loads(body or b"{}")
            source, target = int(data["fromPersonId"]), int(data["toPersonId"])
        except (ValueError, KeyError, TypeError):
            return _error(400, "ValidationException", "fromPersonId and toPersonId are required")
        with self.lock:
            if source not in self.people or target not in self.people:
                return _error(404, "NotFoundException", "Person not found")
            self.assets[target] = self.assets.get(target, 0) + self.assets.get(source, 0)
            self.assets[source] = 0
        return 204, {}, b""

    def _token(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        for fault in self.faults:
            if fault.matches("POST", "/as/token", None, self.rng):
                if fault.passthrough:  # the refresh happens; its answer comes `delay` later, maybe trickling
                    answer = self._refresh(body)
                    time.sleep(fault.delay)
                    if fault.trickle:
                        answer[1][TRICKLE] = str(fault.trickle)
                    return answer
                if fault.reset:
                    if fault.act_first:
                        self._refresh(body)  # the old refresh token dies, and the answer is lost
                    raise _ConnectionDropped()
                return _error(fault.status, "InjectedFault", fault.message, fault.headers)
        return self._refresh(body)

    def _refresh(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        form = dict(urllib.parse.parse_qsl(body.decode()))
        if form.get("grant_type") != "refresh_token" or form.get("client_id") != self.client_id:
            return _json(400, {"error": "invalid_request", "error_description": "bad grant_type or client_id"})
        with self.lock:
            known = form.get("refresh_token") in self.refresh_tokens
            if known:
                self.refresh_tokens.discard(form["refresh_token"])  # rotation: the old one dies
                self.refreshes += 1
        if not known:
            return _json(400, {"error": "invalid_grant", "error_description": "Refresh token is invalid or was already used"})
        return _json(200, self.issue_pair())


TRICKLE = "X-Fake-Trickle"  # internal: the handler sends the body a byte at a time, this far apart
# How a suspended member's record shows it; the spec (v2025.23.2) does not say. "isDisabled": true
# (the spec: "the account is disabled"); "state": hidden (the spec: "User cannot access the
# workspace. User's data remains."); "status": a `status` field "suspended", sent only where it is
# asked for (GET /v4/people?includeStatus=true, "Include the user's status in workspace") and by
# the workspace-people route, with nothing in isDisabled or state.
SUSPENDED_AS = ("isDisabled", "state", "status")
MEMBER_STATUSES = {"active", "new", "suspended"}


Listed = Tuple[Dict[str, Any], Optional[Dict[str, Any]]]  # a row: record, and a duplicate's changes


def _member_status(record: dict[str, Any]) -> str:
    return "suspended" if record.get("_suspended") else record.get("_status", "active")


def _merged(listed: tuple[dict[str, Any], dict[str, Any] | None]) -> dict[str, Any]:
    record, changes = listed
    return record if changes is None else {**record, **changes}


def _person_in(method: str, path: str, body: bytes) -> int | None:
    match = re.search(r"/people/(\d+)(?:/suspended)?$", path)
    if match:
        return int(match.group(1))
    if method == "PATCH" and path.endswith("/transfer"):
        try:
            return int(json.loads(body or b"{}").get("fromPersonId"))
        except (ValueError, TypeError, AttributeError):
            return None
    return None


def _json(status: int, obj: Any, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(obj).encode()


def _error(status: int, name: str, message: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    return _json(status, {"exception": {"name": name, "message": message, "details": {"status": status}}}, headers)


def _html(status: int, message: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    page = f"<html><head><title>{status}</title></head><body><h1>{status} {message}</h1></body></html>"
    return status, {"Content-Type": "text/html", **(headers or {})}, page.encode()


class _Server(http.server.ThreadingHTTPServer):
    # The default backlog of 5 drops connection attempts when 8 or more workers connect at once,
    # and each dropped one waits a full second for TCP to try again: a delay no real host adds.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (a timeout, a failed TLS check) is routine here, not a traceback."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, TimeoutError)):
            super().handle_error(request, client_address)


class _Handler(http.server.BaseHTTPRequestHandler):
    server_fake: FakeAAC
    protocol_version = "HTTP/1.1"
    # http.server writes headers and body in separate sends; without this each answer with a
    # body waits ~40 ms for a delayed ACK, which would skew every timing.
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        with self.server_fake.lock:
            self.server_fake.connections += 1

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def _serve(self) -> None:
        fake = self.server_fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with fake.lock:
            fake.in_flight += 1
            fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
        try:
            status, headers, payload = fake.handle(self.command, self.path, self.headers, body)
        except _ConnectionDropped:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        finally:
            with fake.lock:
                fake.in_flight -= 1
        trickle = float(headers.pop(TRICKLE, 0) or 0)
        self.send_response(status)
        self.send_header("x-trifacta-request-id", f"req-{secrets.token_hex(6)}")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and trickle:
            try:
                for index in range(len(payload)):
                    self.wfile.write(payload[index : index + 1])
                    self.wfile.flush()
                    time.sleep(trickle)
            except OSError:
                self.close_connection = True
        elif payload:
            self.wfile.write(payload)

    do_GET = do_DELETE = do_PATCH = do_POST = do_PUT = _serve


def sandbox(people: int, **kwargs: Any) -> FakeAAC:
    """A workspace to rehearse every feature on: two co-admins, an owner whose removal is refused
    with 403, a teaching assistant, an archive account to --transfer-to, Jane (whom the README's
    recipes name), and last logins that are recent (a third), long ago (a third, 200 to 600 days)
    or never (every tenth)."""
    fake = FakeAAC(people, extra_admins=2, **kwargs)
    domain = fake.domain
    now = time.time()
    rng = random.Random(11)
    with fake.lock:
        students = [p for p in fake.people.values() if p["email"].startswith("student")]
        for n, person in enumerate(students):
            if n % 10 == 9:
                person["lastLoginTime"] = None
            else:
                days = rng.uniform(0, 30) if n % 3 == 0 else rng.uniform(200, 600) if n % 3 == 1 else rng.uniform(30, 120)
                person["lastLoginTime"] = _iso(now - days * 86400)
    owner = fake.add_person(f"owner@{domain}", "Olive Owner", lastLoginTime=_iso(now - 86400))
    fake.owner_ids.add(owner)
    fake.add_person(f"ta@{domain}", "Terry Assistant", lastLoginTime=_iso(now - 3600))
    fake.add_person(f"archive@{domain}", "Course Archive", lastLoginTime=None)
    fake.add_person(f"jane@{domain}", "Jane Doe", lastLoginTime=_iso(now - 300 * 86400))
    return fake


def _iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(timestamp))


def _fakes_own(path: str) -> bool:
    """Whether path is free, or holds a token file that a fake wrote (its refresh token says so)."""
    try:
        with open(path, encoding="utf-8") as handle:
            return str(json.load(handle).get("refresh_token", "")).startswith("fake-refresh-")
    except FileNotFoundError:
        return True
    except (OSError, ValueError, AttributeError):
        return False


def _standalone() -> None:
    parser = argparse.ArgumentParser(
        description="Serve a fake AAC workspace on 127.0.0.1 to try remove_users.py safely. It has two co-admins, "
        "an owner whose removal is refused (403), ta@uni.edu, archive@uni.edu (to --transfer-to), jane@uni.edu and "
        "students whose last logins are recent, long ago or never, so that the README's recipes run as written. It "
        "forgets everything when stopped."
    )
    parser.add_argument("--people", type=int, default=200, help="students besides the staff (default 200)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any free port)")
    parser.add_argument("--page-cap", type=int, default=25, help="most rows a page returns (default 25)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--rate-limit", type=int, default=None, help="requests per --rate-window before 429s")
    parser.add_argument("--rate-limit-kind", choices=("sliding", "bucket", "fixed"), default="sliding",
                        help="the quota's shape: any window (default), a token bucket, or fixed clock windows")
    parser.add_argument("--rate-window", type=float, default=1.0, help="the quota's window in seconds (60: per minute)")
    parser.add_argument("--faults", type=float, default=0.0, help="share (0 to 1) of removals and listing pages answered "
                        "with a transient fault: 503 with an HTML page, 429, or a dropped connection")
    parser.add_argument("--token-file", help="write a token file (access + rotating refresh token) here instead of "
                        "printing an access token")
    parser.add_argument("--token-uses", type=int, default=None, help="each access token stops working after this many "
                        "requests, so that a run must refresh it (with --token-file)")
    parser.add_argument("--workspace-id", type=int, default=4242, help="the workspace's numeric id (default 4242); "
                        "give each fake its own to rehearse many workspaces from one config file")
    parser.add_argument("--workspace-name", default="Fall 2026 Data Science", help="the workspace's name, which a "
                        "real run asks you to type (default 'Fall 2026 Data Science')")
    parser.add_argument(
        "--suspended", type=int, default=0,
        help="how many students start suspended (default 0); with any, co-admin 2 is suspended too,"
        " so that the admins route shows a suspended admin (the proof the tool looks for)",
    )
    parser.add_argument("--suspended-days-ago", type=float, default=40.0, help="how long ago they were suspended (default 40 days)")
    # Suspension as the spec (v2025.23.2) allows: by default the least cooperative reading, in
    # which no listing the tool can ask shows a suspended member; each switch is a friendlier one.
    add = parser.add_argument
    add("--show-suspended", action="store_true", help="GET /v4/people lists suspended members (by "
        "default it leaves them out: nothing in the spec says it lists them)")
    add("--workspace-people-route", action="store_true", help="GET /v4/workspaces/{id}/people"
        "?status=active,new,suspended answers (by default the route is missing: 404)")
    add("--suspended-as", choices=SUSPENDED_AS, default="status", help="how a suspended member's "
        "record shows it: isDisabled true, state hidden, or (the default) a status field, sent "
        "only with includeStatus=true and by the workspace-people route")
    add("--state-change-moves", action="store_true", help="lastStateChange moves when a "
        "suspension changes (by default it stays still)")
    add("--include-status-typed", action="store_true", help="GET /v4/people answers 400 to an "
        "includeStatus that is not true or false, as the spec types it (by default it ignores it)")
    add("--single-unsuspend", action="store_true", help="PUT .../people/{id}/suspended with "
        '{"suspended": false} reactivates (by default it suspends whatever its body says: the spec '
        'has only "Suspend user")')
    parser.add_argument("--no-bulk-suspend", action="store_true", help="the bulk suspend routes answer 404, as if missing")
    parser.add_argument("--domain", default="uni.edu", help="everyone's email domain (default uni.edu, the README's)")
    args = parser.parse_args()
    if args.token_file and not _fakes_own(args.token_file):
        # The README says to start the fake with a recipe's token file: never clobber a real pair.
        parser.error(f"{args.token_file} exists and is not a token file a fake wrote (a real token pair?); "
                     "rehearse in another folder, or choose another --token-file")
    fake = sandbox(args.people, page_cap=args.page_cap, latency=args.latency, rate_limit=args.rate_limit,
                   access_token_uses=args.token_uses, workspace_id=args.workspace_id, workspace_name=args.workspace_name,
                   hide_suspended=not args.show_suspended, bulk_suspend_route=not args.no_bulk_suspend,
                   rate_limit_kind=args.rate_limit_kind, rate_window=args.rate_window, domain=args.domain,
                   suspended_as=args.suspended_as, state_change_moves=args.state_change_moves,
                   include_status_typed=args.include_status_typed,
                   workspace_people_route=args.workspace_people_route,
                   single_unsuspend=args.single_unsuspend)
    for n in range(min(args.suspended, args.people)):
        fake.set_suspended(fake.id_of(f"student{n + 1:05d}@{args.domain}"), days_ago=args.suspended_days_ago)
    if args.suspended:
        fake.set_suspended(fake.id_of(f"coadmin2@{args.domain}"), days_ago=args.suspended_days_ago)
    if args.faults:
        share = args.faults / 3
        for where in ({"method": "DELETE"}, {"method": "GET", "path": r"^/v4/people$"}):
            fake.add_fault(**where, status=503, html=True, probability=share, message="Service Temporarily Unavailable")
            fake.add_fault(**where, status=429, probability=share, message="Rate limit exceeded")
            fake.add_fault(**where, reset=True, probability=share)
    base = fake.start(args.port)
    print(f"Fake AAC workspace {fake.workspace['name']!r} (id {fake.workspace['id']}) with {len(fake.people)} people")
    print(f"  base URL:      {base}")
    print(f"  you are:       admin@{args.domain} (an admin; coadmin1@ and coadmin2@{args.domain} are too)")
    print(f"  the owner:     owner@{args.domain} (removing them is refused with 403)")
    if args.token_file:
        pair = fake.issue_pair(lifetime=24 * 3600)
        with open(args.token_file, "w", encoding="utf-8") as handle:
            json.dump(pair, handle)
        os.chmod(args.token_file, 0o600)
        print(f"  token file:    {args.token_file} (refreshed and rewritten by each run that needs it)")
        variables = {"AAC_BASE_URL": base, "AAC_TOKEN_FILE": os.path.abspath(args.token_file)}
    else:
        token = fake.issue_access_token(lifetime=24 * 3600)
        print(f"  access token:  {token}")
        variables = {"AAC_BASE_URL": base, "AAC_ACCESS_TOKEN": token}
    print()
    print("In a second terminal, in the same folder (Linux/macOS, then PowerShell):")
    print("  export " + " ".join(f"{name}='{value}'" for name, value in variables.items()))
    print("  " + "; ".join(f"$env:{name} = '{value}'" for name, value in variables.items()))
    print("Then, for example:")
    print(f"  python remove_users.py --exclude ta@{args.domain} --dry-run")
    print("Ctrl-C stops the fake server.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    _standalone()
