#!/usr/bin/env python3
"""Remove many people from an Alteryx Analytics Cloud (AAC) workspace at once, keeping a
protected few.

python remove_users.py --token-file aac-token.json --exclude me@uni.edu --dry-run

WARNING: this removes people from a workspace. In AAC, removing a person deletes the flows,
datasets and connections they own unless ownership was transferred first (`--transfer-to`).
Always look at a `--dry-run` first.

What it does: reads the token's workspace and every one of its members from the AAC v4 API, plans
who goes and who stays (protected emails, the person running it and, unless told otherwise, the
workspace admins always stay), prints that plan, asks for the workspace name as confirmation,
then removes each planned person with bounded concurrency and bounded retries, logging every
outcome and appending it to a CSV audit report as it happens (an `attempting` row synced before
each removal), then lists the workspace again and corrects the report where it was wrong
(`verify`).

With `--suspend` it suspends them instead (reversible: `--unsuspend --from-report REPORT`), and
`--only-suspended --suspended-days N` later removes only those suspended long enough.

What it will not promise: that the server did not act on a request whose answer was lost (those
people are reported `unknown` until the verification settles them, or with --no-verify), nor
anything about assets that were not transferred.

A reader's map, by name: run() is the terminal's story, in four calls: prepare() (read, plan,
stops), end_dry_run() or go_ahead() (confirm), carry_out() (act, verify, summarize); the review
page (--review: ReviewServer, EngineSession) runs the same stages. What changes a workspace is
AacClient's verbs (remove_member, transfer_assets, suspend_members, suspend_member), called only by
Actor through an Action of ACTIONS (REMOVE, SUSPEND, UNSUSPEND); outcome_of() and Verdicts turn
each answer into an Outcome. Who is chosen: plan_run() and choose() over make_plan() and
split_already(); who shows as suspended: suspension_signal(); since when: suspension_since() over
suspension_in_force() (this tool's rows, of this host: rows_here()); whom an undo cannot see:
undo_unseen(). What stops a run before any change: GATES, read by safety_stops(), plus the checks
in resolve_config() and apply_saved_plan(). What a run says goes through Console.tell() to its
sinks (TerminalSink, JsonSink, PageSink). What writes files: AuditReport, write_plan(),
TokenFile.write()."""

from __future__ import annotations

import os
import signal
import sys


def _interrupted_at_start(signum: int, frame: object) -> None:
    """Ctrl-C while Python still loads the modules (requests takes a moment): one line, exit 130."""
    sys.stderr.write(
        "remove_users: interrupted while starting; nothing was sent and nobody was removed\n"
    )
    sys.stderr.flush()
    os._exit(130)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, _interrupted_at_start)  # main() puts the usual Ctrl-C back

import argparse
import base64
import collections
import configparser
import contextlib
import csv
import dataclasses
import datetime as dt
import email.utils
import enum
import errno
import getpass
import heapq
import hmac
import itertools
import html
import http
import http.server
import io
import ipaddress
import json
import math
import pathlib
import random
import re
import secrets
import shlex
import socket
import socketserver
import ssl
import stat
import tempfile
import threading
import time
import traceback
import unicodedata
import urllib.parse
import warnings
import webbrowser
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, NamedTuple, Sequence, TextIO

import requests

# ---------------------------------------------------------------------------------------------
# Version and defaults
# ---------------------------------------------------------------------------------------------

__version__ = "1.0.0"
PROG = "remove_users"
USER_AGENT = f"remove_users.py/{__version__} (+python-requests/{requests.__version__})"

DEFAULT_BASE_URL = "https://us1.alteryxcloud.com"
DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 32
DEFAULT_TIMEOUT = 30.0
PAGE_SIZE = 100
SUSPEND_BATCH = 100  # ids in one bulk suspend or unsuspend call
MAX_ATTEMPTS = 5
RATE_WINDOW = 30.0  # seconds of recent outcomes a progress rate is measured over
PROGRESS_TICK = 0.5  # seconds between progress events while a run acts (the line's updates)
PROGRESS_EVERY = 10.0  # seconds between the progress figures off a terminal (a cron log)
MAX_RETRY_WAIT = 300.0  # a 429 asking for longer than this fails the request instead
MAX_REFRESH_WAIT = 30.0  # the token refresh's waits in all: signals are held during a refresh
BACKOFF_BASE = 0.5  # seconds; doubled each attempt, with jitter
BACKOFF_CAP = 8.0
REFRESH_MARGIN = 60  # refresh before start-up when the access token has less than this left
RETRYABLE_STATUSES = {500, 502, 503, 504}
MAYBE_ACTED_STATUSES = {502, 504}  # a gateway gave up waiting: the backend may have acted anyway
EARLY_STOP = 5  # this many 403s (or 404s) in a row from the start, with no success, stop the run
TOKEN_HELP_PATH = "Profile > Preferences > OAuth 2.0 API Tokens"
REVIEW_IDLE = 30 * 60  # --review: the page's server ends after this many seconds without use
REVIEW_PAGE_GONE = 10.0  # ... or this long after the work is over and the page stopped asking
REVIEW_LAST_WORD = 3.0  # ... or, after a run a signal stopped, this long for the page's summary
REVIEW_MAX_BODY = 8 * 2**20  # bytes in one request from the page (a keep-list file included)
REVIEW_SOCKET_TIMEOUT = 15.0  # seconds a connection to the page may stay silent
LOCK_WAIT = 300.0  # seconds a run waits for another run's token refresh before giving up
LOCK_STALE = 600.0  # a lock file this old was left by a run that died (longer than any refresh)
# requests a walk may spend beyond the pages its rows needed (the empty last one)
LISTING_MARGIN = 2
# people: with no count to hold it to, a walk that keeps finding new ids stops here
MAX_LISTED = 1_000_000
GRAPH_URL = "https://graph.microsoft.com"
GRAPH_LOGIN_URL = "https://login.microsoftonline.com"
GRAPH_PAGE_SIZE = 999
# 999 users a page: ten million members; a server paging forever stops here
MAX_GROUP_PAGES = 10_000
LDAP_PAGE_SIZE = 500
MAX_LDAP_GROUPS = 2_000  # nested groups expanded for one source
UNMATCHED_LISTED = 10  # more protected entries matching nobody than this make one line (-v: each)
PLAN_STALE_DAYS = 7  # a plan older than this is applied with a warning: members come and go
EARLIER_REPORTS_READ = 30  # the newest default-named reports a run settles: bounded work per run
# seconds a server's clock may run ahead of ours: a record's updatedAt within this of our row is
# the change our row recorded, not a later one
SERVER_CLOCK_SLACK = 600.0
HELP_WIDTH = 80

REPORT_FIELDS = [
    "time",
    "workspace_id",
    "person_id",
    "email",
    "name",
    "outcome",
    "http_status",
    "request_id",
    "detail",
    "transferred_to",
    # new with suspension: reports begun earlier keep their header, and get rows without it
    "action",
    # the AAC host the run talked to: ids are numbered per tenant, so another host's rows are
    # other people's (a report begun earlier keeps its header, and its rows are read as this host's)
    "host",
]


class ExitStatus(enum.IntEnum):
    OK = 0  # done, or nothing to do
    ERROR = 1  # an API, network or auth error stopped the run
    USAGE = 2  # bad usage or input
    SOME_FAILED = 3  # finished, but some people were not handled, or the check did not confirm
    SAFETY_STOP = 4  # stopped by a safety check, such as a declined confirmation
    HANGUP = 129  # SIGHUP (128 + 1): an SSH session closed
    INTERRUPTED = 130  # Ctrl-C (128 + 2)
    TERMINATED = 143  # SIGTERM (128 + 15): cron, systemd, timeout


EXIT_CODES_HELP = """exit codes:
  0    done, or nothing to do
  1    an API, network or authentication error stopped the run
  2    bad usage or input (nothing was removed)
  3    finished, but some people were not handled (see the report),
       or the check after the run failed or could not see a suspension
  4    stopped by a safety check, such as a declined confirmation
       (nothing was removed)
  129  stopped by SIGHUP (the report says who was handled)
  130  interrupted by Ctrl-C (the report says who was handled)
  143  stopped by SIGTERM (the report says who was handled)
"""

# ---------------------------------------------------------------------------------------------
# Exceptions: deep code raises these; main() turns each into one line on stderr and an exit code
# ---------------------------------------------------------------------------------------------


class RemoveUsersError(Exception):
    exit_status = ExitStatus.ERROR


class UsageError(RemoveUsersError):
    exit_status = ExitStatus.USAGE


class SafetyStop(RemoveUsersError):
    exit_status = ExitStatus.SAFETY_STOP


class RunFailed(RemoveUsersError):
    """The run ended badly after it began acting; the report and the --json document hold its
    outcomes."""

    def __init__(self, message: str, exit_status: ExitStatus = ExitStatus.ERROR) -> None:
        super().__init__(message)
        self.exit_status = exit_status


class ApiError(RemoveUsersError):
    """A call that failed for good: says the method, path, status, server message and request id."""

    def __init__(
        self,
        method: str,
        path: str,
        message: str,
        status: int | None = None,
        request_id: str | None = None,
    ) -> None:
        self.method, self.path, self.status, self.request_id = method, path, status, request_id
        self.message = message
        where = f"{method} {path}"
        status_text = f"HTTP {status}: " if status else ""
        rid = f" (request id {request_id})" if request_id else ""
        super().__init__(f"{where}: {status_text}{message}{rid}")


class AuthError(ApiError):
    """The server rejected the token and no refresh could cure it."""


class TokenError(RemoveUsersError):
    """The token endpoint failed; the message says what the user must do."""


class _Refreshed(Exception):
    """Inside the client: the token was refreshed, send the request again."""


class _NoAnswer(Exception):
    """Inside the client: the request got no answer (reset, refused, timed out)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class LongWait(ApiError):
    """A 429, or a spent rate-limit budget, asking for a longer wait than the tool accepts: the
    whole run stops, not one request."""

    def __init__(self, answer: "Answer", wait: float, why: str = "HTTP 429") -> None:
        super().__init__(
            answer.method,
            answer.path,
            f"rate limited ({why}) and asked to wait {wait:.0f} s, over the {MAX_RETRY_WAIT:.0f} s"
            " this tool waits",
            answer.status,
            answer.request_id,
        )
        self.wait, self.why = wait, why


class BudgetSpent(Exception):
    """Inside the client: a rate-limit budget is spent until a reset further away than
    MAX_RETRY_WAIT."""

    def __init__(self, window: str, wait: float) -> None:
        super().__init__(window)
        self.window, self.wait = window, wait


class Stopped(Exception):
    """Raised inside a worker when a signal (or a run-wide stop) asked for no further requests."""

    def __init__(self, last: "Answer | None", maybe_acted: bool) -> None:
        super().__init__("stopped before retrying")
        self.last, self.maybe_acted = last, maybe_acted


# ---------------------------------------------------------------------------------------------
# Secrets never leave the process: every line of output passes through redact()
# ---------------------------------------------------------------------------------------------

_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()
_TOKEN_SHAPES = re.compile(
    r"eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*"  # a JWT
    # A Bearer value: 16 or more token characters with a digit or a symbol other than a hyphen
    # among them, or 32 or more letters. "Ring Bearer Team" or "Bearer Smith-Jones", a member's
    # name, is not an Authorization header.
    r"|\b(?i:bearer)\s+(?=[A-Za-z0-9._~+/=-]{16})"
    r"(?:[A-Za-z-]*[0-9._~+/=][A-Za-z0-9._~+/=-]*|[A-Za-z]{32,})"
    r"|(?i:(?:access|refresh)_token)[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9._~+/=-]+"
)


def register_secret(value: str | None) -> None:
    """Remembers a secret, and each of its lines and words: a token pasted with a line break
    inside would otherwise be printed a piece at a time."""
    if not value:
        return
    with _SECRETS_LOCK:
        for piece in [value, value.strip(), *value.split()]:
            if len(piece) >= 6:
                _SECRETS.add(piece)


TOKEN_BROKEN = "the token has a line break or space inside: paste it on one line"
TOKEN_EMAIL = "that is an email address, not a token: paste the access token itself"


def accepted_token(value: str | None, access: bool = True) -> str | None:
    """The token a pasted value is, as clean_token takes it; None when it would be refused. An
    access token is a JWT (base64url and dots), so an `@` in one is an email pasted in the wrong
    place, which as a secret would blank that person out of every line afterwards. (A refresh
    token's alphabet is not documented: only whitespace refuses one.)"""
    if value is None:
        return None
    value = strip_bearer(value)  # a `Bearer ` prefix copied from a header is not whitespace inside
    email = access and "@" in value
    return None if email or any(ch.isspace() for ch in value) else value


def clean_token(value: str | None, where: str, access: bool = True) -> str | None:
    """Surrounding whitespace is trimmed; whitespace inside stops the run before any request (the
    token would otherwise reach http.client, whose error quotes most of it).

    Only the token as it is used becomes a secret. What is refused is not one (a keep-list pasted
    in the review page's token box, `Access token eyJ...`), is never sent nor shown (the refusal
    does not quote it), and its words as secrets would blank people's emails, or a workspace's
    name, out of everything the process says afterwards."""
    if value is None:
        return None
    token = accepted_token(value, access)
    if token is None:
        broken = accepted_token(value, access=False) is None
        raise UsageError(f"{TOKEN_BROKEN if broken else TOKEN_EMAIL} ({where})")
    register_secret(token)
    return token or None


def holds_secret(data: bytes) -> bool:
    """Whether bytes hold a secret the process knows (the tokens it was given or was sent)."""
    with _SECRETS_LOCK:
        known = list(_SECRETS)
    return any(secret.encode("utf-8", "surrogateescape") in data for secret in known)


def redact(text: str) -> str:
    with _SECRETS_LOCK:
        known = sorted(_SECRETS, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, "[REDACTED]")
    return _TOKEN_SHAPES.sub("[REDACTED]", text)


# ---------------------------------------------------------------------------------------------
# Pure helpers
# ---------------------------------------------------------------------------------------------

_LOCAL_PART = r"[^@\s,;:<>()\[\]\\\"]+"
_DOMAIN_LABEL = r"[^@\s,;:<>()\[\]\\\"'.]+"
_EMAIL = re.compile(rf"{_LOCAL_PART}@{_DOMAIN_LABEL}(?:\.{_DOMAIN_LABEL})+")
_NAMED_EMAIL = re.compile(r"(?P<name>[^<>@]*)<(?P<address>[^<>]*)>")
# Cyrillic and Greek letters that look like Latin ones (after case folding), for the near-miss
# check.
_LOOKALIKES = str.maketrans(
    "аԁеһіјӏорԛѕԝхуьсνοαρικτυχεβ",
    "adehijlopqswxybcvoapiktuxeb",
)


def folded(value: str | None) -> str:
    """Trimmed, NFC-normalized and case-folded: an accent may be typed as one code point or as a
    letter plus a combining mark, and a server may store either."""
    text = unicodedata.normalize("NFC", (value or "").strip())
    return unicodedata.normalize("NFC", text.casefold())


def normalize_email(value: str | None) -> str:
    """Emails compare folded(): AAC keeps the case a person signed up with."""
    return folded(value)


def parse_email_entry(entry: str) -> str | None:
    """The address an entry means, or None if it cannot be one as typed.

    An entry is an email, or `Display Name <email>` as Outlook and Google exports write it. Quotes
    around an address (`"a@x.edu"`, as jq prints without -r), `mailto:` and control or zero-width
    characters make it malformed: such an entry would match nobody and protect nobody.
    """
    text = entry.strip()
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn") for ch in text):
        return None
    named = _NAMED_EMAIL.fullmatch(text)
    if named:
        _, address = email.utils.parseaddr(text)
        if address != named["address"].strip():
            return None
        text = address
    return text if _EMAIL.fullmatch(text) else None


def is_valid_email(value: str) -> bool:
    return parse_email_entry(value) is not None


def split_emails(values: Iterable[str]) -> list[str]:
    """Each value may be a comma-separated list; empty items (a trailing comma) are dropped."""
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def check_emails(entries: Iterable[str], source: str) -> list[str]:
    """The address of each entry; a malformed one is refused (exit 2): a typo in a protected email
    would turn into a removal."""
    checked = []
    for entry in entries:
        address = parse_email_entry(entry)
        if address is None:
            raise UsageError(
                f"{source}: {entry!r} is not a well-formed email (expected local@domain.tld or Name"
                " <local@domain.tld>); fix or remove it"
            )
        checked.append(address)
    return checked


@dataclass
class EmailFile:
    """What an --exclude-file or --only-file gave: its emails, and the rows whose email cell was
    empty."""

    path: str
    emails: list[str]
    empty_rows: list[int] = field(default_factory=list)  # line numbers in the file
    # the header of the column the emails came from; None for a plain list
    column: str | None = None
    number: int | None = None  # that column's position, counting from 1
    header: list[str] = field(default_factory=list)
    flag: str = ""  # --exclude-file or --only-file
    # Rows with an empty cell in the column but an address in another: (line, that column, address).
    unread: list[tuple[int, str, str]] = field(default_factory=list)
    rows: list[tuple[int, str, list[str]]] = field(default_factory=list)  # (line, address, cells)

    @property
    def column_label(self) -> str:
        """`column 'Work Email'`; with its number too where another column is headed alike."""
        if self.column is None:
            return "one per line"
        alike = sum(name.strip().casefold() == self.column.casefold() for name in self.header)
        return f"column {self.number} ({self.column!r})" if alike > 1 else f"column {self.column!r}"


_DELIMITERS = (",", ";", "\t")  # Excel writes `;` where the decimal mark is a comma, tab for "Text"


def read_email_file(
    path: str,
    columns: Sequence[str] = (),
    flag: str = "--exclude-file",
    here: Sequence[str] = (),
    text: str | None = None,
) -> EmailFile:
    """One email per line, or a spreadsheet export (`,`, `;` or tab separated) whose header names
    an email column. Blank lines are skipped. In a plain list `#` starts a comment at the start of
    a line or after a space (`ta@uni.edu  # head TA`); in a spreadsheet only the lines above the
    header can be comments, and a cell that starts with `#` is data (`#N/A`, an ID `#1001`).
    columns: --email-column's choices for every file; here: those given for this file alone
    (`FILE=COLUMN`). flag: --exclude-file or --only-file; an --only-file keeps its rows, for the
    plan to show some of them. text: the file as a browser read it for the review page, instead
    of reading `path` (the same checks, as they show in decoded text)."""
    text = _email_file_text(path) if text is None else _decoded_email_text(path, text)
    lines = [(n, line) for n, line in enumerate(_lines(text), 1) if line.strip()]
    while lines and _is_comment_line(lines[0][1]):
        lines.pop(0)
    if not lines:
        return EmailFile(path, [], flag=flag)
    (first_line, first), body = lines[0], lines[1:]
    header, delimiter = max(
        ((next(csv.reader([first.strip()], delimiter=d)), d) for d in _DELIMITERS),
        key=lambda hd: len(hd[0]),
    )
    if is_valid_email(_uncomment(first).strip()) or (
        len(header) == 1 and not _names_email(header[0])
    ):
        entries = (_uncomment(line).strip() for _, line in lines)
        return EmailFile(path, check_emails((e for e in entries if e), path), flag=flag)
    # a header never holds an address: a pasted list
    if any(is_valid_email(cell) for cell in header):
        raise UsageError(
            f"{path}: line {first_line} holds {len(header)} entries separated by {delimiter!r}"
            " (a list pasted from Outlook?), not a spreadsheet header; put one email per line"
        )
    records = _records(path, body, delimiter)
    _within_the_header(path, header, records, delimiter)
    index = _email_column(path, header, [row for _, row in records], columns, here)
    found = EmailFile(path, [], [], header[index].strip(), index + 1, header, flag)
    for line, row in records:
        value = row[index].strip() if index < len(row) else ""
        if value:
            where = f"{path}: line {line}, {found.column_label}"
            for address in _cell_addresses(where, value, flag == "--exclude-file"):
                found.emails.append(address)
                if flag == "--only-file":
                    found.rows.append((line, address, row))
        elif any(cell.strip() for cell in row):  # a row about someone, without their email
            found.empty_rows.append(line)
            elsewhere = _address_elsewhere(header, row, index)
            if elsewhere:
                found.unread.append((line, *elsewhere))
    return found


def _email_file_text(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    if raw.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):  # a zip (.xlsx, .ods) or an old .xls
        raise UsageError(f"{path} {_A_WORKBOOK}")
    try:
        # Excel's "Unicode Text" export is UTF-16 with a byte-order mark; everything else, UTF-8.
        return (
            raw.decode("utf-16")
            if raw[:2] in (b"\xff\xfe", b"\xfe\xff")
            else raw.decode("utf-8-sig")
        )
    except UnicodeDecodeError:
        raise UsageError(f"{path} {_NOT_UTF8}") from None


_A_WORKBOOK = (
    "looks like an Excel workbook, not text; in Excel save it as CSV UTF-8 and give that file"
)
_NOT_UTF8 = "is not UTF-8 text; save it as UTF-8 (CSV UTF-8 in Excel)"


def _decoded_email_text(path: str, text: str) -> str:
    """_email_file_text's checks on a file a browser has read and decoded (FileReader.readAsText:
    UTF-8, or UTF-16 by its byte-order mark): bytes that were not UTF-8 arrive as U+FFFD, which is
    refused as the tool refuses them in a file; a zip's signature survives decoding. A U+FFFD the
    file really held is refused too: a keep-list must not hold what cannot be read."""
    if text.startswith("PK\x03\x04"):
        raise UsageError(f"{path} {_A_WORKBOOK}")
    if "\ufffd" in text:
        raise UsageError(f"{path} {_NOT_UTF8}")
    return text[1:] if text.startswith("\ufeff") else text


def _lines(text: str) -> list[str]:
    r"""The lines of a file, each with its ending, ended where the csv module ends a record: at
    \n, \r\n or \r. Never str.splitlines, which also breaks at \v, \f, \x1c-\x1e, \x85, U+2028 and
    U+2029: csv.writer leaves those unquoted inside a cell, so a name holding one would split
    its row in two, and the second half's cells would shift into other columns (a manager's
    address into the email column)."""
    return re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z", text)


def _is_comment_line(line: str) -> bool:
    """`# TAs of term 2`, but not `#,Name,Email`: a header whose first column (row numbers) is
    headed `#`."""
    text = line.lstrip()
    return text.startswith("#") and not re.match(r"#\s*[,;\t]", text)


def _records(
    path: str, lines: list[tuple[int, str]], delimiter: str
) -> list[tuple[int, list[str]]]:
    """The rows under the header, each with the number of its line. A quote that is never closed
    would make a CSV reader swallow every later line into one cell (or, on the last line, the
    rest of that line), so those people would protect nobody: refused, naming the line."""
    reader = csv.reader((line for _, line in lines), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[str]]] = []
    while True:
        consumed = reader.line_num
        try:
            row = next(reader)
        except StopIteration:
            return records
        except csv.Error as exc:
            if "end of data" in str(exc):
                raise UsageError(
                    f'{path}: line {lines[consumed][0]} opens a quote (") that is never closed;'
                    " fix or remove the stray quote"
                ) from None
            raise UsageError(
                f'{path}: line {lines[reader.line_num - 1][0]} has a stray quote (") ({exc}); fix'
                " or remove it"
            ) from None
        if reader.line_num - consumed > 1:
            raise UsageError(
                f'{path}: line {lines[consumed][0]} opens a quote (") that runs over'
                f" {reader.line_num - consumed} lines; fix or remove the stray quote"
            )
        records.append((lines[consumed][0], row))


def _within_the_header(
    path: str, header: list[str], records: list[tuple[int, list[str]]], delimiter: str
) -> None:
    """A row with cells past the header's last column is refused, naming its line: a delimiter
    typed inside an unquoted cell (`Doe, Jane`) shifts the row's later cells one column right, so
    its email cell may hold a manager's address, and what is past the end may be the person's
    own. Empty cells past the end (a trailing delimiter) are harmless."""
    for line, row in records:
        extra = [cell.strip() for cell in row[len(header) :] if cell.strip()]
        if not extra:
            continue
        if len(header) == 1:
            raise UsageError(
                f"{path}: line {line} holds {len(row)} entries separated by {delimiter!r} under the"
                f" one-column header {header[0].strip()!r}; put one email per line"
            )
        past = ", ".join(repr(cell) for cell in extra[:3])
        raise UsageError(
            f"{path}: line {line} has {len(row)} cells, the header {len(header)} ({past} past its"
            f" last column); a {delimiter!r} inside a cell shifts the cells after it, so which one"
            " is the email cannot be told: quote that cell, or remove what is past the last column"
        )


def _cell_addresses(where: str, value: str, keep: bool) -> list[str]:
    """The address in a cell of the email column. Several in one cell are never read as one, nor
    silently as the first: a keep file protects each of them where Google wrote them (`a ::: b`,
    a person's work and home addresses), since protecting more removes nobody; anything else is a
    question naming the line, and so is a cell that is not an address (`TBD`, `#N/A`)."""
    address = parse_email_entry(value)
    if address:
        return [address]
    parts = [parse_email_entry(part) for part in value.split(":::")]
    if keep and len(parts) > 1 and all(parts):
        return [part for part in parts if part]
    several = len(_EMAIL.findall(value))
    if several > 1 and ":::" in value:
        raise UsageError(
            f"{where}: {value!r} holds {several} addresses (Google's ' ::: '); which one is the"
            " person's address in AAC cannot be told: leave only that one in the cell"
        )
    if several > 1:
        raise UsageError(f"{where}: {value!r} holds {several} addresses; put one address per row")
    raise UsageError(
        f"{where}: {value!r} is not a well-formed email (expected local@domain.tld or Name"
        " <local@domain.tld>); fix or remove it"
    )


def _an_address_cell(value: str) -> bool:
    """The cell is an address, or Google's several joined by ` ::: `."""
    return all(parse_email_entry(part) for part in value.split(":::"))


def _address_elsewhere(header: list[str], row: list[str], index: int) -> tuple[str, str] | None:
    """The first other cell of a row that holds an address which may be the person's own (Entra's
    `userPrincipalName` where `mail` is empty): (its column, the address). An address anywhere in
    the cell counts, however it is written (`Terry (ta@uni.edu)`, `SMTP:ta@uni.edu`,
    `mailto:...`, `a; b`): missing one would leave its person unprotected without a word. A
    column that reads as someone else's (the manager's) does not count."""
    for i, cell in enumerate(row):
        column = header[i].strip() if i < len(header) else f"column {i + 1}"
        found = _EMAIL.search(cell) if i != index else None
        if found and _not_theirs(column) not in _SOMEONE_ELSES:
            return column, found.group(0)
    return None


def _uncomment(text: str) -> str:
    """A line of a plain list without its comment."""
    return re.sub(r"(?:^|(?<=\s))#.*", "", text)


def _header_key(column: str) -> str:
    """A header as the word table reads it: case-folded, accents dropped (é -> e, ü -> u,
    ß -> ss), spaces and punctuation gone, so `E-Mail (privé)` and `EMAIL_PRIVE` read alike. A
    `+` reads as `plus`: French exports name the manager `N+1`."""
    text = unicodedata.normalize("NFKD", column.casefold().replace("+", "plus"))
    return re.sub(r"[^a-z0-9]", "", "".join(ch for ch in text if not unicodedata.combining(ch)))


def _names_email(column: str) -> bool:
    """`Email`, `Work Email`, `E-mail 1 - Value`, `EMAIL_ADDRESS`, `Mail`, `Courriel`, `Correo
    electrónico`, `Posta elettronica`, `Adresse de messagerie`, `E-postadres`."""
    return _NAMES_AN_EMAIL.search(_header_key(column)) is not None


# The words in a header that make it an email column, and those that say whose address it holds:
# ONE table, for the languages admins export in (English, German, French, Dutch, Spanish, Italian,
# Portuguese, and the Nordic `e-post`). How it is read: the header is case-folded with its accents
# dropped (`_header_key`), and a word of the first six rows matches anywhere in it, inside a
# compound too (`VorgesetztenEmail`); `^`/`$` anchor a word that is too common inside others
# (`mail` alone, not `Mail Stop`). A column whose header names someone else's address, or a
# personal or secondary one, is never taken unasked, even as a file's only email column: an HR
# leavers export often carries only the manager's address, and taking it would select the
# managers. Words are stems where languages inflect (`vorgesetzt`: Vorgesetzter, -te, -ten;
# `responsab`: responsable, responsabile), with both spellings of an umlaut (`fuhrung`,
# `fuehrung`). They never include words that also name the person's own address (`geschäftlich`,
# `work`, `Mitarbeiter`, `Student`): such a word would refuse the right column.
# The last row, "their own", is read word by word instead: a column is taken unasked only when its
# header is made of nothing but these words (and numbers), even where it is a file's only email
# column. A header with any other word (`Email líder`, `Buddy E-Mail`) is one the tool cannot
# classify, and that is a question (exit 2) naming the words it does not know, never a guess: a
# word missing from the rows above then costs one --email-column, and removes nobody.
_EMAIL_HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "an email": (
        "email", "^mail$", "^mailaddress$", "^mel$", "courriel", "messagerie", "correo", "correio",
        "postaelettronica", "epost", "adresseelectronique", "courrierelectronique",
    ),
    "a manager's": (
        "manager", "mgr", "supervis", "boss", "reportsto", "superior", "vorgesetzt",
        "fuhrungskraft", "fuehrungskraft", "leiter", "leitung", "chef", "leidinggev", "responsab",
        "responsib", "verantwortlich", "superieur", "gestionnaire", "encadrant", "nplus1", "nplus2",
        "jefe", "gerente", "encargad", "gestor", "capo", "lider", "referent", "lead", "teamleid",
        "headof", "departmenthead", "hrbp",
    ),
    "a deputy's": (
        "deputy", "delegat", "delegu", "substitut", "stellvertret", "vertretung", "vertreter",
        "suppleant", "adjoint", "remplacant", "plaatsvervang", "vervanger", "suplente", "sustitut",
        "sostitut", "adjunt", "proxy", "successor", "successeur", "successore", "sucesor",
        "nachfolg", "transferto",
    ),
    "someone else's": (
        "sponsor", "owner", "approv", "approb", "aprob", "aprov", "genehmig", "freigeb",
        "goedkeur", "contact", "kontakt", "ansprechpartner", "contato", "contatto", "assistant",
        "assistent", "asistente", "secretar", "sekretar", "mentor", "adviser", "advisor", "tutor",
        "instructor", "teacher", "coach", "buddy", "betreu", "ausbild", "coordinat", "recruit",
        "partner", "parent", "guardian", "emergency", "spouse", "nextofkin", "reviewer",
        "requester", "requestor", "requestedby", "submittedby", "createdby", "modifiedby",
        "updatedby", "changedby", "processedby", "terminatedby", "sender", "recipient", "author",
    ),
    "a personal": (
        "personal", "personnel", "pessoal", "personlich", "persoenlich", "persoonlijk", "private",
        "privat", "prive", "privad", "particular", "home", "casa", "domicil", "thuis",
    ),
    "a secondary": (
        "secondary", "alternate", "alternativ", "backup", "recovery", "recuper", "authenticat",
        "other", "additional", "previous", "former", "ehemalig", "ancien", "forward", "extern",
    ),
    "their own": (
        "e", "mail", "email", "emails", "address", "addr", "primary", "main", "work", "business",
        "office", "corporate", "company", "official", "school", "university", "institutional",
        "user", "username", "login", "signin", "sign", "in", "account", "upn", "principal", "name",
        "employee", "staff", "member", "student", "worker", "leaver", "person", "required", "value",
        "s", "of", "the", "adresse", "geschaftlich", "geschaftliche", "geschaeftlich",
        "geschaeftliche", "dienstlich", "dienstliche", "arbeit", "arbeits", "firma", "firmen",
        "mitarbeiter", "mitarbeiterin", "mitarbeitende", "beschaftigte", "benutzer", "nutzer",
        "konto", "des", "der", "die", "das", "courriel", "mel", "messagerie", "courrier",
        "electronique", "professionnel", "professionnelle", "pro", "travail", "entreprise",
        "collaborateur", "collaboratrice", "salarie", "employe", "utilisateur", "principale", "de",
        "du", "la", "le", "l", "adres", "zakelijk", "zakelijke", "werk", "bedrijf", "medewerker",
        "gebruiker", "van", "het", "correo", "electronico", "direccion", "trabajo", "corporativo",
        "corporativa", "empresa", "empleado", "empleada", "usuario", "del", "el", "posta",
        "elettronica", "indirizzo", "lavoro", "aziendale", "dipendente", "utente", "di", "della",
        "endereco", "correio", "eletronico", "trabalho", "funcionario", "colaborador", "utilizador",
        "do", "da", "post", "epost", "adress", "adressen",
    ),
}  # fmt: skip
_THEIR_OWN = "their own"
_SOMEONE_ELSES = ("a manager's", "a deputy's", "someone else's")  # the rest are still theirs
_NAMES_AN_EMAIL = re.compile("|".join(_EMAIL_HEADER_WORDS["an email"]))
_NOT_THEIRS = {
    meaning: re.compile("|".join(words))
    for meaning, words in _EMAIL_HEADER_WORDS.items()
    if meaning not in (_THEIR_OWN, "an email")
}
# A compound of their-own words (`emailadresse`, `mailadres`): words of three letters or more, so
# that `e`, `l` or `de` cannot spell an unknown word out of pieces.
_OWN_COMPOUND = re.compile(
    "(?:" + "|".join(w for w in _EMAIL_HEADER_WORDS[_THEIR_OWN] if len(w) > 2) + ")+"
)


def _is_number(choice: str) -> bool:
    return re.fullmatch(r"\s*[0-9]+\s*", choice) is not None


def _asked_column(path: str, names: list[str], choice: str, for_this_file: bool) -> int | None:
    """The index --email-column's choice means in this header: a column's number counting from 1,
    or its header (letter case ignored); None if this file has no such column.

    A number is only a position: given for no file in particular (`--email-column 4`), it must not
    land on a column the tool would refuse by its header (`Manager Email`), as the advice for
    another file, a reordered export or a typo would make it. Such a column needs its header, or
    the number given for this file (`--email-column leavers.csv=4`)."""
    named = [i for i, name in enumerate(names) if name.casefold() == choice.strip().casefold()]
    if _is_number(choice):
        index = int(choice) - 1
        if named and named != [index]:
            meant = f"column {index + 1}" + (f" ({names[index]!r})" if index < len(names) else "")
            other = f"the column headed {names[named[0]]!r} (column {named[0] + 1})"
            raise UsageError(
                f"{path}: --email-column {choice.strip()} could mean {meant} or {other}; rename "
                "that header, or give the number of the one meant"
            )
        if index >= len(names):
            return None
        why = _not_theirs(names[index])
        if why and not for_this_file:
            raise UsageError(
                f"{path}: --email-column {index + 1} is the column {names[index]!r}, which reads as"
                f" {why} address; if it is the one meant, give the number for this file:"
                f" --email-column {shlex.quote(f'{path}={index + 1}')}"
            )
        return index
    return _one_of_a_kind(path, names, named[0]) if named else None


def _one_of_a_kind(path: str, names: list[str], index: int) -> int:
    """`index`, unless its header also heads another column: which of two columns headed alike holds
    the listed people's addresses cannot be known (a manager's `Email` beside the worker's)."""
    alike = [i for i, name in enumerate(names) if name.casefold() == names[index].casefold()]
    if len(alike) > 1:
        numbers = [str(i + 1) for i in alike]
        raise UsageError(
            f"{path}: {len(alike)} columns are named {names[index]!r} (columns "
            f"{', '.join(numbers[:-1])} and {numbers[-1]}); which one holds the listed people's "
            "addresses cannot be told from the header: choose one by its number, "
            + " or ".join(f"--email-column {n}" for n in numbers)
        )
    return index


def _not_theirs(column: str) -> str | None:
    """Whose address a header names when it is not the listed people's work address ("a manager's"),
    or None."""
    key = _header_key(column)
    return next((meaning for meaning, words in _NOT_THEIRS.items() if words.search(key)), None)


def _unknown_words(column: str) -> list[str]:
    """The words of a header that are not their-own words (nor numbers, nor a plural or compound of
    them): none for `E-mail 1 - Value`, `userPrincipalName`, `E-Mail geschäftlich`, `Leavers
    Email`; `lider` for `Email líder`. A header with no word at all has one unknown, itself."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", column)  # camelCase words count one by one
    parts = [_header_key(part) for part in re.split(r"[\W_]+", spaced)]
    words = [word for part in parts for word in re.findall(r"[a-z]+|[0-9]+", part)]
    own = _EMAIL_HEADER_WORDS[_THEIR_OWN]

    def known(word: str) -> bool:
        stem = word[:-1] if word.endswith("s") else word
        return word.isdigit() or any(w in own or _OWN_COMPOUND.fullmatch(w) for w in (word, stem))

    return [word for word in words if not known(word)] if words else [column]


def _reads_as_theirs(column: str) -> bool:
    """The header holds nothing but their-own words and numbers."""
    return not _unknown_words(column)


def _email_column(
    path: str,
    header: list[str],
    rows: list[list[str]],
    wanted: Sequence[str],
    here: Sequence[str] = (),
) -> int:
    """The index of the email column: the first of --email-column's choices for this file (`here`,
    from `FILE=COLUMN`), then for every file (`wanted`), that this file has; or the one the header
    names (when several do, the only one that holds addresses and reads as the listed people's
    own); otherwise an error naming them. A column that reads as someone else's address, or a
    personal one, is never chosen unasked, nor named in the advice."""
    names = [name.strip() for name in header]
    for choice, for_this_file in [(c, True) for c in here] + [(c, False) for c in wanted]:
        index = _asked_column(path, names, choice, for_this_file)
        if index is not None:
            return index
    wanted = [*here, *wanted]
    if wanted:
        named = " or ".join(repr(c) for c in wanted if not _is_number(c))
        numbered = " or ".join(c.strip() for c in wanted if _is_number(c))
        pairs = [("named", named), ("numbered", numbered)]
        asked = " or ".join(f"{how} {which}" for how, which in pairs if which)
        columns = ", ".join(f"{n} {name!r}" for n, name in enumerate(names, 1))
        raise UsageError(
            f"{path}: no column is {asked} (--email-column); its columns: {columns}. Give "
            "--email-column once more with this file's email column, by header or number (each "
            "file uses the first it has)"
        )
    candidates = [i for i, name in enumerate(names) if _names_email(name)]
    if not candidates:
        raise UsageError(
            f"{path}: the header names no email column (expected one such as Email, Work Email or"
            " E-mail 1 - Value); rename it, or choose it with --email-column"
        )
    rejected = {i: why for i in candidates for why in [_not_theirs(names[i])] if why}
    left = [i for i in candidates if i not in rejected]

    def listed(columns: Iterable[int]) -> str:
        return "; ".join(
            f"{names[i]!r}: {rejected[i]} address" if i in rejected else repr(names[i])
            for i in columns
        )

    if not left:
        raise UsageError(
            f"{path}: no column holds the listed people's own address ({listed(candidates)}); "
            "export the column with the address each person has in AAC, or, if one of these is it "
            "after all, name it with --email-column"
        )
    # A column that holds no address cannot be the one (Google Contacts' `E-mail 1 - Type` holds
    # words; an empty column, nothing; Outlook's `E-mail Display Name` only `Name (address)`).
    # Every column with one cell that is an address (or Google's `a ::: b`) competes, however
    # few: a column that lost for one bad cell (`TBD`, `a ::: b`) would hand the whole file to
    # another, the person's second or home address, silently. That cell is refused, by its line.
    holding = [i for i in left if any(i < len(r) and _an_address_cell(r[i]) for r in rows)]
    pick = holding if len(holding) == 1 else left if len(left) == 1 else []
    if len(pick) == 1 and _reads_as_theirs(names[pick[0]]):
        return _one_of_a_kind(path, names, pick[0])
    for i in holding or left:
        _one_of_a_kind(path, names, i)  # a header twice among those that could be theirs: by number
    if len(candidates) == 1:
        unknown = ", ".join(repr(word) for word in _unknown_words(names[left[0]]))
        raise UsageError(
            f"{path}: the only email column, {names[left[0]]!r}, does not say whose address it"
            f" holds (the tool does not know {unknown}); if it holds the listed people's own"
            f" addresses, name it with --email-column {names[left[0]]!r}"
        )
    example = next((names[i] for i in holding or left if _reads_as_theirs(names[i])), None)
    advice = (
        f"choose one with --email-column, for example --email-column {example!r}"
        if example
        else (
            "none of them reads as the listed people's own address: look at the file and name the "
            "right one with --email-column (its header, or its number counting from 1)"
        )
    )
    raise UsageError(f"{path}: several columns name an email ({listed(candidates)}); {advice}")


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str, what: str, host_only: bool = False) -> str:
    """https only; plain http is allowed for loopback hosts (the fake server) and nothing else.
    With `host_only` (the base URL), a path is refused: the tool adds /v4/... itself."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{what} {url!r} is not a URL; expected something like {DEFAULT_BASE_URL}")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise UsageError(
            f"{what} {url!r} must use https (plain http is only allowed for 127.0.0.1 and"
            " localhost)"
        )
    if host_only and (parts.path.strip("/") or parts.query or parts.fragment):
        raise UsageError(
            f"{what} {url!r} has a path; give the host only, such as"
            f" {parts.scheme}://{parts.netloc}"
        )
    return url.strip().rstrip("/")


def strip_bearer(token: str) -> str:
    """A token pasted with its `Bearer ` prefix (copied from a header) is the same token."""
    return re.sub(r"^\s*bearer\s+", "", token, flags=re.IGNORECASE).strip()


def token_home(token: str | None, base_url: str) -> str | None:
    """The AAC host a token was issued for (its `iss` claim names a region), when that is not
    base_url's region; None when the token does not say or says the same."""
    iss = jwt_claims(token).get("iss")
    if not isinstance(iss, str):
        return None
    region = _aac_region(urllib.parse.urlsplit(iss).hostname)
    if region is None or region == _aac_region(urllib.parse.urlsplit(base_url).hostname):
        return None
    return f"https://{region}.alteryxcloud.com"


def _aac_region(host: str | None) -> str | None:
    """`eu1` for eu1.alteryxcloud.com or a regional service host like auth-eu1.alteryxcloud.com."""
    host = (host or "").casefold()
    if not host.endswith(".alteryxcloud.com"):
        return None
    match = re.search(r"(?:^|[.-])([a-z]{2}\d+)(?=[.-])", host)
    return match.group(1) if match else None


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from x-retry-after or Retry-After (seconds or an HTTP date); None if
    absent."""
    for name in ("x-retry-after", "Retry-After"):
        value = (headers.get(name) or "").strip()
        if not value:
            continue
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        return max(0.0, when.timestamp() - (time.time() if now is None else now))
    return None


def backoff_delay(attempt: int, rng: random.Random = random.Random()) -> float:
    """Exponential backoff with jitter: about base * 2^(attempt-1), capped, scaled by 0.5 to 1."""
    return min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1)) * rng.uniform(0.5, 1.0)


_JWT_SHAPE = re.compile(r"eyJ[\w-]*\.[\w-]+\.[\w-]*")


def jwt_claims(token: str | None) -> dict[str, Any]:
    """The payload of a JWT, unverified (only to read exp, iss and client_id); {} if not a JWT."""
    if not token or token.count(".") != 2:
        return {}
    payload = token.split(".")[1]
    try:
        claims = json.loads(_b64url(payload))
    except (ValueError, UnicodeDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def error_message(body: bytes, content_type: str) -> str:
    """The server's message from an AAC `{"exception": ...}` body, an OAuth error, or an HTML
    page."""
    text = body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        exc = data.get("exception")
        if isinstance(exc, dict):
            message = str(exc.get("message") or exc.get("name") or "")
            details = exc.get("details")
            if isinstance(details, str) and details and details != message:
                message = f"{message} ({details})"
            return redact(message)
        if "error" in data:
            return redact(f"{data['error']}: {data.get('error_description', '')}".rstrip(": "))
        if "message" in data:
            return redact(str(data["message"]))
    if "html" in content_type or text.lstrip().startswith("<"):
        # Gateways put the useful words in a heading; the title is often just the status code.
        match = re.search(r"<h1[^>]*>(.*?)</", text, re.S | re.I) or re.search(
            r"<title[^>]*>(.*?)</", text, re.S | re.I
        )
        text = html.unescape(re.sub(r"<[^>]+>", " ", match.group(1) if match else text))
    return redact(" ".join(text.split())[:200])


_UNSAFE_ON_SCREEN = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]"
)


def shown(text: str) -> str:
    """Text made safe for a terminal or a log line: control characters (ESC, CR, LF, BEL,
    backspace) and bidi overrides become visible escapes, so that a member's name cannot move the
    cursor, erase the line above it, or forge a line of its own. Files keep the exact values."""
    return _UNSAFE_ON_SCREEN.sub(
        lambda m: repr(m.group())[1:-1] if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
        text,
    )


def csv_safe(value: Any) -> str:
    """Reports are opened in spreadsheets: a cell starting with = + - @ would run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def file_slug(name: str) -> str:
    """A name made safe as part of a file name on every platform."""
    return re.sub(r"[^\w.-]+", "_", name).strip("._") or "workspace"


def people_count(n: int) -> str:
    return "1 person" if n == 1 else f"{n} people"


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------
# The terminal: the process's streams and keyboard. Results on stdout, the rest on stderr, redacted
# ---------------------------------------------------------------------------------------------


class Terminal:
    """Where output goes, whether a person is there to answer, and the questions put to them.

    Every line passes through redact() and shown(), so that neither a token nor a member's name
    with escape sequences in it reaches the screen. A stream that fails to take a write is dropped
    for the rest of the run instead of failing it. Tests hand in their own streams; by default the
    process's own are looked up at each write (so that pytest's capture sees them).
    """

    def __init__(
        self,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
    ) -> None:
        self._stdin, self._stdout, self._stderr = stdin, stdout, stderr
        self.lock = threading.Lock()
        self.lost: set[int] = set()  # ids of the streams a write failed on: never written again
        self._status = ""  # the progress line wanted at the bottom of a live terminal
        self._shown_status = ""  # the one on the screen now

    @property
    def stdin(self) -> TextIO:
        return self._stdin or sys.stdin

    @property
    def stdout(self) -> TextIO:
        return self._stdout or sys.stdout

    @property
    def stderr(self) -> TextIO:
        return self._stderr or sys.stderr

    @property
    def interactive(self) -> bool:
        """True when standard input is a terminal: someone is there to answer a question."""
        try:
            return self.stdin.isatty()
        except (AttributeError, ValueError):  # closed, or not a file at all
            return False

    @property
    def live(self) -> bool:
        """True when stderr is a terminal, where one line can be rewritten in place (progress)."""
        try:
            return self.stderr.isatty()
        except (AttributeError, ValueError):
            return False

    def line(self, stream: TextIO, text: str) -> None:
        self.write(stream, redact(shown(text)) + "\n")

    def status(self, text: str) -> None:
        """The one line that updates in place at the bottom of a live terminal (progress); ""
        takes it away. Lines written meanwhile appear above it. Off a terminal: nothing."""
        if not self.live:
            return
        text = redact(shown(text))
        with self.lock:
            self._status = text
        self.write(self.stderr, "")

    def write(self, stream: TextIO, text: str) -> None:
        """Text as it is (a prompt, a CSV line): the caller has made it safe to show."""
        with self.lock:
            if id(stream) in self.lost:
                return
            if self._shown_status and (text or self._status != self._shown_status):
                # Wiped with spaces, not an escape sequence: a Windows console shows escape
                # sequences as text unless told otherwise, and "\r" works everywhere.
                self._put(self.stderr, "\r" + " " * len(self._shown_status) + "\r")
                self._shown_status = ""
            self._put(stream, text)
            if self._status and not self._shown_status and (not text or text.endswith("\n")):
                self._put(self.stderr, self._status)  # back at the bottom, below what was written
                self._shown_status = self._status

    def _put(self, stream: TextIO, text: str) -> None:
        if not text or id(stream) in self.lost:
            return
        try:
            stream.write(text)
            stream.flush()
        except OSError:
            # `| head` has read enough (EPIPE), the terminal hung up with the SSH session
            # (EIO), the log's disk is full (ENOSPC): go on without this stream. The run,
            # its report and its exit code must not depend on anyone still reading.
            self.lost.add(id(stream))
            quiet_broken_pipes()

    def ask(self, prompt: str) -> str | None:
        """One line typed at the terminal, trimmed; None at the end of input."""
        self.write(self.stderr, redact(prompt))
        with self._ending_the_prompt_line():
            line = self.stdin.readline()
        return line.strip() if line else None

    def ask_hidden(self, prompt: str) -> str:
        """A secret, not echoed. getpass reads the controlling terminal itself, so a test's own
        stdin is read as a plain line instead."""
        if self._stdin is not None:
            return self.ask(prompt) or ""
        try:
            with self._ending_the_prompt_line():
                return getpass.getpass(prompt, stream=self.stderr).strip()
        except EOFError:
            return ""

    @contextlib.contextmanager
    def _ending_the_prompt_line(self) -> Iterator[None]:
        """Ctrl-C at a prompt: the message that follows starts on a line of its own."""
        try:
            yield
        except KeyboardInterrupt:
            self.write(self.stderr, "\n")
            raise


class Progress:
    """How far a long piece of work has come: done of total, the rate, and the time left.

    The rate is measured over the last RATE_WINDOW seconds, not since the start: a run that the
    quota slowed down (or a pause that ended) shows the pace it has now, so the ETA is honest.
    The clock is a parameter so that tests need not wait.
    """

    def __init__(self, total: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.total = total
        self.clock = clock
        self.started = clock()
        self.done = 0
        self.recent: collections.deque[float] = collections.deque()  # when the recent ones ended

    def advance(self, n: int = 1) -> None:
        now = self.clock()
        self.done += n
        self.recent.extend([now] * n)
        while self.recent and self.recent[0] <= now - RATE_WINDOW:
            self.recent.popleft()

    def rate(self) -> float | None:
        """Per second, over the recent window; None until there is something to measure."""
        now = self.clock()
        while self.recent and self.recent[0] <= now - RATE_WINDOW:
            self.recent.popleft()
        span = min(now - self.started, RATE_WINDOW)
        if not self.recent or span < 1.0:
            return None
        return len(self.recent) / span

    def eta(self) -> float | None:
        """Seconds left at the recent rate; None when it cannot be told."""
        rate = self.rate()
        return (self.total - self.done) / rate if rate else None

    def figures(self, waiting: float | None = None) -> str:
        """`123 of 5,000 (2%), 8.1 a second, ETA 10:02`, and a wait for the quota if there is
        one."""
        percent = 100 * self.done // self.total if self.total else 100
        text = f"{self.done:,} of {self.total:,} ({percent}%)"
        rate, eta = self.rate(), self.eta()
        if rate is not None:
            text += f", {rate:.1f} a second"
        if eta is not None and self.done < self.total:
            text += f", ETA {clock_time(eta)}"
        if waiting:
            text += f"; waiting {math.ceil(waiting)} s for the quota"
        return text


def clock_time(seconds: float) -> str:
    """`m:ss`, or `h:mm:ss` from an hour on."""
    whole = int(math.ceil(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Console:
    """How a run tells what happens. Lines by kind: results (the plan, the summary) on stdout, or
    on stderr under --json; progress and diagnostics on stderr; warnings collected for the --json
    document. Events (the plan, each outcome, the summary) go to its sinks (tell), the faces of
    the tool; every line goes to them too. No stage of a run writes to a stream itself."""

    def __init__(
        self,
        verbosity: int = 0,
        json_mode: bool = False,
        terminal: Terminal | None = None,
        sinks: Sequence[Sink] = (),
    ) -> None:
        self.verbosity = verbosity  # -1 quiet, 0 normal, 1 verbose
        self.json_mode = json_mode  # stdout is kept for the one JSON document
        self.terminal = terminal or Terminal()
        self.muted = False  # after a second Ctrl-C, late workers stay silent
        self.warnings: list[str] = []
        self.sinks: list[Sink] = list(sinks)

    def tell(self, event: str, *args: Any) -> None:
        """One event, to every sink (Sink names them all)."""
        for sink in self.sinks:
            getattr(sink, event)(*args)

    def _write(self, stream: TextIO, text: str, kind: str) -> None:
        if not self.muted:
            self.terminal.line(stream, text)
            for sink in self.sinks:
                sink.line(kind, text)

    def result(self, text: str = "") -> None:
        stream = self.terminal.stderr if self.json_mode else self.terminal.stdout
        self._write(stream, text, "result")

    def raw(self, text: str) -> None:
        self._write(self.terminal.stderr, text, "raw")

    def info(self, text: str) -> None:
        if self.verbosity >= 0:
            self._write(self.terminal.stderr, text, "info")

    def debug(self, text: str) -> None:
        if self.verbosity >= 1:
            self._write(self.terminal.stderr, text, "debug")

    def warn(self, text: str) -> None:
        self.warnings.append(redact(text))
        self._write(self.terminal.stderr, f"{PROG}: warning: {text}", "warning")

    def error(self, text: str) -> None:
        self._write(self.terminal.stderr, f"{PROG}: error: {text}", "error")


# ---------------------------------------------------------------------------------------------
# Tokens: a plain access token, or a token file whose rotating refresh token is kept up to date
# ---------------------------------------------------------------------------------------------


@dataclass
class TokenFile:
    """What a token file holds: the token endpoint's answer, plus optional client_id and
    token_url."""

    path: str
    data: dict[str, Any]

    @classmethod
    def read(cls, path: str) -> "TokenFile":
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except OSError as exc:
            raise UsageError(f"cannot read the token file {path}: {exc.strerror or exc}") from None
        text = text.strip()
        if text.startswith("{"):
            try:
                data = json.loads(text)
            except ValueError:
                raise UsageError(f"the token file {path} is not valid JSON") from None
            if not isinstance(data, dict):
                raise UsageError(f"the token file {path} must hold a JSON object")
        else:
            data = {"access_token": strip_bearer(text)} if text else {}
        for key in ("access_token", "refresh_token"):
            if isinstance(data.get(key), str):
                where = f"{key} in the token file {path}"
                data[key] = clean_token(data[key], where, access=key == "access_token")
        return cls(path, data)

    def write(self, data: dict[str, Any]) -> None:
        """Atomically: a temporary file beside it, flushed and synced, renamed over it, mode
        0600."""
        folder = os.path.dirname(os.path.abspath(self.path))
        fd, tmp = tempfile.mkstemp(prefix=".token-", dir=folder)
        try:
            os.chmod(tmp, 0o600)  # not os.fchmod: Windows has none (there the folder's ACL decides)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2)
                handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        with contextlib.suppress(OSError):
            dir_fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        self.data = data


class Tokens:
    """The access token in use, and the one refresh at a time that replaces it."""

    def __init__(
        self,
        access_token: str | None,
        *,
        token_file: TokenFile | None = None,
        client_id: str | None = None,
        token_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        console: Console | None = None,
    ) -> None:
        self.access_token = access_token
        self.file = token_file
        self.client_id = client_id
        self.token_url = token_url
        self.timeout = timeout
        self.console = console or Console()
        self.generation = 0  # bumps on every refresh; lets waiting workers reuse its result
        self.proven = True  # False from a refresh until the server first accepts the new token
        self.failure: TokenError | None = None  # a failed refresh is final for this run
        self.lock = threading.Lock()
        register_secret(access_token)

    @property
    def refresh_token(self) -> str | None:
        return self.file.data.get("refresh_token") if self.file else None

    @property
    def can_refresh(self) -> bool:
        return bool(self.refresh_token)

    def current(self) -> tuple[str, int]:
        with self.lock:
            if self.failure is not None:
                raise self.failure
            return self.access_token or "", self.generation

    def accepted(self, generation: int) -> None:
        if not self.proven:
            with self.lock:
                if generation == self.generation:
                    self.proven = True

    def rejected_fresh(self, generation: int) -> bool:
        """A 401 on the token a refresh just made means the new pair itself was rejected."""
        with self.lock:
            return generation == self.generation and not self.proven

    def expires_soon(self) -> bool:
        if not self.access_token:
            return True
        exp = jwt_claims(self.access_token).get("exp")
        if exp is None and self.file:
            exp = self.file.data.get("expires_at")
        try:
            return exp is not None and float(exp) - time.time() < REFRESH_MARGIN
        except (TypeError, ValueError):
            return False

    def wait_idle(self) -> None:
        """Waits (bounded) for a refresh under way in another thread, so that its new pair is
        saved."""
        if self.lock.acquire(timeout=self.timeout * MAX_ATTEMPTS + 5):
            self.lock.release()

    def hold(self) -> None:
        """The process is ending while another thread may use these tokens: waits (bounded, as
        wait_idle) for a refresh under way, so that its new pair is saved, and keeps the lock, so
        that no refresh starts after. One cut off by the end, once the server had rotated the
        pair, would lose the only live refresh token."""
        self.lock.acquire(timeout=self.timeout * MAX_ATTEMPTS + 5)

    def prepare(self) -> None:
        """Before the first call: refresh if the access token is missing or about to expire; stop
        if it has expired and cannot be renewed, since every request would only get a 401."""
        if self.can_refresh and self.expires_soon():
            self.refresh(self.generation)
        exp = jwt_claims(self.access_token).get("exp")
        if (
            not self.can_refresh
            and isinstance(exp, (int, float))
            and not isinstance(exp, bool)
            and exp < time.time()
        ):
            when = dt.datetime.fromtimestamp(exp, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
            raise TokenError(
                f"the access token expired at {when} ({_ago(time.time() - exp)} ago) and there is"
                f" no refresh token to renew it; make a new token pair in AAC ({TOKEN_HELP_PATH}),"
                " best kept in a --token-file"
            )

    def refresh(self, seen_generation: int) -> None:
        """Refresh once for everyone: a worker whose 401 predates the last refresh just retries."""
        with self.lock:
            if self.failure is not None:
                raise self.failure
            if self.generation != seen_generation:
                return
            if not self.can_refresh:
                raise TokenError(
                    "the access token was rejected and there is no refresh token to renew it"
                )
            assert self.file is not None
            try:
                with _FileLock(self.file.path):
                    # Another run sharing this file may have refreshed while we waited for the lock.
                    on_disk = TokenFile.read(self.file.path)
                    if (
                        on_disk.data.get("refresh_token")
                        and on_disk.data.get("refresh_token") != self.refresh_token
                    ):
                        self.console.debug(
                            "token file: another run already refreshed; using its token pair"
                        )
                        self.file = on_disk
                        self.access_token = on_disk.data.get("access_token")
                    else:
                        self._refresh_now()
            except OSError as exc:
                self.failure = TokenError(
                    f"cannot lock or read the token file {self.file.path}: {exc.strerror or exc}"
                )
                raise self.failure from None
            except TokenError as exc:
                self.failure = exc
                raise
            self.generation += 1
            self.proven = False

    def _refresh_now(self) -> None:
        assert self.file is not None and self.token_url and self.client_id
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self.refresh_token,
            "client_id": self.client_id,
        }
        answer = None
        waited = 0.0
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                # A fresh connection each time: a stale pooled one would make a lost answer
                # likelier.
                answer = _send_within(
                    lambda **bound: requests.post(
                        self.token_url,
                        data=form,
                        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
                        allow_redirects=False,
                        **bound,
                    ),
                    self.timeout,
                )
            except requests.RequestException as exc:
                why, hopeless = describe_network_failure(exc, self.token_url, self.timeout)
                if _never_connected(exc) and not hopeless and attempt < MAX_ATTEMPTS:
                    time.sleep(backoff_delay(attempt))
                    continue
                if _never_connected(exc) or hopeless:
                    raise TokenError(
                        f"POST {_path_of(self.token_url)}: the token refresh got no answer: {why}"
                    ) from None
                raise TokenError(
                    f"POST {_path_of(self.token_url)}: the token refresh got no answer ({why}). The"
                    " refresh token may already be used up: if the next run fails too, make a new"
                    f" token pair in AAC ({TOKEN_HELP_PATH})"
                ) from None
            if answer.status_code in (429, 503) and attempt < MAX_ATTEMPTS:
                wait = parse_retry_after(answer.headers) or backoff_delay(attempt)
                # the refresh token was not used up: a later run can refresh
                if waited + wait > MAX_REFRESH_WAIT:
                    raise TokenError(
                        f"POST {_path_of(self.token_url)}: HTTP {answer.status_code} asking to wait"
                        f" {wait:.0f} s; the token refresh waits at most {MAX_REFRESH_WAIT:.0f} s"
                        " in all. Re-run the same command later"
                    )
                waited += wait
                time.sleep(wait)
                continue
            break
        assert answer is not None
        try:
            data = answer.json()
        except ValueError:
            data = None
        if answer.status_code != 200 or not isinstance(data, dict) or not data.get("access_token"):
            message = error_message(answer.content, answer.headers.get("Content-Type", ""))
            if isinstance(data, dict) and data.get("error") == "invalid_grant":
                raise TokenError(
                    "the refresh token has expired or was already used (invalid_grant); make a new"
                    f" token pair in AAC ({TOKEN_HELP_PATH}) and put it in the token file"
                )
            raise TokenError(
                f"POST {_path_of(self.token_url)}: HTTP {answer.status_code}: {message}. The token"
                " refresh failed; the refresh token may be used up: if so, make a new token pair"
                f" in AAC ({TOKEN_HELP_PATH})"
            )
        register_secret(data.get("access_token"))
        register_secret(data.get("refresh_token"))
        new = dict(self.file.data)
        new.update(data)
        if not data.get("refresh_token"):
            new["refresh_token"] = self.refresh_token
        if data.get("expires_in"):
            with contextlib.suppress(TypeError, ValueError):
                new["expires_at"] = int(time.time() + float(data["expires_in"]))
        # Saved before it is used: the old refresh token is dead now, and losing the new one would
        # lock every later scheduled run out.
        try:
            self.file.write(new)
        except OSError as exc:
            raise TokenError(
                f"the refreshed token pair could not be saved to {self.file.path}"
                f" ({exc.strerror or exc}); the refresh token in that file is no longer valid, so"
                f" make a new token pair in AAC ({TOKEN_HELP_PATH})"
            ) from None
        self.access_token = new["access_token"]
        self.console.info("Refreshed the access token; the token file holds the new pair.")


def _ago(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 120:
        return f"{minutes} minute{'s' * (minutes != 1)}"
    hours = minutes // 60
    return f"{hours} hours" if hours < 48 else f"{hours // 24} days"


def _never_connected(exc: BaseException) -> bool:
    """True when the request cannot have reached the server, so a retry cannot burn a token."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    names = ("NewConnectionError", "ConnectTimeoutError", "NameResolutionError")
    return any(type(seen).__name__ in names for seen in _exception_chain(exc))


def _path_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


class _FileLock:
    """An exclusive lock on a token file, so that two runs never refresh (and rotate) at once.

    fcntl.flock on the file itself where fcntl exists (Linux, macOS); msvcrt.locking on a
    `<file>.lock` beside it on Windows (a locked region there blocks reads, and an open file
    cannot be renamed over); and, where neither module exists, a `<file>.lock` created with
    O_EXCL and deleted afterwards. Either lock is waited for at most LOCK_WAIT seconds. Only the
    O_EXCL kind can outlive a run that dies: a lock file older than LOCK_STALE seconds is taken
    as stale and removed; a younger one makes the wait end with a message naming it.
    """

    def __init__(self, path: str, wait: float = LOCK_WAIT) -> None:
        self.path = path
        self.lock_path = path + ".lock"
        self.wait = wait
        self.handle: Any = None
        self.release: Callable[[], None] | None = None

    def __enter__(self) -> "_FileLock":
        deadline = time.monotonic() + self.wait
        try:
            import fcntl
        except ImportError:
            fcntl = None
        try:
            import msvcrt
        except ImportError:
            msvcrt = None
        if fcntl is not None:
            self._flock(fcntl, deadline)
        elif msvcrt is not None:
            self._msvcrt(msvcrt, deadline)
        else:
            self._exclusive_file(deadline)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.release is not None:
            self.release()
            self.release = None

    def _flock(self, fcntl: Any, deadline: float) -> None:
        while True:
            handle = open(self.path, encoding="utf-8")
            if not self._retry(
                lambda: fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB),
                BlockingIOError,
                deadline,
                handle.close,
            ):
                continue
            try:
                same = os.fstat(handle.fileno()).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self.release = lambda: (fcntl.flock(handle.fileno(), fcntl.LOCK_UN), handle.close())
                return
            handle.close()  # replaced while we waited: lock the new file instead

    def _msvcrt(self, msvcrt: Any, deadline: float) -> None:
        handle = open(self.lock_path, "a+b")

        def lock() -> None:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

        # msvcrt says "locked by another process" with EACCES or EDEADLOCK: any OSError but a
        # missing file.
        while not self._retry(lock, OSError, deadline, handle.close):
            handle = open(self.lock_path, "a+b")

        def release() -> None:
            handle.seek(0)
            with contextlib.suppress(OSError):
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
            handle.close()

        self.release = release

    def _exclusive_file(self, deadline: float) -> None:
        def create() -> None:
            fd = os.open(self.lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(f"pid {os.getpid()} at {utc_now()}\n")

        # Windows answers PermissionError for a lock file that is being deleted.
        while not self._retry(
            create, (FileExistsError, PermissionError), deadline, self._remove_if_stale
        ):
            pass
        self.release = lambda: os.unlink(self.lock_path)

    def _remove_if_stale(self) -> None:
        with contextlib.suppress(OSError):
            if time.time() - os.stat(self.lock_path).st_mtime > LOCK_STALE:
                os.unlink(self.lock_path)

    def _retry(
        self, attempt: Callable[[], None], busy: Any, deadline: float, on_busy: Callable[[], None]
    ) -> bool:
        """True once attempt() got the lock; False after on_busy() and a short sleep: try again.
        Only `busy` errors mean "held by another run"; any other error is raised."""
        try:
            attempt()
            return True
        except busy as exc:
            if isinstance(exc, FileNotFoundError):
                raise
            on_busy()
        if time.monotonic() > deadline:
            raise TokenError(
                f"another run has held the lock on the token file {self.path} for over"
                f" {self.wait:.0f} s; if no other run is going, delete {self.lock_path} if it"
                " exists, and try again"
            )
        time.sleep(0.05)
        return False


# ---------------------------------------------------------------------------------------------
# Pace: one for every worker, since a 429 is about the workspace's quota, not one request's
# ---------------------------------------------------------------------------------------------


class Ticket(NamedTuple):
    """A request's place in the pace: when it was let go, and how many went before it."""

    time: float
    index: int


class Pacer:
    """One pace for every worker, since a 429 is about the workspace's quota, not one request's.

    - A wait the server names (`x-retry-after`, `Retry-After`) pauses every worker until then.
    - `x-rate-limit-<window>-remaining` and `-reset`: nothing is sent that would exceed the
      remaining budget before the reset (requests still in flight count as spent).
    - A 429 that names no wait, or a zero wait, while 429s are rare (at most STRAY_MAX among the
      last RECENT answers, itself included) is a stray: only that request is retried, after a short
      backoff, and the pace is left alone, so that a gateway's hiccup costs one request a blink.
    - Any other 429 sets the pace a little under (MARGIN) what the server accepted since the last
      cut, measured in sending time (named waits and idle gaps excluded) and over at least
      MIN_WINDOW of it. From there the pace rises by PROBE a second of sending time, probing slowly
      for more: each probe that finds the limit costs one cut, so slow probes mean few 429s.

    Halving the pace on every 429 (the classic answer) settles near half of a sliding-window quota,
    since recovery takes longer than the quota takes to refill. The clock and sleep are parameters
    so that tests drive the pace without waiting.
    """

    RECENT = 100
    STRAY_MAX = 3
    MARGIN = 0.95
    PROBE = 0.005  # the pace grows about 0.5% a second of sending time after a cut
    MIN_WINDOW = 1.0
    MIN_RATE = 0.5
    IDLE_GAP = 1.0  # a pause in asking longer than this (planning, a prompt) is not sending time

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.clock, self.sleep, self.wall = clock, sleep, wall
        self.lock = threading.Lock()
        self.sent = 0
        self.last_grant: float | None = None
        self.pause_from = self.pause_until = -math.inf
        self.excluded = 0.0  # seconds of past pauses and idle gaps: not sending time
        self.rate: float | None = None  # requests a second; None: as fast as the workers go
        self.rate_from = 0.0  # sending time when the rate was set
        self.next_slot = -math.inf
        self.cut_index = 0  # requests sent before the last cut
        self.first = self.since = 0.0  # sending time of the first request, and of the last cut
        self.accepted_since = 0
        # sending times, last MIN_WINDOW
        self.accepted: collections.deque[float] = collections.deque()
        self.recent: collections.deque[bool] = collections.deque(maxlen=self.RECENT)  # True: a 429
        # window -> [requests left, reset time, as reported]
        self.budgets: dict[str, list[float]] = {}

    # -- asking ------------------------------------------------------------------------------
    def wait_turn(self, stop: threading.Event | None = None) -> Ticket:
        """Blocks until this request may go; with `stop`, raises Stopped when it is set
        meanwhile."""
        first_look = True
        while True:
            with self.lock:
                now = self.clock()
                for name, (left, reset, _) in self.budgets.items():
                    if left < 1 and reset - now > MAX_RETRY_WAIT:
                        raise BudgetSpent(name, reset - now)  # a daily quota, say: like a long 429
                ready = self._ready_at(now)
                if ready <= now:
                    return self._grant(now, first_look)
                wait = min(ready - now, 0.25)
            first_look = False
            if stop is not None:
                if stop.wait(wait):
                    raise Stopped(None, False)
            else:
                self.sleep(wait)

    def delay(self) -> float:
        """Seconds until the next request may go (0: now)."""
        with self.lock:
            now = self.clock()
            return max(0.0, self._ready_at(now) - now)

    def current_rate(self) -> float | None:
        with self.lock:
            return self._rate(self.clock()) if self.rate is not None else None

    def _ready_at(self, now: float) -> float:
        ready = self.pause_until
        if self.rate is not None:
            ready = max(ready, self.next_slot)
        for name, (left, reset, _) in list(self.budgets.items()):
            if now >= reset:
                del self.budgets[name]  # a new window: unknown until an answer says
            elif left < 1:
                wait = min(reset - now, MAX_RETRY_WAIT)  # a longer one stops wait_turn instead
                self._pause(now, wait)  # a wait the server named, like x-retry-after
                ready = max(ready, now + wait)
        return ready

    def _grant(self, now: float, asked_now: bool) -> Ticket:
        if self.last_grant is None:
            self.first = self.since = now - self.excluded
        elif asked_now and now - max(self.last_grant, self.pause_until) > self.IDLE_GAP:
            self.excluded += now - max(self.last_grant, self.pause_until)  # nobody was asking
        self.last_grant = now
        if self.rate is not None:
            self.next_slot = max(now, self.next_slot) + 1.0 / self._rate(now)
        for budget in self.budgets.values():
            budget[0] -= 1
        self.sent += 1
        return Ticket(now, self.sent)

    # -- answers -----------------------------------------------------------------------------
    def on_answer(self, ticket: Ticket, status: int, headers: Mapping[str, str]) -> None:
        """Every answer: counts it (429 or accepted) and reads any rate-limit budget it carries."""
        budgets = _rate_limit_budgets(headers, self.wall)
        with self.lock:
            now = self.clock()
            self.recent.append(status == 429)
            if status != 429:
                active = self._active(now)
                self.accepted.append(active)
                while self.accepted[0] < active - self.MIN_WINDOW:
                    self.accepted.popleft()
                self.accepted_since += 1
            for name, remaining, reset_in in budgets:
                # later requests may not be counted yet
                left = remaining - (self.sent - ticket.index)
                old = self.budgets.get(name)
                if old is None or remaining > old[2] or now >= old[1]:
                    self.budgets[name] = [left, now + reset_in, remaining]  # a new window
                else:
                    self.budgets[name] = [min(old[0], left), max(old[1], now + reset_in), remaining]

    def on_throttle(self, ticket: Ticket, wait: float | None) -> bool:
        """A 429 (after on_answer). Returns True for a stray: retry that request alone, shortly."""
        with self.lock:
            now = self.clock()
            if wait:
                self._pause(now, wait)
            elif sum(self.recent) <= self.STRAY_MAX:
                return True
            if ticket.index <= self.cut_index:
                return False  # sent before our last cut: part of the burst we already reacted to
            active = self._active(now)
            span = active - self.since
            if span >= self.MIN_WINDOW:
                accepted = self.accepted_since / span
            else:
                # the last second's, however young the run
                accepted = len(self.accepted) / self.MIN_WINDOW
            self.rate = max(self.MIN_RATE, self.MARGIN * accepted)
            self.rate_from = active
            self.next_slot = max(self.next_slot, self.pause_until)
            self.cut_index, self.since, self.accepted_since = self.sent, active, 0
            return False

    # -- sending time: the clock without named waits and idle gaps ----------------------------
    def _pause(self, now: float, wait: float) -> None:
        if now >= self.pause_until:
            if self.pause_until > -math.inf:
                self.excluded += self.pause_until - self.pause_from
            self.pause_from = now
        self.pause_until = max(self.pause_until, now + wait)

    def _active(self, now: float) -> float:
        pausing = (
            max(0.0, min(now, self.pause_until) - self.pause_from)
            if self.pause_until > -math.inf
            else 0.0
        )
        return now - self.excluded - pausing

    def _rate(self, now: float) -> float:
        assert self.rate is not None
        return self.rate * math.exp(self.PROBE * max(0.0, self._active(now) - self.rate_from))


_BUDGET_HEADER = re.compile(r"x-rate-?limit-(?:(.+)-)?remaining", re.I)


def _rate_limit_budgets(
    headers: Mapping[str, str], wall: Callable[[], float]
) -> list[tuple[str, float, float]]:
    """(window, requests remaining, seconds to its reset) from x-rate-limit-*-remaining/-reset
    pairs.

    A reset is read as seconds from now, or as a Unix time (seconds or milliseconds) when it is
    one."""
    found = []
    lowered = {
        name.lower(): value for name, value in headers.items() if name[:6].lower() == "x-rate"
    }
    for name, value in lowered.items():
        match = _BUDGET_HEADER.fullmatch(name)
        if not match:
            continue
        try:
            remaining = float(value)
            reset = float(lowered.get(name[: -len("remaining")] + "reset") or "")
        except ValueError:
            continue
        if reset > 1e12:
            reset = reset / 1000 - wall()
        elif reset > 1e9:
            reset -= wall()
        if not (math.isfinite(remaining) and math.isfinite(reset)) or reset < 0:
            continue  # NaN, infinite or past: no budget, never a wait without bound
        found.append((match.group(1) or "", remaining, reset))
    return found


# ---------------------------------------------------------------------------------------------
# The API client: the only place that knows URLs, headers, retries and error shapes
# ---------------------------------------------------------------------------------------------


@dataclass
class Answer:
    method: str
    path: str
    status: int
    body: bytes
    content_type: str
    request_id: str | None
    # an earlier attempt's answer was lost (or a 502/504): it may have acted
    retried_after_no_answer: bool = False

    def json(self) -> Any:
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    @property
    def message(self) -> str:
        return error_message(self.body, self.content_type)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def error(self, prefix: str = "") -> ApiError:
        reason = self.message or _reason(self.status)
        return ApiError(self.method, self.path, prefix + reason, self.status, self.request_id)


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "unexpected answer"


class AacClient:
    def __init__(
        self,
        base_url: str,
        tokens: Tokens,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        console: Console | None = None,
        pacer: Pacer | None = None,
        stop: threading.Event | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.timeout = timeout
        self.console = console or Console()
        self.pacer = pacer or Pacer()
        self.stop = stop or threading.Event()
        self.concurrency = concurrency  # requests in flight at most, for its listings and actions
        self.transport = _Transport(self.base_url, timeout, concurrency)
        # In flight means sent and unanswered: a worker sleeping through a backoff holds no slot.
        self.slots = threading.BoundedSemaphore(concurrency)
        self.answered = False  # True once any request succeeded: the token works on this host
        self.sending = 0  # requests sent and not yet answered, for "waiting for N in flight"
        self._sending_lock = threading.Lock()

    def _count_sending(self, change: int) -> None:
        with self._sending_lock:
            self.sending += change

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        stoppable: bool = False,
    ) -> Answer:
        """Sends one call with the retry policy; returns the final answer (2xx or a permanent
        error).

        Retries: 429 (waiting what the server asks, everyone pausing when it names a wait), 500,
        502, 503, 504, connection errors and timeouts, at most MAX_ATTEMPTS in all; one token
        refresh on a 401. With `stoppable` (removals), the stop flag ends the retries by raising
        Stopped, and an error that ends the whole run sets the flag before its slot is given
        back, so that no other worker sends another request with a dead token."""
        attempt = 0
        refreshed = False
        maybe_acted = False  # an earlier attempt's answer was lost, or was a gateway's 502/504
        last: Answer | None = None
        while True:
            attempt += 1
            self._take_slot(stoppable, last, maybe_acted)
            try:
                answer, delay = self._attempt(
                    method, path, params, body, attempt, refreshed, maybe_acted, stoppable
                )
            except _Refreshed:
                refreshed = True
                attempt -= 1  # the token, not the server, was at fault
                continue
            except (AuthError, TokenError, LongWait):
                if stoppable:
                    self.stop.set()  # before the slot is given back: no other worker sends another
                raise
            except Stopped:
                raise Stopped(last, maybe_acted) from None
            except _NoAnswer as exc:
                why, hopeless = describe_network_failure(exc.cause, self.base_url, self.timeout)
                if hopeless:
                    raise ApiError(method, path, f"no answer: {why}") from None
                if attempt >= MAX_ATTEMPTS:
                    raise ApiError(
                        method, path, f"no answer after {attempt} attempts: {why}"
                    ) from None
                answer, delay = None, backoff_delay(attempt)
            finally:
                self.slots.release()  # before any backoff: a sleeping worker holds no slot
            if answer is None:
                maybe_acted, last = True, None
                self._sleep(delay, stoppable, None, True)
                continue
            if delay is None:
                return answer
            last = answer
            maybe_acted = maybe_acted or answer.status in MAYBE_ACTED_STATUSES
            self._sleep(delay, stoppable, last, maybe_acted)

    def _attempt(
        self,
        method: str,
        path: str,
        params: Any,
        body: Any,
        attempt: int,
        refreshed: bool,
        no_answer_before: bool,
        stoppable: bool,
    ) -> tuple[Answer, float | None]:
        """One request, holding a slot. Returns the answer and None to stop, or a delay to retry."""
        try:
            started = self.pacer.wait_turn(self.stop if stoppable else None)
            token, generation = self.tokens.current()
        except BudgetSpent as spent:
            window = (
                f"x-rate-limit-{spent.window}-remaining"
                if spent.window
                else "x-rate-limit-remaining"
            )
            # type: ignore[arg-type]
            raise LongWait(
                Answer(method, path, None, b"", "", None), spent.wait, f"{window}: 0"
            ) from None
        except TokenError:
            if stoppable:  # another worker's refresh failed; that worker reports it, this one stops
                raise Stopped(None, False) from None
            raise
        t0 = time.monotonic()
        self._count_sending(1)
        try:
            response = self.transport.send(method, path, params, body, token, stream=True)
            content = _read_within(response, t0 + self.timeout)  # the whole request's deadline
        except requests.RequestException as exc:
            self.console.debug(
                f"{method} {path} -> {type(exc).__name__} after {time.monotonic() - t0:.2f}s"
                f" (attempt {attempt})"
            )
            raise _NoAnswer(exc) from None
        finally:
            self._count_sending(-1)
        answer = Answer(
            method,
            path,
            response.status_code,
            content,
            response.headers.get("Content-Type", ""),
            response.headers.get("x-trifacta-request-id"),
            no_answer_before,
        )
        self.console.debug(
            f"{method} {path}{_query(params)} -> {response.status_code} in"
            f" {time.monotonic() - t0:.2f}s"
            + (f" (request id {answer.request_id})" if answer.request_id else "")
        )
        status = response.status_code
        self.pacer.on_answer(started, status, response.headers)
        if 200 <= status < 300:
            self.answered = True
            self.tokens.accepted(generation)
            return answer, None
        if 300 <= status < 400:
            where = (
                urllib.parse.urlsplit(response.headers.get("Location", "")).netloc or "elsewhere"
            )
            own = urllib.parse.urlsplit(self.base_url).netloc
            raise ApiError(
                method,
                path,
                f"the server redirected to {where}; not followed, so the token stays with {own}."
                " Check --base-url",
                status,
                answer.request_id,
            )
        if status == 401:
            home = None if self.answered else token_home(token, self.base_url)
            if home:  # refreshing would not help: the token is for another region's host
                raise AuthError(
                    method,
                    path,
                    f"the access token was rejected ({answer.message or 'Unauthorized'}); it"
                    f" belongs to {home} (its iss claim), not {self.base_url}: give --base-url"
                    f" {home}",
                    401,
                    answer.request_id,
                )
            # One refresh per request; a 401 on the token a refresh just made is final.
            if refreshed or not self.tokens.can_refresh or self.tokens.rejected_fresh(generation):
                raise self._auth_error(answer, refreshed or generation > 0)
            self.tokens.refresh(generation)
            raise _Refreshed()
        if status == 429:
            wait = parse_retry_after(response.headers)
            if wait is not None and wait > MAX_RETRY_WAIT:
                raise LongWait(answer, wait)
            stray = self.pacer.on_throttle(started, wait)
            if attempt >= MAX_ATTEMPTS:
                return answer, None
            # A named wait pauses every worker through the pacer; a stray, or a 429 naming no
            # wait, backs off this request alone.
            return answer, backoff_delay(attempt) if stray or not wait else 0.0
        if status in RETRYABLE_STATUSES and attempt < MAX_ATTEMPTS:
            return answer, backoff_delay(attempt)
        return answer, None

    def _take_slot(self, stoppable: bool, last: Answer | None, maybe_acted: bool) -> None:
        while True:
            if stoppable and self.stop.is_set():
                raise Stopped(last, maybe_acted)
            if self.slots.acquire(timeout=0.1):
                if stoppable and self.stop.is_set():
                    self.slots.release()
                    raise Stopped(last, maybe_acted)
                return

    def _auth_error(self, answer: Answer, after_refresh: bool) -> AuthError:
        if after_refresh:
            text = (
                "the server rejected the token pair right after a refresh; make a new token pair in"
                " AAC ("
                + TOKEN_HELP_PATH
                + ")"
            )
        elif not _JWT_SHAPE.fullmatch(self.tokens.access_token or ""):
            text = (
                f"the access token was rejected ({answer.message or 'Unauthorized'}); it does not"
                " look like an AAC access token (those are JWTs: three dot-separated parts,"
                f" starting eyJ). Copy the access token from {TOKEN_HELP_PATH}, not the refresh"
                " token or the Client ID"
            )
        else:
            text = (
                f"the access token was rejected ({answer.message or 'Unauthorized'}); it may have"
                " expired. Give a fresh one, or a --token-file with a refresh token so the tool"
                " can renew it"
            )
        return AuthError(answer.method, answer.path, text, 401, answer.request_id)

    def _sleep(
        self, seconds: float, stoppable: bool, last: Answer | None, maybe_acted: bool
    ) -> None:
        if stoppable:
            if self.stop.wait(seconds) or self.stop.is_set():
                raise Stopped(last, maybe_acted)
        elif seconds > 0:
            time.sleep(seconds)

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        answer = self.request("GET", path, params=params)
        if not answer.ok:
            raise answer.error()
        data = answer.json()
        if data is None:
            raise answer.error("the answer is not JSON: ")
        return data

    # -- the paths that read a workspace: list_people() pages through PEOPLE and admins_path() --

    WORKSPACE = "/v4/workspaces/current"
    CALLER = "/v4/people/current"
    PEOPLE = "/v4/people"

    @staticmethod
    def members_path(workspace_id: int) -> str:
        return f"/v4/workspaces/{workspace_id}/people"

    @staticmethod
    def admins_path(workspace_id: int) -> str:
        return f"/v4/workspaces/{workspace_id}/admins"

    def admins(self, workspace_id: int) -> Any:
        """The admins in one request, with only the route's documented parameters (the spec:
        accountId, fields, includeStatus; no limit or offset, so it answers the whole list).
        includeStatus is "include admins with one or both statuses of "new" and "suspended"": both,
        since an invited or suspended admin left out would be planned like anyone else."""
        return self.get_json(self.admins_path(workspace_id), {"includeStatus": "new,suspended"})

    def current_workspace(self) -> Any:
        return self.get_json(self.WORKSPACE)

    def current_person(self) -> Any:
        return self.get_json(self.CALLER)

    # -- the verbs that change a workspace: each answers the final Answer, or raises ------------

    def remove_member(self, workspace_id: int, person_id: int) -> Answer:
        return self.request(
            "DELETE", f"/v4/workspaces/{workspace_id}/people/{person_id}", stoppable=True
        )

    def transfer_assets(self, from_id: int, to_id: int) -> Answer:
        body = {"fromPersonId": from_id, "toPersonId": to_id}
        return self.request("PATCH", "/v4/workspaces/current/transfer", body=body, stoppable=True)

    def suspend_members(
        self, workspace_id: int, person_ids: list[int], suspend: bool = True
    ) -> Answer:
        """The bulk route: at most SUSPEND_BATCH ids; the answer has no body (any 2xx is
        success)."""
        verb = "suspend" if suspend else "unsuspend"
        return self.request(
            "POST",
            f"/v4/workspaces/{workspace_id}/people/{verb}",
            body={"personIds": person_ids},
            stoppable=True,
        )

    def suspend_member(self, workspace_id: int, person_id: int) -> Answer:
        """The one-person suspension, for tenants without the bulk route. The spec has it as
        "Suspend user" with an untyped object for a body, and no one-person unsuspend at all: a
        server may suspend whatever the body says, so this route is only ever asked to suspend
        (`{"suspended": true}` says so to a server that reads it)."""
        path = f"/v4/workspaces/{workspace_id}/people/{person_id}/suspended"
        return self.request("PUT", path, body={"suspended": True}, stoppable=True)


class _Transport:
    """Sends prepared requests straight through a requests adapter, doing once per host what
    `Session.request` does on every request.

    `Session.request` rescans the environment for proxies and CA settings, merges cookie jars,
    looks in ~/.netrc, runs hooks and builds a redirect history on every call: about a third of
    the CPU a request costs here, which at 16 or more in flight becomes the limit. This tool uses
    no cookies, hooks or redirects, so each request is prepared directly and handed to the same
    adapter (connection pools, TLS) `Session.request` would use, with the same settings, read once:
    TLS verification on, REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE, HTTPS_PROXY / NO_PROXY, the timeout.
    The URL is always the base URL plus a path of our own, and redirects are never followed, so
    the Authorization header only ever goes to the base URL's host; ~/.netrc is never read.
    """

    def __init__(self, base_url: str, timeout: float, pool_size: int) -> None:
        session = requests.Session()
        base = requests.PreparedRequest()
        base.prepare_url(base_url + "/", None)  # IDNA and quoting, once
        self.base = base.url.rstrip("/")
        settings = session.merge_environment_settings(self.base + "/", {}, None, None, None)
        self.options = {
            "timeout": timeout,
            "verify": settings["verify"],
            "cert": settings["cert"],
            "proxies": settings["proxies"],
        }
        self.adapter = _Adapter(pool_size)
        session.close()
        self.headers = {
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate",
            "Connection": "keep-alive",
        }

    def send(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        body: Any,
        token: str,
        *,
        stream: bool = False,
    ) -> requests.Response:
        request = requests.PreparedRequest()
        request.method = method
        request.url = self.base + path + _query(params)
        # a plain dict: urllib3 copies it into its own header map anyway
        headers = dict(self.headers)
        headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            request.body = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
            headers["Content-Length"] = str(len(request.body))
        elif method not in ("GET", "HEAD"):
            headers["Content-Length"] = "0"  # as requests sends it for a bodiless DELETE
        request.headers = headers
        return self.adapter.send(request, stream=stream, **self.options)

    def close(self) -> None:
        self.adapter.close()


class _Adapter(requests.adapters.HTTPAdapter):
    """requests' own adapter, remembering per host what it works out again for every request: the
    connection pool for the TLS and proxy settings, the CA bundle check, whether the full URL goes
    to a proxy. Answers carry no cookie jar, since nothing here reads cookies.

    One pool serves every worker (requests' default of 10 connections would drop some of 32).
    """

    def __init__(self, pool_size: int) -> None:
        super().__init__(pool_connections=1, pool_maxsize=pool_size)
        self._pools: dict[str, Any] = {}
        self._checked: set[int] = set()
        self._full_url: dict[str, bool] = {}

    def get_connection_with_tls_context(
        self, request: Any, verify: Any, proxies: Any = None, cert: Any = None
    ) -> Any:
        origin = _origin(request.url)
        pool = self._pools.get(origin)
        if pool is None:
            pool = self._pools[origin] = super().get_connection_with_tls_context(
                request, verify, proxies, cert
            )
        return pool

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        if id(conn) not in self._checked:
            # raises for a missing CA bundle, every time
            super().cert_verify(conn, url, verify, cert)
            self._checked.add(id(conn))

    def request_url(self, request: Any, proxies: Any) -> str:
        origin = _origin(request.url)
        full = self._full_url.get(origin)
        if full is None:
            full = self._full_url[origin] = (
                super().request_url(request, proxies) != request.path_url
            )
        return super().request_url(request, proxies) if full else request.path_url

    def build_response(self, req: Any, resp: Any) -> requests.Response:
        response = requests.Response()
        response.status_code = resp.status
        response.headers = resp.headers  # urllib3's header map: case-insensitive already
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        response.raw = resp
        response.reason = resp.reason
        response.url = req.url
        response.request = req
        response.connection = self
        return response

    def close(self) -> None:
        self._pools.clear()
        super().close()


def _origin(url: str) -> str:
    scheme, _, netloc = url.split("/", 3)[:3]
    return f"{scheme}//{netloc}"


class _Session(requests.Session):
    """Reads proxy and CA settings (HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE) from the environment
    once per host, as requests itself does, instead of rescanning the environment on every request.
    """

    def __init__(self) -> None:
        super().__init__()
        self._env_settings: dict[tuple[str, str], dict[str, Any]] = {}

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        if proxies or stream is not None or verify is not None or cert is not None:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urllib.parse.urlsplit(url)
        key = (parts.scheme, parts.netloc)
        if key not in self._env_settings:
            self._env_settings[key] = super().merge_environment_settings(url, {}, None, None, None)
        settings = self._env_settings[key]
        return {**settings, "proxies": dict(settings["proxies"])}


class _Bearer(requests.auth.AuthBase):
    """The token as an auth object: with no `auth`, requests would read ~/.netrc on every request
    and let a matching entry replace the Bearer header with Basic credentials."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def _read_within(response: requests.Response, deadline: float) -> bytes:
    """The body, or requests.Timeout once the request's whole time passes `deadline`.

    requests' own timeout bounds each socket read, so a body trickling in a byte at a time would
    never time out; a timer shuts the socket down at the deadline instead, which ends the read.
    """
    fired = threading.Event()
    sock = _socket_of(response)

    def cut() -> None:
        fired.set()
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    ticket = _DEADLINES.arm(deadline, cut)
    try:
        body = response.content
    except requests.RequestException:
        if fired.is_set():
            raise requests.Timeout("the whole answer did not arrive within --timeout") from None
        raise
    finally:
        _DEADLINES.disarm(ticket)
    if fired.is_set():
        response.close()
        raise requests.Timeout("the whole answer did not arrive within --timeout")
    return body


class _Deadlines:
    """One thread that calls each armed function at its deadline unless it is disarmed first.

    The whole-request timeout needs a timer for every request; a threading.Timer is a new thread
    each time, which at hundreds of requests a second costs more CPU than the request itself.
    """

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.heap: list[tuple[float, int, Callable[[], None]]] = []
        self.armed: set[int] = set()
        self.count = 0
        self.thread: threading.Thread | None = None

    def arm(self, deadline: float, fire: Callable[[], None]) -> int:
        with self.cond:
            self.count += 1
            heapq.heappush(self.heap, (deadline, self.count, fire))
            self.armed.add(self.count)
            if self.thread is None:
                self.thread = threading.Thread(
                    target=self._run, name="request-deadlines", daemon=True
                )
                self.thread.start()
            elif self.heap[0][1] == self.count:
                self.cond.notify()  # sooner than what the thread sleeps towards
            return self.count

    def disarm(self, ticket: int) -> None:
        with self.cond:
            self.armed.discard(ticket)

    def _run(self) -> None:
        while True:
            with self.cond:
                while True:
                    while self.heap and self.heap[0][1] not in self.armed:
                        heapq.heappop(self.heap)
                    if self.heap and self.heap[0][0] <= time.monotonic():
                        _, ticket, fire = heapq.heappop(self.heap)
                        self.armed.discard(ticket)
                        break
                    self.cond.wait(self.heap[0][0] - time.monotonic() if self.heap else None)
            fire()


_DEADLINES = _Deadlines()


def _send_within(send: Callable[..., requests.Response], timeout: float) -> requests.Response:
    """send(timeout=, stream=True), its body read by _read_within against the same whole-request
    deadline the AAC calls get (for the token refresh and Graph, which do not go through AacClient).
    """
    started = time.monotonic()
    response = send(timeout=timeout, stream=True)
    _read_within(response, started + timeout)  # caches the body: .json() and .content read it
    return response


def _socket_of(response: requests.Response) -> "socket.socket | None":
    """The socket under a streamed response (urllib3 1.x and 2.x keep it in different places)."""
    raw = response.raw
    for path in (("_connection", "sock"), ("_fp", "fp", "raw", "_sock")):
        seen: Any = raw
        for name in path:
            seen = getattr(seen, name, None)
        if isinstance(seen, socket.socket):
            return seen
    return None


def describe_network_failure(exc: BaseException, url: str, timeout: float) -> tuple[str, bool]:
    """What went wrong reaching `url`, naming the host and what to do; and whether retrying is
    hopeless (a name that does not resolve, a certificate that fails: neither heals in seconds)."""
    parts = urllib.parse.urlsplit(url)
    name = parts.hostname or parts.netloc
    host = parts.netloc.rpartition("@")[2] or name
    chain = _exception_chain(exc)
    text = " ".join(str(e) for e in chain)
    if (
        any(isinstance(e, ssl.SSLCertVerificationError) for e in chain)
        or "CERTIFICATE_VERIFY_FAILED" in text
    ):
        return (
            (
                f"the TLS certificate of {host} failed verification; behind a proxy or firewall"
                " with its own CA, set REQUESTS_CA_BUNDLE to that CA's certificate bundle (a .pem"
                " file)"
            ),
            True,
        )
    if any(
        isinstance(e, socket.gaierror) or type(e).__name__ == "NameResolutionError" for e in chain
    ):
        return (
            (
                f"the name {name} does not resolve (DNS lookup failed); check --base-url and the"
                " network connection"
            ),
            True,
        )
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in text.casefold():
        return (
            (
                f"{host} refused the connection; check --base-url (and HTTPS_PROXY, if you use a"
                " proxy)"
            ),
            False,
        )
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return (
            (
                f"connecting to {host} timed out after {timeout:g} s; check the network, a firewall"
                " or HTTPS_PROXY"
            ),
            False,
        )
    if isinstance(exc, requests.Timeout):
        return f"{host} did not answer within {timeout:g} s (--timeout)", False
    if isinstance(exc, requests.exceptions.SSLError):
        # OpenSSL reading a plain HTTP answer
        if is_loopback(name) and "wrong version number" in text.casefold():
            return (
                (
                    f"{host} speaks plain HTTP, not HTTPS (a local test server, such as the fake?);"
                    " use http:// in --base-url"
                ),
                True,
            )
        return f"the TLS connection to {host} failed ({type(exc).__name__})", False
    if isinstance(exc, requests.ConnectionError):
        return f"the connection to {host} failed or was reset", False
    return f"{type(exc).__name__} while talking to {host}", False


def _exception_chain(exc: BaseException) -> list[BaseException]:
    """The exception and what it wraps: requests -> urllib3 (`reason`, args) -> socket/ssl
    (__cause__)."""
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and all(seen is not e for e in chain) and len(chain) < 12:
        chain.append(seen)
        links = (
            getattr(seen, "reason", None),
            seen.args[0] if seen.args else None,
            seen.__cause__,
            seen.__context__,
        )
        seen = next((e for e in links if isinstance(e, BaseException)), None)
    return chain


def _query(params: dict[str, Any] | None) -> str:
    return "?" + urllib.parse.urlencode(params) if params else ""


# ---------------------------------------------------------------------------------------------
# Reading the workspace: every page, checked, before anything is planned
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    id: int
    email: str | None
    name: str
    is_admin: bool = False
    last_login: str | None = None
    has_last_login: bool = False
    suspension: str | None = None  # the record's sign of suspension (suspension_signal), or None
    conflict: str | None = None  # signs of suspension that disagree (suspension_conflict)
    state_change: str | None = None  # lastStateChange: when `state` last changed, as sent
    has_state_change: bool = False
    created_at: str | None = None  # createdAt: a lastStateChange not after it never moved
    updated_at: str | None = None  # updatedAt: later than this tool's row, something changed since

    @property
    def suspended(self) -> bool:
        return self.suspension is not None

    @classmethod
    def from_record(cls, record: Any) -> "Person":
        if not isinstance(record, dict):
            raise ValueError("a person record is not an object")
        raw_id = record.get("id")
        if (
            isinstance(raw_id, bool)
            or not isinstance(raw_id, (int, str))
            or not str(raw_id).isdigit()
        ):
            raise ValueError(f"a person record has no numeric id ({raw_id!r})")
        email = record.get("email")
        name = record.get("name") or " ".join(
            filter(None, [record.get("firstName"), record.get("lastName")])
        )
        last_login = record.get("lastLoginTime", record.get("last_login_time"))
        state_change, created_at = record.get("lastStateChange"), record.get("createdAt")
        return cls(
            id=int(raw_id),
            email=email.strip() if isinstance(email, str) and email.strip() else None,
            name=str(name or ""),
            is_admin=record.get("isAdmin") is True or record.get("is_admin") is True,
            last_login=None if last_login is None else _login_text(last_login),
            has_last_login="lastLoginTime" in record or "last_login_time" in record,
            suspension=suspension_signal(record),
            conflict=suspension_conflict(record),
            state_change=state_change if isinstance(state_change, str) else None,
            has_state_change="lastStateChange" in record,
            created_at=created_at if isinstance(created_at, str) else None,
            updated_at=updated if isinstance(updated := record.get("updatedAt"), str) else None,
        )


# How a suspended member looks is not documented. In the AAC OpenAPI spec (v2025.23.2, as embedded
# in the generated client of github.com/jupiterbak/OpenOne, src/client/legacy_models/
# person_read_response.py): `isDisabled` is "If true, the account is disabled" (the account, not
# the workspace membership); `state` is `active` or `hidden`, "hidden - User cannot access the
# workspace. User's data remains" (what a suspension is); and GET /v4/people's `includeStatus`
# (a boolean) adds "the user's status in workspace" under a field name the spec does not give.
# So every one of them counts, and the plan and the verification say which one was read.
SUSPENDED_STATES = {"hidden"}
STATUS_FIELDS = ("status", "workspaceStatus")
SUSPENDED_STATUSES = {"suspended", "disabled"}
SIGNALS_READ = "state: hidden, status or workspaceStatus suspended or disabled, isDisabled: true"


ACTIVE_STATES = {"active"}  # state and status words that say the member can use the workspace


def suspension_signal(record: Mapping[str, Any]) -> str | None:
    """The one place that reads whether a member record shows a suspension: the field and value
    that show it (`state: hidden`), or None. Only real values count: `"true"` is not `true`. A
    record whose workspace state or status says `active` while another field claims a suspension
    is not taken as suspended (suspension_conflict): by the spec `state: active` can use the
    workspace, so such a person is never removed as suspended, and a suspension is still sent."""
    claims, active = _suspension_claims(record)
    return claims[0] if claims and not active else None


def suspension_conflict(record: Mapping[str, Any]) -> str | None:
    """`state: active, isDisabled: true`: the fields that disagree, when one says the member is
    active in the workspace and another that they are suspended; else None."""
    claims, active = _suspension_claims(record)
    return ", ".join(active + claims) if claims and active else None


def _suspension_claims(record: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The fields claiming a suspension, and the workspace fields claiming the member is active."""
    claims, active = [], []
    for key in ("state", *STATUS_FIELDS):
        value = record.get(key)
        word = value.strip().casefold() if isinstance(value, str) else None
        if word in (SUSPENDED_STATES if key == "state" else SUSPENDED_STATUSES):
            claims.append(f"{key}: {word}")
        elif word in ACTIVE_STATES:
            active.append(f"{key}: {word}")
    if record.get("isDisabled") is True:
        claims.append("isDisabled: true")
    return claims, active


def _login_text(value: Any) -> str:
    """lastLoginTime as ISO 8601 text. A number is epoch seconds or milliseconds; anything else
    that is not text is kept as its repr, which parse_time cannot read: "last login unknown",
    never "never logged in" (only null means that)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        seconds = value / 1000 if abs(value) >= 1e11 else value  # 1e11 s is the year 5138
        with contextlib.suppress(OverflowError, OSError, ValueError):
            return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).isoformat()
    return value if isinstance(value, str) else repr(value)


@dataclass
class Workspace:
    id: int
    name: str | None
    caller: Person
    people: list[Person]
    admin_ids: set[int]
    admins_unknown: str | None = None  # why the admins route could not be read, if it could not
    listed_by: str = ""  # the listing's request ("GET /v4/people?includeStatus=true"), for messages
    route: str | None = None  # the route that listed the members: the verification asks it again
    host: str = ""  # report_host(): the tenant, which the report's rows are tied to
    # admins the admins route showed as suspended: none while members are, and nothing shows the
    # route lists suspended admins at all (suspended_admins_unknown)
    suspended_admins: set[int] = field(default_factory=set)


def read_workspace(client: AacClient) -> Workspace:
    """The workspace, the caller, every member and the admins: the caller beside the workspace,
    whose id the admins and the members (both at once) are then read under."""

    def admins_of(ws_id: int) -> tuple[list[Person] | None, str | None]:
        try:
            admins = list_admins(client, ws_id)
        except ApiError as exc:
            # Unreadable (missing on this tenant, refused, or not a person list): without it the
            # records alone cannot tell admins from members. Other failures end the run as usual.
            if isinstance(exc, ListingError) or (
                exc.status is not None and 400 <= exc.status < 500 and exc.status not in (401, 429)
            ):
                return None, str(exc)
            raise
        return admins, None

    def workspace_and_lists() -> (
        tuple[dict[str, Any], tuple[list[Person] | None, str | None], Listing]
    ):
        ws = client.current_workspace()
        if not isinstance(ws, dict) or not str(ws.get("id", "")).isdigit():
            raise ApiError("GET", client.WORKSPACE, "the answer has no numeric workspace id")
        ws_id = int(ws["id"])
        admins, listing = run_together(
            lambda: admins_of(ws_id), lambda: list_members(client, ws_id)
        )
        return ws, admins, listing

    def caller() -> Person:
        try:
            return Person.from_record(client.current_person())
        except ValueError as exc:
            raise ApiError("GET", client.CALLER, str(exc)) from None

    (ws, (answer, admins_unknown), listing), me = run_together(workspace_and_lists, caller)
    ws_id, people = int(ws["id"]), listing.people
    route_admins = None if answer is None else {p.id for p in answer}
    if not any(p.id == me.id for p in people):
        raise RemoveUsersError(
            f"the tool cannot tell who you are: GET /v4/people/current says your id is {me.id}"
            f" ({me.email or 'no email'}), but the workspace's listing has no person with that id"
            " (another id scheme, or a caching proxy), so nothing could keep you from being"
            " removed. Nothing was changed"
        )
    if route_admins is not None and (
        not route_admins or (me.is_admin and me.id not in route_admins)
    ):
        # You are an admin (you run this), so an empty list, or one without you while your own
        # record
        # says isAdmin, is provably incomplete (a lagging replica, a route wanting a role filter).
        admins_unknown = (
            "the admins route answered an empty list"
            if not route_admins
            else (
                f"the admins route does not list you (id {me.id}) though your own record says"
                " isAdmin"
            )
        )  # what it does list still protects, with --allow-unknown-admins
    # isAdmin is reliable only on the caller's own record (a live report), but a true one still
    # protects.
    admin_ids = {p.id for p in people if p.is_admin} | (route_admins or set())
    name = ws.get("name") or ws.get("displayName")
    name = str(name) if name else None
    listed_by, route, host = listing.source, listing.route, report_host(client.base_url)
    # Proof that the admins route lists suspended admins: one it lists shows as suspended, in its
    # own answer or in the members' listing.
    shown_suspended = {p.id for p in people if p.suspended} | {
        p.id for p in answer or () if p.suspended
    }
    suspended_admins = (route_admins or set()) & shown_suspended
    return Workspace(
        ws_id, name, me, people, admin_ids, admins_unknown, listed_by, route, host, suspended_admins
    )


def list_admins(client: AacClient, workspace_id: int) -> list[Person]:
    """The admins route's one answer, a person list (bare or as `data`). A `count` above the rows it
    holds means the route paged after all, which only undocumented parameters could walk: the
    admins are then unknown (ListingError), never guessed from one page."""
    path = client.admins_path(workspace_id)
    answer = client.admins(workspace_id)
    rows = answer if isinstance(answer, list) else _rows(answer, path)
    admins = _distinct(_people(rows, path), path)
    count = answer.get("count") if isinstance(answer, dict) else None
    if isinstance(count, int) and not isinstance(count, bool) and count > len(admins):
        raise ListingError("GET", path, f"the answer counts {count} admins but holds {len(admins)}")
    return admins


@dataclass(frozen=True)
class Listing:
    """Every member as one listing showed them, and how it was asked."""

    people: list[Person]
    source: str  # the request, as the plan and the verification name it
    route: str  # MEMBERS_ROUTE or PEOPLE_ROUTE: the verification asks the same one
    asked: bool = True  # False: includeStatus refused; a member it omits may be suspended, not gone


MEMBERS_ROUTE, PEOPLE_ROUTE = "workspace-people", "people"
# The spec's GET /v4/workspaces/{id}/people takes `status`, "Status values to filter the list",
# without naming the values: these are the admins route's "new" and "suspended", and "active".
# All of them, so that the plan sees every member and the check sees every suspension.
MEMBER_STATUSES = "active,new,suspended"
NOT_THIS_ROUTE = {400, 404, 405}  # the workspace-people route is missing here, or refuses `status`


def list_members(client: AacClient, workspace_id: int, route: str | None = None) -> Listing:
    """Every member, asked in the spec's forms. First the workspace's own people route with every
    `status`; where it is missing or refuses the values, GET /v4/people with includeStatus=true
    (the spec's boolean, "Include the user's status in workspace"), which may still leave suspended
    members out: nothing documents that it lists them. A server that refuses even that is listed
    plainly, and Listing.asked says so. `route` repeats the route an earlier listing used."""
    if route != PEOPLE_ROUTE:
        path, extra = client.members_path(workspace_id), {"status": MEMBER_STATUSES}
        try:
            people = list_people(client, path, extra=extra)
            return Listing(people, f"GET {path}?status={MEMBER_STATUSES}", MEMBERS_ROUTE)
        except ApiError as exc:
            if route or isinstance(exc, ListingError) or exc.status not in NOT_THIS_ROUTE:
                raise
            client.console.debug(
                f"GET {path}: HTTP {exc.status}; listing GET {client.PEOPLE} instead"
            )
    try:
        people = list_people(client, client.PEOPLE, extra={"includeStatus": "true"})
        return Listing(people, f"GET {client.PEOPLE}?includeStatus=true", PEOPLE_ROUTE)
    except ApiError as exc:
        if isinstance(exc, ListingError) or exc.status != 400:
            raise
    client.console.warn(
        f"GET {client.PEOPLE} refused includeStatus=true (HTTP 400); listing without it, so "
        "suspended members may be missing from the plan and the verification"
    )
    people = list_people(client, client.PEOPLE)
    return Listing(people, f"GET {client.PEOPLE}", PEOPLE_ROUTE, asked=False)


def run_together(*jobs: Callable[[], Any]) -> list[Any]:
    """Runs each job in its own thread; returns their results in order, or raises the first
    error."""
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []
    finished = threading.Semaphore(0)

    def runner(index: int, job: Callable[[], Any]) -> None:
        try:
            results[index] = job()
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            errors.append(exc)
        finally:
            finished.release()

    for index, job in enumerate(jobs):
        threading.Thread(target=runner, args=(index, job), daemon=True).start()
    for _ in jobs:
        finished.acquire()  # not Thread.join(): see Actor.run
    if errors:
        raise errors[0]
    return results


class ListingError(ApiError):
    """A listing that cannot be trusted: not a person list, conflicting records, or no end."""


def list_people(
    client: AacClient, path: str, *, check_count: bool = True, extra: dict[str, str] | None = None
) -> list[Person]:
    """Every page, walked by `offset`, which advances by the rows received.

    Every walk ends: an empty page ends it, and so does a page that brings no id not already seen
    (a route that ignores `offset`, or answers the last page again past the end). The requests are
    bounded by what came back: the pages its rows needed plus a small margin, or the listing is
    refused. `count` is a claim: pages are fetched concurrently only within it and never further
    ahead than the rows already received, so an inflated count costs at most one batch. Rows are
    bounded too: more distinct people than the count plus a margin, or than MAX_LISTED when there is
    no count, end the walk (ListingError). The same id listed twice with different data makes the
    listing untrustworthy (ListingError).
    """
    concurrency = client.concurrency
    first = _page(client, path, 0, extra)
    if isinstance(first, list):  # some routes answer a bare list: that is the whole of it
        return _distinct(_people(first, path), path)
    rows = _rows(first, path)
    count = first.get("count")
    count = count if isinstance(count, int) and not isinstance(count, bool) else None
    size = len(rows)  # the server's page size, whatever `limit` asked for
    listed = _people(rows, path)  # each page becomes people as it arrives: raw pages are not kept
    seen = {_row_id(row) for row in rows}
    offset, requests, full_pages = size, 1, 1
    # "Pages needed" is counted in the shortest page that was not the last to bring someone new.
    smallest = previous = size
    ended = size == 0
    while not ended:
        batch = 1
        if concurrency > 1 and count is not None and count > offset and full_pages:
            batch = min(concurrency, full_pages, math.ceil((count - offset) / size))
        offsets = [offset + i * size for i in range(batch)]
        pages = (
            _fetch_pages(client, path, offsets, concurrency, extra)
            if batch > 1
            else [_rows(_page(client, path, offset, extra), path)]
        )
        requests += batch
        for page in pages:
            new = {_row_id(row) for row in page} - seen
            if not new:
                ended = True  # empty, or nothing new: the end, or a server that ignores offset
                break
            listed.extend(_people(page, path))
            seen |= new
            offset += len(page)
            smallest, previous = min(smallest, previous), len(page)
            if len(page) != size:
                # the pages after it were asked at the wrong offsets: walk one by one
                full_pages = 0
                break
            full_pages = full_pages + 1 if full_pages else 0
        # Pages that keep bringing new ids (a gateway numbering its rows) pass the check below, so
        # the rows themselves are bounded: by the count plus a margin, or by an absolute cap.
        cap = MAX_LISTED if count is None else count + LISTING_MARGIN * max(size, 1)
        if len(seen) > cap:
            claim = (
                f"the server counts {count}"
                if count is not None
                else f"with no count, more than {MAX_LISTED:,} people"
            )
            raise ListingError(
                "GET",
                path,
                f"the listing does not end: {len(seen):,} distinct people came back ({claim}; a"
                " gateway numbering its rows?); nothing was changed",
            )
        if requests > math.ceil(len(seen) / smallest) + LISTING_MARGIN + concurrency:
            raise ListingError(
                "GET",
                path,
                f"the listing does not end: {requests} pages brought only {len(seen)} distinct"
                " people (the server's paging overlaps); nothing was changed",
            )
        client.console.tell("reading", "members", len(seen), count)
    if requests > 1:
        client.console.tell("reading", "members", -1, count)  # the listing's line goes
    del seen  # 100,000 ids: not kept while the people are checked for repeats
    people = _distinct(listed, path)
    if check_count and count is not None and len(people) != count:
        raise ListingError(
            "GET",
            path,
            f"the listing does not add up: the server counts {count} people but {len(people)}"
            " distinct ones came back (the workspace may be changing right now); nothing was"
            " changed, try again",
        )
    return people


def _page(client: AacClient, path: str, offset: int, extra: dict[str, str] | None = None) -> Any:
    return client.get_json(
        path, {"limit": PAGE_SIZE, "offset": offset, "includeCount": "true", **(extra or {})}
    )


def _rows(page: Any, path: str) -> list[Any]:
    rows = page.get("data") if isinstance(page, dict) else None
    if not isinstance(rows, list):
        raise ListingError("GET", path, "the answer has no `data` list")
    return rows


def _row_id(row: Any) -> Any:
    return row.get("id") if isinstance(row, dict) else None


def _people(records: list[Any], path: str) -> list[Person]:
    try:
        return [Person.from_record(record) for record in records]
    except ValueError as exc:
        raise ListingError("GET", path, str(exc)) from None


def _distinct(people: list[Person], path: str) -> list[Person]:
    """One Person per id. Identical repeats are harmless; the same id with other data is not: the
    listing cannot say which is true (a protected email under one, another under the other)."""
    by_id: dict[int, Person] = {}
    for person in people:
        other = by_id.setdefault(person.id, person)
        if other != person:
            raise ListingError(
                "GET",
                path,
                f"person id {person.id} is listed twice with different data"
                f" ({_differences(other, person)}); the listing cannot be trusted, so nothing was"
                " changed",
            )
    return list(by_id.values())


def _differences(a: Person, b: Person) -> str:
    names = ("email", "name", "is_admin", "last_login", "suspension")
    fields = [name for name in names if getattr(a, name) != getattr(b, name)]
    return (
        ", ".join(f"{name} {getattr(a, name)!r} and {getattr(b, name)!r}" for name in fields)
        or "other fields"
    )


def _fetch_pages(
    client: AacClient, path: str, offsets: list[int], concurrency: int, extra: dict[str, str] | None
) -> list[list[Any]]:
    queue = collections.deque(offsets)
    results: dict[int, list[Any]] = {}
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                if not queue:
                    return
                offset = queue.popleft()
            try:
                rows = _rows(_page(client, path, offset, extra), path)
            except BaseException:
                with lock:
                    queue.clear()  # one page failed: the listing is void, fetch no more
                raise
            with lock:
                results[offset] = rows

    run_together(*[work] * min(concurrency, len(offsets)))
    return [results[offset] for offset in offsets]


# ---------------------------------------------------------------------------------------------
# Directory groups: who is in an Entra ID or LDAP group, read live, and every read fails closed
# ---------------------------------------------------------------------------------------------

LDAP_INSTALL = "python -m pip install -r requirements-ldap.txt"
AD_CAPABILITY = "1.2.840.113556.1.4.800"  # LDAP_CAP_ACTIVE_DIRECTORY_OID, in the root DSE of AD
AD_IN_CHAIN = "1.2.840.113556.1.4.1941"  # LDAP_MATCHING_RULE_IN_CHAIN: nested membership, AD only
LDAP_GROUP_CLASSES = {"groupofnames", "groupofuniquenames", "group"}
ROLE_ONLY, ROLE_EXCLUDE = "only", "exclude"
_GUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_LDAP_RESULT_NAMES = {
    3: "timeLimitExceeded",
    4: "sizeLimitExceeded",
    10: "referral",
    11: "adminLimitExceeded",
}


class GroupError(RemoveUsersError):
    """A group could not be read completely, so who it selects or protects is unknown."""

    def __init__(self, source: "GroupSource", message: str) -> None:
        super().__init__(f"{source.flag} {source.label}: {message}; nothing was changed")


@dataclass(frozen=True)
class GroupSource:
    kind: str  # "entra" or "ldap"
    ident: str  # the group's object id, or its DN
    role: str  # ROLE_ONLY or ROLE_EXCLUDE

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.ident}"

    @property
    def flag(self) -> str:
        return "--only-group" if self.role == ROLE_ONLY else "--exclude-group"

    @classmethod
    def parse(cls, text: str, role: str) -> "GroupSource":
        flag = "--only-group" if role == ROLE_ONLY else "--exclude-group"
        kind, _, ident = text.strip().partition(":")
        kind, ident = kind.strip().casefold(), ident.strip()
        if kind == "entra":
            if not _GUID.fullmatch(ident):
                raise UsageError(
                    f"{flag} {text!r}: expected entra:<group object id>, a GUID like"
                    " 0f8fad5b-d9cb-469f-a165-70867728950e"
                )
            return cls(kind, ident.lower(), role)
        if kind == "ldap":
            if "=" not in ident:
                raise UsageError(
                    f"{flag} {text!r}: expected ldap:<group DN>, like"
                    " ldap:cn=leavers,ou=groups,dc=example,dc=org"
                )
            return cls(kind, ident, role)
        raise UsageError(f"{flag} {text!r}: a group source starts with entra: or ldap:")


@dataclass
class GroupMembers:
    """One group's people. `select` holds each person's own address (what --only-group removes);
    `protect` adds every other address the directory knows for them (what --exclude-group keeps)."""

    source: GroupSource
    count: int
    select: set[str]
    protect: set[str]


@dataclass
class GroupSettings:
    """The directory connections, from the environment; checked before anything is sent."""

    timeout: float = DEFAULT_TIMEOUT
    graph_url: str = GRAPH_URL
    login_url: str = GRAPH_LOGIN_URL
    tenant: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    ldap_url: str | None = None
    bind_dn: str | None = None
    password: str | None = None
    ldap_base: str | None = None
    mail_attribute: str = "mail"
    ca_file: str | None = None


def resolve_groups(
    args: argparse.Namespace, env: Callable[[str], str | None], saved: SavedPlan | None
) -> tuple[list[GroupSource], GroupSettings]:
    """The --only-group and --exclude-group sources and what reading them needs, all checked
    here. A saved plan's --exclude-group sources are read again when it is applied: someone who
    joined the staff group since the review is protected now."""
    sources = [GroupSource.parse(text, ROLE_ONLY) for text in args.only_group]
    sources += [
        GroupSource.parse(text, ROLE_EXCLUDE)
        for text in args.exclude_group + (saved.exclude_groups if saved else [])
    ]
    unique = list(dict.fromkeys(sources))
    settings = GroupSettings(timeout=args.timeout)
    kinds = {s.kind for s in unique}
    if "entra" in kinds:
        settings.graph_url = check_url(env("AAC_GRAPH_URL") or GRAPH_URL, "AAC_GRAPH_URL")
        settings.login_url = check_url(
            env("AAC_GRAPH_LOGIN_URL") or GRAPH_LOGIN_URL, "AAC_GRAPH_LOGIN_URL"
        )
        settings.tenant, settings.client_id = env("AAC_GRAPH_TENANT"), env("AAC_GRAPH_CLIENT_ID")
        settings.client_secret = _secret(env, "AAC_GRAPH_CLIENT_SECRET")
        missing = [
            name
            for name, value in (
                ("AAC_GRAPH_TENANT", settings.tenant),
                ("AAC_GRAPH_CLIENT_ID", settings.client_id),
            )
            if not value
        ]
        if not settings.client_secret:
            missing.append("AAC_GRAPH_CLIENT_SECRET (or AAC_GRAPH_CLIENT_SECRET_FILE)")
        if missing:
            raise UsageError(
                f"an entra: group needs the app registration's {', '.join(missing)} in the"
                " environment"
            )
    if "ldap" in kinds:
        settings.ldap_url = env("AAC_LDAP_URL")
        settings.bind_dn, settings.ldap_base = env("AAC_LDAP_BIND_DN"), env("AAC_LDAP_BASE")
        settings.password = _secret(env, "AAC_LDAP_PASSWORD")
        settings.mail_attribute = env("AAC_LDAP_MAIL_ATTRIBUTE") or "mail"
        settings.ca_file = env("AAC_LDAP_CA_FILE")
        missing = [
            name
            for name, value in (
                ("AAC_LDAP_URL", settings.ldap_url),
                ("AAC_LDAP_BIND_DN", settings.bind_dn),
            )
            if not value
        ]
        if not settings.password:
            missing.append("AAC_LDAP_PASSWORD (or AAC_LDAP_PASSWORD_FILE)")
        if missing:
            raise UsageError(f"an ldap: group needs {', '.join(missing)} in the environment")
        parts = urllib.parse.urlsplit(settings.ldap_url or "")
        if parts.scheme not in ("ldap", "ldaps") or not parts.hostname:
            raise UsageError(
                f"AAC_LDAP_URL {settings.ldap_url!r} is not an LDAP URL; expected"
                " ldaps://dc.example.org"
            )
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", settings.mail_attribute):
            raise UsageError(
                f"AAC_LDAP_MAIL_ATTRIBUTE {settings.mail_attribute!r} is not an attribute name"
            )
        _import_ldap3()
    return unique, settings


def _secret(env: Callable[[str], str | None], name: str) -> str | None:
    """NAME, or the first line of the file NAME_FILE names; registered so it is never printed."""
    value = env(name)
    path = env(f"{name}_FILE")
    if value and path:
        raise UsageError(f"both {name} and {name}_FILE are set; unset one")
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                value = handle.read().strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(
                f"cannot read {name}_FILE {path}: {getattr(exc, 'strerror', None) or exc}"
            ) from None
    register_secret(value)
    return value or None


def _import_ldap3() -> Any:
    """ldap3 is optional: only a run with an ldap: group needs it."""
    try:
        with warnings.catch_warnings():  # ldap3 2.9 imports names pyasn1 has deprecated
            warnings.simplefilter("ignore", DeprecationWarning)
            import ldap3  # noqa: PLC0415 - an optional dependency, imported only when it is used
    except ImportError:
        raise UsageError(
            f"an ldap: group needs the ldap3 package, which is not installed; run: {LDAP_INSTALL}"
        ) from None
    return ldap3


def read_groups(
    sources: Sequence[GroupSource], settings: GroupSettings, console: Console
) -> list[GroupMembers]:
    """Every group, completely, or GroupError: a partial read must never decide who goes."""
    if not sources:
        return []
    readers: dict[str, GraphReader | LdapReader] = {}
    groups = []
    try:
        for source in sources:
            if source.kind not in readers:
                readers[source.kind] = (
                    GraphReader(settings, console)
                    if source.kind == "entra"
                    else LdapReader(settings, console)
                )
            console.info(f"Reading {source.flag} {source.label} ...")
            members = readers[source.kind].members(source)
            console.info(f"  {people_count(members.count)} in {source.label}")
            if source.role == ROLE_EXCLUDE and members.count == 0:
                raise GroupError(
                    source,
                    "the group reads as empty, and a protection that reads as empty must not turn"
                    " into removals",
                )
            groups.append(members)
    finally:
        for reader in readers.values():
            reader.close()
    return groups


class GraphReader:
    """Microsoft Graph with an app-only token (client credentials); requests only, as for AAC."""

    def __init__(self, settings: GroupSettings, console: Console) -> None:
        self.settings = settings
        self.console = console
        self.session = _Session()
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        self.token: str | None = None

    def close(self) -> None:
        self.session.close()

    def members(self, source: GroupSource) -> GroupMembers:
        base = (
            f"{self.settings.graph_url}/v1.0/groups/{source.ident}"
            "/transitiveMembers/microsoft.graph.user"
        )
        query = {
            "$select": "mail,userPrincipalName,otherMails",
            "$top": str(GRAPH_PAGE_SIZE),
            "$count": "true",
        }
        url: str | None = base + "?" + urllib.parse.urlencode(query, safe="$,")
        origin = urllib.parse.urlsplit(self.settings.graph_url)[:2]
        count: Any = None
        rows: list[Any] = []
        seen: set[str] = set()
        while url:
            if len(seen) >= MAX_GROUP_PAGES:
                raise GroupError(
                    source, f"Graph was still paging after {MAX_GROUP_PAGES} pages; stopped"
                )
            seen.add(url)
            data = self._page(source, url)
            if count is None:
                count = data.get("@odata.count")
            rows += data["value"]
            url = data.get("@odata.nextLink")
            if url is not None:
                # The token goes wherever the link points: only ever back to the Graph host.
                if not isinstance(url, str) or urllib.parse.urlsplit(url)[:2] != origin:
                    raise GroupError(
                        source,
                        f"Graph's @odata.nextLink {str(url)[:100]!r} points away from"
                        f" {self.settings.graph_url}",
                    )
                if url in seen:
                    raise GroupError(source, "Graph's @odata.nextLink repeats an earlier page")
        if isinstance(count, bool) or not isinstance(count, int):
            raise GroupError(
                source,
                "Graph's answer carries no @odata.count, so a short read could not be noticed",
            )
        if count != len(rows):
            raise GroupError(
                source,
                f"Graph counts {count} user members but its pages held {len(rows)}; the read is"
                " incomplete, try again",
            )
        select: set[str] = set()
        protect: set[str] = set()
        for number, row in enumerate(rows, 1):
            row = row if isinstance(row, dict) else {}
            own = next(
                (
                    a
                    for a in (row.get("mail"), row.get("userPrincipalName"))
                    if isinstance(a, str) and a.strip()
                ),
                None,
            )
            if own is None:
                # Graph answers with nulls for what the app may not read: GroupMember.Read.All alone
                # may not cover user properties on every tenant.
                raise GroupError(
                    source,
                    f"member {number} of {len(rows)} has neither mail nor userPrincipalName (if no"
                    " member has one, the app may also need the application permission"
                    " User.Read.All)",
                )
            others = row.get("otherMails") if isinstance(row.get("otherMails"), list) else []
            select.add(normalize_email(own))
            for address in [row.get("mail"), row.get("userPrincipalName"), *others]:
                if isinstance(address, str) and address.strip():
                    protect.add(normalize_email(address))
        return GroupMembers(source, len(rows), select, protect)

    def _page(self, source: GroupSource, url: str) -> dict[str, Any]:
        headers = {"ConsistencyLevel": "eventual"}
        fresh_token = False
        while True:
            if self.token is None:
                self.token, fresh_token = self._get_token(source), True
            response = self._send(source, "GET", url, headers=headers, auth=_Bearer(self.token))
            if response.status_code == 401 and not fresh_token:
                self.token = None  # app tokens last about an hour: a long read may outlive one
                continue
            break
        where = f"GET {_path_of(url)}"
        if response.status_code != 200:
            message = _graph_message(response)
            hint = ""
            if response.status_code in (401, 403):
                hint = (
                    " (the app needs the application permission GroupMember.Read.All with admin"
                    " consent)"
                )
            elif response.status_code == 404:
                hint = " (no group with this object id in the tenant)"
            raise GroupError(source, f"{where}: HTTP {response.status_code}: {message}{hint}")
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("value"), list):
            raise GroupError(source, f"{where}: the answer is not a Graph collection")
        return data

    def _get_token(self, source: GroupSource) -> str:
        s = self.settings
        url = f"{s.login_url}/{urllib.parse.quote(s.tenant or '', safe='')}/oauth2/v2.0/token"
        form = {
            "grant_type": "client_credentials",
            "client_id": s.client_id,
            "client_secret": s.client_secret,
            "scope": f"{s.graph_url}/.default",
        }
        response = self._send(source, "POST", url, data=form)
        try:
            data = response.json()
        except ValueError:
            data = None
        token = data.get("access_token") if isinstance(data, dict) else None
        if response.status_code != 200 or not isinstance(token, str) or not token:
            raise GroupError(
                source,
                f"the Entra token request POST {_path_of(url)} failed: HTTP {response.status_code}:"
                f" {_graph_message(response)} (check AAC_GRAPH_TENANT, AAC_GRAPH_CLIENT_ID and the"
                " client secret)",
            )
        register_secret(token)
        return token

    def _send(self, source: GroupSource, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One call with bounded retries: 429 and 503 (and other 5xx) wait as Retry-After says."""
        where = f"{method} {_path_of(url)}"
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                response = _send_within(
                    lambda **bound: self.session.request(
                        method, url, allow_redirects=False, **kwargs, **bound
                    ),
                    self.settings.timeout,
                )
            except requests.RequestException as exc:
                why, hopeless = describe_network_failure(exc, url, self.settings.timeout)
                if hopeless or attempt == MAX_ATTEMPTS:
                    raise GroupError(source, f"{where}: {why}") from None
                time.sleep(backoff_delay(attempt))
                continue
            self.console.debug(f"{where} -> {response.status_code}")
            if response.status_code in (429, *RETRYABLE_STATUSES) and attempt < MAX_ATTEMPTS:
                wait = parse_retry_after(response.headers)
                if wait is not None and wait > MAX_RETRY_WAIT:
                    raise GroupError(
                        source,
                        f"{where}: HTTP {response.status_code} asking to wait {wait:.0f} s, more"
                        f" than {MAX_RETRY_WAIT:.0f} s",
                    )
                time.sleep(backoff_delay(attempt) if wait is None else wait)
                continue
            return response
        raise AssertionError("unreachable")


def _graph_message(response: requests.Response) -> str:
    """Graph errors are {"error": {"code", "message"}}; the login host's are OAuth's {"error",
    ...}."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        inner = data["error"]
        return redact(f"{inner.get('code', '')}: {inner.get('message', '')}".strip(": "))
    return error_message(response.content, response.headers.get("Content-Type", "")) or _reason(
        response.status_code
    )


class LdapReader:
    """An LDAP directory through ldap3: one bound connection, paged searches, every result
    checked."""

    def __init__(self, settings: GroupSettings, console: Console) -> None:
        self.settings = settings
        self.console = console
        self.ldap3 = _import_ldap3()
        self.conn: Any = None
        self.is_ad = False
        self.contexts: list[str] = []

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.unbind()
            self.conn = None

    def members(self, source: GroupSource) -> GroupMembers:
        try:
            if self.conn is None:
                self._connect(source)
            people = self._ad_members(source) if self.is_ad else self._expand(source)
        except self.ldap3.core.exceptions.LDAPException as exc:
            raise GroupError(source, f"LDAP {type(exc).__name__}: {redact(str(exc))}") from None
        addresses = {a for mails in people.values() for a in mails}
        return GroupMembers(source, len(people), addresses, addresses)

    def _connect(self, source: GroupSource) -> None:
        ldap3, s = self.ldap3, self.settings
        seconds = max(1, math.ceil(s.timeout))  # ldap3 packs its socket timeouts as whole seconds
        parts = urllib.parse.urlsplit(s.ldap_url or "")
        secure = parts.scheme == "ldaps"
        # Certificate and host name checked (ldap3 checks the name itself after the handshake).
        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=s.ca_file, sni=parts.hostname)
        server = ldap3.Server(
            parts.hostname,
            port=parts.port or (636 if secure else 389),
            use_ssl=secure,
            tls=tls,
            get_info=ldap3.NONE,
            connect_timeout=seconds,
        )
        conn = ldap3.Connection(
            server,
            user=s.bind_dn,
            password=s.password,
            auto_bind=ldap3.AUTO_BIND_NONE,
            raise_exceptions=False,
            receive_timeout=seconds,
            auto_referrals=False,
            read_only=True,
        )
        conn.open()
        self.conn = conn
        if not secure and not is_loopback(parts.hostname):
            # The bind password must not cross the network in clear: StartTLS or stop.
            try:
                started = conn.start_tls()
            except ldap3.core.exceptions.LDAPException as exc:
                started, why = False, redact(str(exc))
            else:
                why = self._result()
            if not started:
                raise GroupError(
                    source,
                    f"StartTLS with {parts.hostname} failed ({why}); use ldaps:// or a server that"
                    " offers StartTLS",
                )
        if not conn.bind():
            raise GroupError(source, f"the bind as {s.bind_dn} failed: {self._result()}")
        conn.search(
            "",
            "(objectClass=*)",
            ldap3.BASE,
            attributes=["supportedCapabilities", "namingContexts", "defaultNamingContext"],
        )
        root = self._entries(source, "the root DSE")
        attrs = root[0]["attributes"] if root else {}
        self.is_ad = AD_CAPABILITY in [str(v) for v in attrs.get("supportedCapabilities", [])]
        self.contexts = [str(v) for v in _values(attrs.get("defaultNamingContext"))] + [
            str(v) for v in _values(attrs.get("namingContexts"))
        ]

    def _result(self) -> str:
        result = self.conn.result or {}
        code = result.get("result")
        text = " ".join(str(x) for x in (result.get("description"), result.get("message")) if x)
        return redact(f"{text} (result {code})" if code is not None else text or "no answer")

    def _base(self, source: GroupSource) -> str:
        if self.settings.ldap_base:
            return self.settings.ldap_base
        group = _norm_dn(source.ident)
        for context in self.contexts:
            if context and (group == _norm_dn(context) or group.endswith("," + _norm_dn(context))):
                return context
        raise GroupError(
            source,
            "no naming context of the server holds this group; set AAC_LDAP_BASE to the subtree"
            " that holds its members",
        )

    def _entries(self, source: GroupSource, what: str) -> list[dict[str, Any]]:
        """The last search's entries, if it ended in success and held no referral."""
        result = self.conn.result or {}
        code = result.get("result")
        if code != 0:
            name = _LDAP_RESULT_NAMES.get(code, result.get("description") or "error")
            raise GroupError(
                source, f"reading {what} ended in {name} ({self._result()}); the read is incomplete"
            )
        entries = []
        for item in self.conn.response or []:
            if item.get("type") == "searchResRef" and not (
                self.is_ad and all(_ad_partition_ref(u) for u in _values(item.get("uri")))
            ):
                raise GroupError(
                    source,
                    f"reading {what} met a referral to {item.get('uri')}; set AAC_LDAP_BASE to the"
                    " subtree that holds the members",
                )
            if item.get("type") == "searchResEntry":
                entries.append(item)
        return entries

    def _read(
        self, source: GroupSource, dn: str, what: str, attrs: list[str] | None = None
    ) -> dict[str, Any]:
        attrs = attrs or [
            "objectClass",
            "member",
            "uniqueMember",
            "memberUid",
            self.settings.mail_attribute,
        ]
        self.conn.search(dn, "(objectClass=*)", self.ldap3.BASE, attributes=attrs)
        if (self.conn.result or {}).get("result") == 32:
            raise GroupError(source, f"{what} {dn} does not exist (noSuchObject)")
        entries = self._entries(source, f"{what} {dn}")
        if len(entries) != 1:
            raise GroupError(source, f"{what} {dn} could not be read")
        return entries[0]

    def _paged(
        self, source: GroupSource, base: str, search_filter: str, attributes: list[str], what: str
    ) -> list[dict[str, Any]]:
        """RFC 2696 paging; any page that does not end in success stops the read."""
        found: list[dict[str, Any]] = []
        cookie: Any = None
        for _ in range(MAX_GROUP_PAGES):
            self.conn.search(
                base,
                search_filter,
                self.ldap3.SUBTREE,
                attributes=attributes,
                paged_size=LDAP_PAGE_SIZE,
                paged_cookie=cookie,
            )
            found += self._entries(source, what)
            controls = (self.conn.result or {}).get("controls") or {}
            cookie = controls.get("1.2.840.113556.1.4.319", {}).get("value", {}).get("cookie")
            if not cookie:
                return found
        raise GroupError(
            source, f"reading {what} was still paging after {MAX_GROUP_PAGES} pages; stopped"
        )

    def _addresses(self, source: GroupSource, entry: dict[str, Any]) -> set[str]:
        mail = self.settings.mail_attribute
        values = next(
            (v for k, v in entry["attributes"].items() if k.casefold() == mail.casefold()), []
        )
        addresses = {normalize_email(str(v)) for v in _values(values) if str(v).strip()}
        if not addresses:
            raise GroupError(
                source,
                f"member {entry['dn']} has no {mail}, so it cannot be matched to a workspace"
                " member",
            )
        return addresses

    def _ad_members(self, source: GroupSource) -> dict[str, set[str]]:
        """Active Directory resolves nesting itself with the in-chain matching rule."""
        esc = self.ldap3.utils.conv.escape_filter_chars
        self._read(source, source.ident, "the group", ["objectClass"])
        search_filter = (
            "(&(objectCategory=person)(objectClass=user)"
            f"(memberOf:{AD_IN_CHAIN}:={esc(source.ident)}))"
        )
        entries = self._paged(
            source,
            self._base(source),
            search_filter,
            [self.settings.mail_attribute],
            "the group's members",
        )
        return {_norm_dn(e["dn"]): self._addresses(source, e) for e in entries}

    def _expand(self, source: GroupSource) -> dict[str, set[str]]:
        """Elsewhere nesting is expanded here, group by group. A group's member attribute is the
        truth; a memberOf search fetches the members' entries in a few pages, and any member it did
        not return (no memberof overlay, or outside the base) is read on its own."""
        esc = self.ldap3.utils.conv.escape_filter_chars
        base = self._base(source)
        attrs = ["objectClass", "member", "uniqueMember", self.settings.mail_attribute]
        people: dict[str, set[str]] = {}
        queue, visited = [source.ident], {_norm_dn(source.ident)}
        while queue:
            dn = queue.pop()
            what = "the group" if dn == source.ident else "the nested group"
            group = self._read(source, dn, what)
            listed = _member_dns(group["attributes"])
            if not listed and _values(group["attributes"].get("memberUid")):
                raise GroupError(
                    source,
                    f"{what} {dn} lists members by memberUid (posixGroup), which this tool does not"
                    " read",
                )
            if not _is_group(group["attributes"]):
                raise GroupError(
                    source, f"{dn} is not a group (groupOfNames, groupOfUniqueNames or group)"
                )
            found = {
                _norm_dn(e["dn"]): e
                for e in self._paged(
                    source, base, f"(memberOf={esc(dn)})", attrs, f"the members of {dn}"
                )
            }
            for member in listed:
                key = _norm_dn(member)
                entry = found.get(key) or self._read(source, member, f"member of {dn}")
                if _is_group(entry["attributes"]):
                    if key not in visited:
                        visited.add(key)
                        if len(visited) > MAX_LDAP_GROUPS:
                            raise GroupError(
                                source, f"more than {MAX_LDAP_GROUPS} nested groups; stopped"
                            )
                        queue.append(member)
                elif key not in people:
                    people[key] = self._addresses(source, entry)
        return people


def _ad_partition_ref(uri: Any) -> bool:
    """True for the references AD returns from a search at the domain root to its DNS and
    configuration partitions: application partitions and the configuration hold no users."""
    dn = urllib.parse.unquote(urllib.parse.urlsplit(str(uri)).path.lstrip("/"))
    return _norm_dn(dn).split(",")[0] in (
        "dc=domaindnszones",
        "dc=forestdnszones",
        "cn=configuration",
    )


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _norm_dn(dn: str) -> str:
    """Close enough to compare DNs as servers write them: case and spaces around separators."""
    return ",".join(
        "=".join(p.strip() for p in rdn.split("=", 1)) for rdn in str(dn).split(",")
    ).casefold()


def _member_dns(attributes: Mapping[str, Any]) -> list[str]:
    dns = [str(v) for key in ("member", "uniqueMember") for v in _values(attributes.get(key))]
    # uniqueMember may carry an optional UID after '#' ("cn=x,dc=y#'0101'B").
    return list(dict.fromkeys(re.sub(r"#'[01]*'B$", "", dn) for dn in dns if dn.strip()))


def _is_group(attributes: Mapping[str, Any]) -> bool:
    classes = {str(c).casefold() for c in _values(attributes.get("objectClass"))}
    return bool(classes & LDAP_GROUP_CLASSES)


def show_groups(plan: "Plan", groups: Sequence[GroupMembers], console: Console) -> None:
    if not groups:
        return
    console.result("Directory groups (read live):")
    for row in groups_json(groups, plan):
        does = "to remove" if row["role"] == ROLE_ONLY else "kept by it"
        console.result(
            f"  --{row['role']}-group {row['source']}: {row['members']} members; {row['in_plan']}"
            f" of them {does}"
        )
    kept = [p for p, reason in plan.kept if reason == Kept.PROTECTED_GROUP]
    if kept and console.verbosity >= 0:
        console.result("Kept as members of a protected group:")
        width = max(len(str(p.id)) for p in kept)
        for person in kept:
            console.result(
                f"  {person.id:>{width}}  {person.email}  {person.name}{group_note(plan, person)}"
            )


def groups_json(groups: Sequence[GroupMembers], plan: "Plan") -> list[dict[str, Any]]:
    """Each group, its member count, and how many people of the plan it selected or kept."""
    return [
        {
            "source": g.source.label,
            "role": g.source.role,
            "members": g.count,
            "in_plan": sum(1 for labels in plan.groups.values() if g.source.label in labels),
        }
        for g in groups
    ]


def group_note(plan: "Plan", person: "Person") -> str:
    labels = plan.groups.get(person.id)
    return f"  [group {', '.join(labels)}]" if labels else ""


def group_json(plan: "Plan", person: "Person") -> dict[str, Any]:
    labels = plan.groups.get(person.id)
    return {"groups": labels} if labels else {}


def group_roles(groups: Sequence[GroupMembers], role: str) -> dict[str, list[str]] | None:
    """Address -> the groups of this role that hold it (None when no group has this role)."""
    chosen = [g for g in groups if g.source.role == role]
    if not chosen:
        return None
    found: dict[str, list[str]] = {}
    for group in chosen:
        for address in group.select if role == ROLE_ONLY else group.protect:
            found.setdefault(address, []).append(group.source.label)
    return found


# ---------------------------------------------------------------------------------------------
# The plan: a pure function from members and protections to who goes and who stays, and why
# ---------------------------------------------------------------------------------------------


class Word(str, enum.Enum):
    """A word the report, --json and plan files use: the member is its word, in every sense (it
    prints, compares, hashes and serializes as the text), so rows read back compare as written."""

    def __str__(self) -> str:
        return str.__str__(self)

    def __format__(self, spec: str) -> str:
        return str.__format__(self, spec)

    __hash__ = str.__hash__


class Kept(Word):
    """Why the plan keeps a member: the plan's and --json's words. The order is the plan's."""

    CALLER = "the caller (you)"
    PROTECTED = "protected email"
    PROTECTED_GROUP = "in a protected group"
    TRANSFER_TARGET = "transfer target"
    ADMIN = "admin"
    REVIEW = "kept on the review page"  # ticked there: Protections.ids
    NO_EMAIL = "no email on record"
    NOT_IN_PLAN = "not in the saved plan"
    NOT_ONLY = "not on the --only list"
    RECENT = "logged in recently"
    NEVER = "never logged in"
    LOGIN_UNKNOWN = "last login unknown"
    NOT_IN_REPORT = "not suspended by the --from-report run"
    NOT_SUSPENDED = "not suspended"
    SUSPENSION_CONFLICT = "signs of suspension disagree"
    SUSPENDED_RECENTLY = "suspended recently"
    SUSPENSION_UNKNOWN = "suspension time unknown"


PLAN_FORMAT = "remove_users.plan/1"


@dataclass
class Protections:
    emails: list[str] = field(default_factory=list)
    include_admins: bool = False
    transfer_to: str | None = None
    # address -> the --exclude-group sources holding it
    groups: dict[str, list[str]] = field(default_factory=dict)
    ids: set[int] = field(default_factory=set)  # people kept by id: ticked on the review page


@dataclass
class Selection:
    """Who may go at all: everyone, or only listed people, or only the inactive (both must hold)."""

    only: list[str] | None = None
    inactive_days: int | None = None
    include_never_logged_in: bool = False
    now: dt.datetime | None = None  # for --inactive-days; a parameter so the plan stays pure
    groups: dict[str, list[str]] | None = None  # address -> the --only-group sources holding it
    only_suspended: bool = False  # --only-suspended: members who are suspended now
    only_ids: set[int] | None = None  # --from-report: the people a report shows as suspended
    suspended_days: int | None = None  # ... and whose suspension is more than N days old
    # When this tool suspended (or last reactivated) each person, by its reports (suspension_times)
    suspended_since: dict[int, "Since"] | None = None
    reports_read: list[str] = field(default_factory=list)  # the reports those times came from
    reports_skipped: list[str] = field(default_factory=list)  # ... with rows of another host


@dataclass
class Plan:
    remove: list[Person]
    kept: list[tuple[Person, str]]
    unmatched: list[str]  # protected entries that match no member
    gone: list[Person] = field(default_factory=list)  # in a saved plan, but no longer members
    not_members: list[str] = field(default_factory=list)  # --only entries that match no member
    # person id -> the groups that selected or kept them
    groups: dict[int, list[str]] = field(default_factory=dict)
    # chosen, but the action is already done for them
    already: list[Person] = field(default_factory=list)
    # given to an undo, but not seen suspended (undo_unseen): the person, and why
    unseen: list[tuple[Person, str]] = field(default_factory=list)

    def kept_counts(self) -> dict[str, int]:
        counts = collections.Counter(reason for _, reason in self.kept)
        return {reason: counts[reason] for reason in Kept if counts[reason]}


def make_plan(
    people: Sequence[Person],
    caller_id: int,
    admin_ids: set[int],
    protections: Protections,
    selection: Selection | None = None,
    *,
    caller_email: str | None = None,
) -> Plan:
    """Each member is removed or kept with one reason; protections are checked before selection.
    The caller is kept by id and by email: a second record under the caller's email is still you."""
    selection = selection or Selection()
    me = normalize_email(caller_email)
    listed = {normalize_email(e) for e in selection.only} if selection.only is not None else None
    only = listed if selection.groups is None else (listed or set()) | set(selection.groups)
    protected = {normalize_email(e) for e in protections.emails}
    target = normalize_email(protections.transfer_to) if protections.transfer_to else None
    seen: set[str] = set()
    remove: list[Person] = []
    kept: list[tuple[Person, str]] = []
    groups: dict[int, list[str]] = {}
    # The order of these tests is the safety rule: every protection comes before any selection,
    # so that nothing a selection says (an --only list, an inactivity rule, a saved report) can
    # pick someone a protection keeps. Each person gets the first reason that holds.
    for person in people:
        email = normalize_email(person.email)
        if email in protected or (listed is not None and email in listed):
            seen.add(email)  # only what `unmatched` and `not_members` ask about: not 100,000 emails
        # You by id, and by email too: a second record under your email (another id scheme, a
        # stale duplicate) must not be removed as someone else.
        if person.id == caller_id or (me and email == me):
            kept.append((person, Kept.CALLER))
        elif email and email in protected:
            kept.append((person, Kept.PROTECTED))
        elif email and email in protections.groups:
            kept.append((person, Kept.PROTECTED_GROUP))
            groups[person.id] = protections.groups[email]
        elif target and email == target:
            kept.append((person, Kept.TRANSFER_TARGET))
        # admin_ids is the admins route's list plus every record saying isAdmin: a true flag
        # protects even though the flag is trusted only on the caller's own record.
        elif person.id in admin_ids and not protections.include_admins:
            kept.append((person, Kept.ADMIN))
        elif person.id in protections.ids:
            kept.append((person, Kept.REVIEW))
        elif not email:
            kept.append((person, Kept.NO_EMAIL))  # a missing email must never mean removal
        # From here on, selections: they can only narrow who goes, never widen it.
        elif only is not None and email not in only:
            kept.append((person, Kept.NOT_ONLY))
        elif selection.only_ids is not None and person.id not in selection.only_ids:
            kept.append((person, Kept.NOT_IN_REPORT))
        elif selection.inactive_days is not None and (reason := _activity_keeps(person, selection)):
            kept.append((person, reason))
        elif selection.only_suspended and (reason := _suspension_keeps(person, selection)):
            kept.append((person, reason))
        else:
            remove.append(person)
            if selection.groups and email in selection.groups:
                groups[person.id] = selection.groups[email]
    unmatched = sorted({normalize_email(e) for e in protections.emails} - seen)
    # a group's outsiders are only counted
    not_members = sorted(listed - seen) if listed is not None else []
    if selection.only_ids is not None:
        not_members += [f"id {pid}" for pid in sorted(selection.only_ids - {p.id for p in people})]
    return Plan(remove, kept, unmatched, not_members=not_members, groups=groups)


def _activity_keeps(person: Person, selection: Selection) -> str | None:
    """Why --inactive-days keeps this person, or None if they have been away long enough."""
    if not person.has_last_login:
        return Kept.LOGIN_UNKNOWN  # a missing field is unknown, never "never logged in"
    if person.last_login is None:
        return None if selection.include_never_logged_in else Kept.NEVER
    when = parse_time(person.last_login)
    if when is None or when <= EPOCH:
        return Kept.LOGIN_UNKNOWN  # 0 or -1 is how Java and SQL write "never": not a login in 1970
    now = selection.now or dt.datetime.now(dt.timezone.utc)
    assert selection.inactive_days is not None
    return None if now - when > dt.timedelta(days=selection.inactive_days) else Kept.RECENT


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def _suspension_keeps(person: Person, selection: Selection) -> str | None:
    """Why --only-suspended (and --suspended-days) keeps this person, or None if they may go."""
    if person.conflict:
        return Kept.SUSPENSION_CONFLICT  # `state: active` beside a suspension: not confirmed
    if not person.suspended:
        return Kept.NOT_SUSPENDED
    if selection.suspended_days is None:
        return None
    since = suspension_since(person, selection)
    if since.when is None:
        return Kept.SUSPENSION_UNKNOWN  # never a guess of how long ago
    now = selection.now or dt.datetime.now(dt.timezone.utc)
    if now - since.when <= dt.timedelta(days=selection.suspended_days):
        return Kept.SUSPENDED_RECENTLY
    # Reactivated long ago and suspended again since, by someone else, at a time nobody recorded.
    return Kept.SUSPENSION_UNKNOWN if since.after else None


class Since(NamedTuple):
    """When a suspension began, as far as it can be trusted, and where that came from."""

    when: dt.datetime | None  # None: unknown
    source: str  # a report's path, or "lastStateChange"; "" when nothing tells
    after: bool = False  # True: only that it began after `when` (the person was reactivated then)


def suspension_since(person: Person, selection: Selection) -> Since:
    """This tool's report rows first, the server's lastStateChange second, and the later of the two
    where both tell: a person suspended less than N days ago by either is kept."""
    ours = (selection.suspended_since or {}).get(person.id)
    server = server_suspension_time(person)
    if ours is None:
        return Since(server, "lastStateChange" if server else "")
    if ours.when is None:
        return ours  # a row of ours without a readable time: unknown, never the server's word
    if server is not None and server >= ours.when:
        return Since(server, "lastStateChange")  # suspended again since the row (by hand, say)
    if not ours.after and changed_since(person, ours.when):
        # The record changed after our row: it may have been reactivated and suspended again (in
        # the AAC UI, where no row of ours says so). Only "after our row" is known: kept.
        return ours._replace(after=True)
    return ours


def changed_since(person: Person, when: dt.datetime) -> bool:
    """Whether the record shows a change later than `when` (beyond a server clock a little ahead):
    its updatedAt or lastStateChange. Neither is documented to move with a suspension, so a time
    that stayed still proves nothing; one that moved is a sign the suspension may be newer."""
    slack = dt.timedelta(seconds=SERVER_CLOCK_SLACK)
    for value in (person.updated_at, person.state_change):
        changed = parse_time(value) if value else None
        if changed is not None and changed > when + slack:
            return True
    return False


def server_suspension_time(person: Person) -> dt.datetime | None:
    """lastStateChange, where it can date the suspension. The spec makes it "Timestamp for when the
    value of the state parameter was changed", so it dates only a suspension shown by `state`; one
    at or before createdAt never moved, and 0 or -1 (at or before 1970) is how Java and SQL write
    "unset". Anything else is unknown, never a guess."""
    if person.suspension is None or not person.suspension.startswith("state:"):
        return None
    when = parse_time(person.state_change) if person.state_change else None
    if when is None or when <= EPOCH:
        return None
    created = parse_time(person.created_at) if person.created_at else None
    return None if created is not None and when <= created else when


def parse_time(value: str) -> dt.datetime | None:
    """An ISO 8601 time as AAC writes it (`2026-09-01T12:00:00.000Z`), in UTC; None if
    unreadable."""
    try:
        when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def check_only_entries(entries: Iterable[str], people: Iterable[Person]) -> None:
    """Stops (UsageError) on an --only entry that would select someone it may not mean.

    Emails compare case-folded, which protects widely but selects too widely: folding maps
    `straße` to `strasse`, `ﬁ` to `fi` and a final `ς` to `σ`. An entry that matches two or more
    members, or one member only through such a letter-changing fold, removes nobody: the run stops.
    """
    members: dict[str, list[Person]] = collections.defaultdict(list)
    for person in people:
        if person.email:
            members[normalize_email(person.email)].append(person)
    for entry in entries:
        matches = members.get(normalize_email(entry), [])
        if len(matches) > 1:
            found = ", ".join(f"{p.email} (id {p.id})" for p in matches)
            raise UsageError(
                f"the --only (or --only-file) entry {entry} matches {len(matches)} members"
                f" ({found}); nothing was changed. Name one exactly"
            )
        if matches and _case_only(entry) != _case_only(matches[0].email):
            raise UsageError(
                f"the --only (or --only-file) entry {entry} matches {matches[0].email} only through"
                " Unicode case folding, which changes letters (ß to ss, ﬁ to fi, ς to σ): it may"
                " be another mailbox, so nothing was changed. Write the member's email exactly"
            )


def _case_only(address: str | None) -> str:
    """An address with only letter case undone: ASCII, and non-ASCII letters whose lower case is one
    non-ASCII letter (É to é), never a fold that turns letters into others (ß, ﬁ, ς)."""
    text = unicodedata.normalize("NFC", (address or "").strip())
    lowered = (
        c.lower() if c.isascii() or (len(c.lower()) == 1 and not c.lower().isascii()) else c
        for c in text
    )
    return unicodedata.normalize("NFC", "".join(lowered))


def near_misses(unmatched: Iterable[str], people: Iterable[Person]) -> list[tuple[str, str]]:
    """Protected entries that match nobody but look like a member's email: one edit away, the same
    local part under another domain, the same once a `+tag` is dropped from either local part, or
    the same once look-alike Cyrillic or Greek letters are read as Latin. Each is likely a typo
    that would remove that member."""
    entries = [normalize_email(entry) for entry in unmatched]
    if not entries:
        return []
    emails = sorted({normalize_email(p.email) for p in people if p.email})
    # Indexed only under the keys the entries ask for: at 100,000 members full indexes cost 30 MB.
    locals_wanted = {entry.split("@")[0] for entry in entries}
    likeness_wanted = {_likeness(entry) for entry in entries}
    by_local: dict[str, str] = {}
    by_likeness: dict[str, str] = {}
    for address in emails:
        local = address.split("@")[0]
        if local in locals_wanted:
            by_local.setdefault(local, address)
        likeness = _likeness(address)
        if likeness in likeness_wanted:
            by_likeness.setdefault(likeness, address)
    found = []
    for entry in entries:
        match = (
            next((e for e in emails if _one_edit_apart(entry, e)), None)
            or by_local.get(entry.split("@")[0])
            or by_likeness.get(_likeness(entry))
        )
        if match:
            found.append((entry, match))
    return found


def _likeness(address: str) -> str:
    """An address without a `+tag` and with look-alike letters read as Latin."""
    local, _, domain = address.partition("@")
    return f"{local.split('+')[0]}@{domain}".translate(_LOOKALIKES)


def _one_edit_apart(a: str, b: str) -> bool:
    """True when one insertion, deletion, substitution or swap of neighbours turns a into b."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :] or (
            a[i : i + 2] == b[i : i + 2][::-1] and a[i + 2 :] == b[i + 2 :]
        )
    return a[i:] == b[i + 1 :]


@dataclass
class SavedPlan:
    """A reviewed plan (--dry-run --plan-out), applied exactly by --plan."""

    path: str
    workspace_id: int
    workspace_name: str | None
    protections: Protections
    remove: list[Person]
    created: str | None = None  # when --plan-out wrote it (UTC, ISO 8601), as the file says
    action: str = "remove"  # plans written before suspension existed are removal plans
    # made with --only-suspended/--suspended-days: planned people must still be suspended
    only_suspended: bool = False
    # made with --suspended-days: applying it checks the days again, as the plan did, with the
    # reports it read (and this run's)
    suspended_days: int | None = None
    reports_read: list[str] = field(default_factory=list)
    exclude_groups: list[str] = field(default_factory=list)  # its --exclude-group sources


def saved_plan_note(saved: SavedPlan, now: dt.datetime | None = None) -> tuple[str, str]:
    """The plan's line (which file, how old) and a warning, or "": last semester's plan would
    remove returning people."""
    made = parse_time(saved.created) if saved.created else None
    if made is None:
        return (
            f"Applying the saved plan {shown(saved.path)}, made at a time it does not record",
            f"the plan {saved.path} does not say when it was made; check it is this run's plan",
        )
    # a clock a little ahead: today
    days = max(0, ((now or dt.datetime.now(dt.timezone.utc)) - made).days)
    age = {0: "today", 1: "yesterday"}.get(days, f"{days} days ago")
    line = f"Applying the saved plan {shown(saved.path)}, made {made:%Y-%m-%d %H:%M} UTC ({age})"
    if days <= PLAN_STALE_DAYS:
        return line, ""
    return (
        line,
        (
            f"the plan {saved.path} is {days} days old: people in it who are members again, or"
            " still, would be removed. Make a fresh one with --dry-run --plan-out unless this is"
            " the plan you reviewed"
        ),
    )


def plan_document(planned: Planned) -> bytes:
    """The --plan-out file's bytes, which --plan applies: written by a dry run, or downloaded from
    the review page."""
    ws, plan, protections = planned.ws, planned.plan, planned.protections
    groups, action, selection = planned.groups, planned.action, planned.selection
    document = {
        "format": PLAN_FORMAT,
        "tool_version": __version__,
        "created": utc_now(),
        "action": action.name,
        "only_suspended": selection.only_suspended,
        "suspended_days": selection.suspended_days,
        "reports_read": [os.path.abspath(path) for path in selection.reports_read],
        "workspace": {"id": ws.id, "name": ws.name},
        "protections": {
            "emails": sorted({normalize_email(e) for e in protections.emails}),
            "include_admins": protections.include_admins,
            "transfer_to": protections.transfer_to,
            "caller": {"id": ws.caller.id, "email": ws.caller.email},
            "admins": sorted(ws.admin_ids),
        },
        "remove": [
            {"id": p.id, "email": p.email, "name": p.name} for p in plan.already + plan.remove
        ],
        "email_files": email_files_json(planned.email_files),
    }
    if groups:
        document["groups"] = groups_json(groups, plan)
    return (json.dumps(document, indent=2) + "\n").encode("utf-8")


def write_plan(path: str, document: bytes) -> None:
    try:
        # owner-only, like the report
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "wb") as handle:
            handle.write(document)
    except OSError as exc:
        raise UsageError(f"cannot write the plan {path}: {exc.strerror or exc}") from None


def load_plan(path: str) -> SavedPlan:
    """A plan file, read strictly: a field of the wrong type (`"include_admins": "false"`, an id as
    text) is refused naming the field, since a reviewer's hand edit must not change who goes."""
    try:
        with open(path, encoding="utf-8") as handle:
            doc = json.load(handle)
    except OSError as exc:
        raise UsageError(f"cannot read the plan {path}: {exc.strerror or exc}") from None
    except ValueError:
        raise UsageError(f"the plan {path} is not valid JSON") from None
    try:
        if not isinstance(doc, dict) or doc.get("format") != PLAN_FORMAT:
            found = doc.get("format") if isinstance(doc, dict) else None
            raise ValueError(f"its format is {found!r}, not {PLAN_FORMAT!r}")
        workspace = _plan_field(doc, "workspace", dict)
        prot = _plan_field(doc, "protections", dict)
        emails = check_emails(
            _plan_field(prot, "emails", list, "protections.emails", items=str), f"the plan {path}"
        )
        remove: list[Person] = []
        ids: set[int] = set()
        owners: dict[str, int] = {}  # each email in `remove`, and the id it came with
        for n, entry in enumerate(_plan_field(doc, "remove", list, items=dict)):
            where = f"remove[{n}]"
            person = Person(
                _plan_field(entry, "id", int, f"{where}.id"),
                _plan_field(entry, "email", (str, type(None)), f"{where}.email"),
                _plan_field(entry, "name", (str, type(None)), f"{where}.name") or "",
            )
            # A person listed twice would get two removals whose answers race for the report's row.
            if person.id in ids:
                raise ValueError(
                    f"{where} repeats person id {person.id} ({person.email}); list each person once"
                )
            email = normalize_email(person.email)
            if email and email in owners:
                raise ValueError(
                    f"{where} repeats the email {person.email} (id {owners[email]} and id"
                    f" {person.id}); list each person once"
                )
            ids.add(person.id)
            owners[email] = person.id
            remove.append(person)
        transfer_to = _plan_field(prot, "transfer_to", (str, type(None)), "protections.transfer_to")
        only_suspended = "only_suspended" in doc and _plan_field(doc, "only_suspended", bool)
        if only_suspended and "suspended_days" not in doc:
            # An earlier version did not record --suspended-days: the days could not be checked.
            raise ValueError(
                "it chose suspended members but does not say whether --suspended-days did (an"
                " earlier version wrote it); make a new plan"
            )
        days = _plan_field(doc, "suspended_days", (int, type(None))) if only_suspended else None
        return SavedPlan(
            path,
            _plan_field(workspace, "id", int, "workspace.id"),
            _plan_field(workspace, "name", (str, type(None)), "workspace.name"),
            Protections(
                emails,
                _plan_field(prot, "include_admins", bool, "protections.include_admins"),
                check_emails([transfer_to], f"the plan {path}")[0] if transfer_to else None,
            ),
            remove,
            doc.get("created") if isinstance(doc.get("created"), str) else None,
            _plan_action(doc.get("action", "remove")),
            only_suspended,
            days,
            _plan_field(doc, "reports_read", list, items=str) if "reports_read" in doc else [],
            _saved_exclude_groups(doc),
        )
    except ValueError as exc:
        raise UsageError(f"the plan {path} is not a plan written by --plan-out: {exc}") from None


def _saved_exclude_groups(doc: dict[str, Any]) -> list[str]:
    groups = doc.get("groups") or []
    if not isinstance(groups, list):
        raise ValueError("the field groups is not a list")
    return [
        g["source"]
        for g in groups
        if isinstance(g, dict)
        and g.get("role") == ROLE_EXCLUDE
        and isinstance(g.get("source"), str)
    ]


_JSON_KINDS = {
    str: "text",
    int: "a whole number",
    bool: "true or false",
    dict: "an object",
    list: "a list",
    type(None): "null",
}


def _plan_field(
    obj: dict[str, Any], key: str, kind: Any, name: str | None = None, items: type | None = None
) -> Any:
    """obj[key], which must be of `kind` (a bool is no int here), and a list's items of `items`."""
    name = name or key
    if key not in obj:
        raise ValueError(f"the field {name} is missing")
    value = obj[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        wanted = " or ".join(_JSON_KINDS[k] for k in kinds)
        raise ValueError(f"the field {name} is {json.dumps(value)}, not {wanted}")
    if items is not None and any(not isinstance(item, items) for item in value):
        raise ValueError(f"the field {name} holds an item that is not {_JSON_KINDS[items]}")
    return value


def _plan_action(name: Any) -> str:
    if not isinstance(name, str) or name not in ACTIONS:
        raise ValueError(f"the field action is {json.dumps(name)}, not {listed(list(ACTIONS))}")
    return str(name)


def apply_saved_plan(
    saved: SavedPlan,
    ws: Workspace,
    extra_emails: list[str],
    extra_groups: dict[str, list[str]] | None = None,
    selection: Selection | None = None,
) -> Plan:
    """The saved plan's people and nobody else, after checking that it still applies.

    Stops (SafetyStop) when the token's workspace is not the plan's, or when a planned person is
    now protected or has another email; people who left meanwhile count as already gone. A removal
    planned among suspended members (`selection`: the plan's --only-suspended and --suspended-days,
    with suspension times read now) stops when a planned person is kept by the same rule now: no
    longer suspended, or suspended again since the review (less than N days ago, or at a time that
    cannot be told).
    """
    if saved.workspace_id != ws.id:
        raise SafetyStop(
            f"the plan {saved.path} is for workspace {saved.workspace_id} ({saved.workspace_name}),"
            f" but this token's workspace is {workspace_label(ws)}; nothing was changed"
        )
    protections = Protections(
        saved.protections.emails + extra_emails,
        saved.protections.include_admins,
        saved.protections.transfer_to,
        extra_groups or {},
    )
    current = make_plan(
        ws.people, ws.caller.id, ws.admin_ids, protections, caller_email=ws.caller.email
    )
    members = {p.id: p for p in ws.people}
    would_go = {p.id for p in current.remove}
    why_kept = {p.id: reason for p, reason in current.kept}
    planned = {p.id for p in saved.remove}
    remove, gone, problems = [], [], []
    for entry in saved.remove:
        person = members.get(entry.id)
        if person is None:
            gone.append(entry)
        elif normalize_email(person.email) != normalize_email(entry.email):
            problems.append(
                f"id {entry.id} is {person.email or 'without an email'} now, not {entry.email}"
            )
        elif person.id not in would_go:
            problems.append(
                f"{person.email} (id {person.id}) is now protected ({why_kept[person.id]})"
            )
        elif (
            saved.only_suspended
            and not ACTIONS[saved.action].on_record
            and (reason := _suspension_keeps(person, selection or Selection(only_suspended=True)))
        ):
            problems.append(f"{person.email} (id {person.id}) {_NOW_KEPT[reason]}")
        else:
            remove.append(person)
    if problems:
        raise SafetyStop(
            f"the plan {saved.path} no longer applies: "
            + "; ".join(problems)
            + ". Nothing was changed; make a new plan"
        )
    kept = [(p, r) for p, r in current.kept] + [
        (p, Kept.NOT_IN_PLAN) for p in current.remove if p.id not in planned
    ]
    return Plan(remove, kept, current.unmatched, gone, groups=current.groups)


# Why a planned person no longer fits a grace plan, by the keep reason the plan's rule gives now.
_NOW_KEPT = {
    Kept.NOT_SUSPENDED: "is no longer suspended",
    Kept.SUSPENDED_RECENTLY: "is suspended recently now (reactivated and suspended again since?)",
    Kept.SUSPENSION_UNKNOWN: "has a suspension whose time cannot be told now",
}


def find_member(people: Iterable[Person], email: str) -> Person | None:
    wanted = normalize_email(email)
    return next((p for p in people if normalize_email(p.email) == wanted), None)


# ---------------------------------------------------------------------------------------------
# The audit report: an intent row synced before each removal, then the outcome; last row wins
# ---------------------------------------------------------------------------------------------


class Outcome(Word):
    """What a run did for one person: the report's `outcome` column and --json's words."""

    REMOVED = "removed"
    ALREADY_GONE = "already-gone"
    FAILED = "failed"
    NOT_ATTEMPTED = "not-attempted"
    UNKNOWN = "unknown"
    TRANSFER_FAILED = "transfer-failed"
    ATTEMPTING = "attempting"  # the intent, synced before the request: never a run's last word
    SUSPENDED = "suspended"
    ALREADY_SUSPENDED = "already-suspended"
    UNSUSPENDED = "unsuspended"
    NOT_SUSPENDED = "not-suspended"
    TRANSFERRED = "transferred"  # internal: the transfer went through, the removal follows


@dataclass
class Result:
    person: Person
    outcome: str
    status: int | None = None
    request_id: str | None = None
    detail: str = ""
    transferred_to: str = ""
    halt: str = ""  # not a report column: why this answer stops the whole run
    token: bool = False  # not a report column: the halt is a rejected token (nothing more is sent)
    # the report's action column, when not this run's (a settled row of an earlier run)
    action: str = ""


class AuditReport:
    """Appends, never overwrites: the file is an audit log across runs, read by its last row per
    person.

    Before each removal an `attempting` row is written and synced to disk (os.fsync), so that
    after a `kill -9` or a power cut everyone the server may have removed has a row; the next run
    with the same report settles those rows against the workspace. Each row goes out in one
    write; a write that fails (disk full, I/O error) is cut back off the file, and from then on
    rows go to stderr as CSV lines and `broken` tells the run to start no new removal."""

    def __init__(
        self,
        path: str,
        workspace_id: int,
        console: Console | None = None,
        action: str = "remove",
        host: str = "",
        named: bool = True,  # False: found by its default name, not given (rows_here)
    ) -> None:
        self.path = path
        self.workspace_id = workspace_id
        self.action = action
        self.noun = ACTIONS[action].noun if action in ACTIONS else "change"
        self.host = host
        self.fields = list(REPORT_FIELDS)
        self.console = console or Console()
        self.lock = threading.Lock()
        self.done: dict[int, Result] = {}  # this run's last word on each person
        self.failure: OSError | None = None
        self.unwritten = 0
        self.fd: int | None = None
        self.appended = 0  # rows written so far
        self.synced = 0  # rows known to be on disk
        self.syncing = False
        self.sync_cond = threading.Condition()  # taken before self.lock, never inside it
        try:
            self.unsettled = _unsettled_attempts(path, workspace_id, host, named)
            # Owner-only: the report lists members' emails and names (umask may narrow it further).
            self.fd = os.open(
                path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600
            )
            size = os.fstat(self.fd).st_size
            if size == 0:
                # A UTF-8 BOM first: Excel then reads the file as UTF-8. Appending adds none.
                self._append(
                    b"\xef\xbb\xbf" + _csv_line(dict(zip(self.fields, self.fields)), self.fields),
                    sync=False,
                )
            else:
                self.fields = _header_of(path)
                with open(path, "rb") as handle:
                    handle.seek(size - 1)
                    # a row cut short by an earlier crash: start a fresh line
                    if handle.read(1) != b"\n":
                        self._append(b"\r\n", sync=False)
        except OSError as exc:
            self._close_fd()
            raise UsageError(f"cannot write the report {path}: {exc.strerror or exc}") from None
        except RemoveUsersError:
            self._close_fd()
            raise

    @property
    def broken(self) -> bool:
        return self.failure is not None

    def attempt(self, person: Person, detail: str = "about to send the removal") -> bool:
        """The intent, synced before the request goes out. False: do not send (it could not be
        written, or the person already has this run's outcome, such as `unknown` after an abandon).
        """
        return self._row(
            Result(person, Outcome.ATTEMPTING, detail=detail), sync=True, unless_done=True
        )

    def attempt_all(self, people: list[Person], detail: str) -> bool:
        """The intents of a bulk request's people: one write and one sync for the whole batch."""
        return self._write(
            [Result(person, Outcome.ATTEMPTING, detail=detail) for person in people],
            sync=True,
            unless_done=True,
        )

    def record(self, outcome: Result) -> bool:
        """The run's outcome for a person, once; a later outcome for the same person is ignored."""
        with self.lock:
            if outcome.person.id in self.done:
                return False
            self.done[outcome.person.id] = outcome
        self._row(outcome)
        return True

    def correct(self, outcome: Result, counts: bool = True) -> None:
        """A later row that overrides the person's earlier ones (verification, settling)."""
        if counts:
            with self.lock:
                self.done[outcome.person.id] = outcome
        self._row(outcome)

    def _row(self, outcome: Result, sync: bool = False, unless_done: bool = False) -> bool:
        return self._write([outcome], sync, unless_done)

    def _write(self, outcomes: list[Result], sync: bool = False, unless_done: bool = False) -> bool:
        line = b"".join(self._line(outcome) for outcome in outcomes)
        with self.lock:
            if unless_done and any(outcome.person.id in self.done for outcome in outcomes):
                return False
            if self.failure is None and self.fd is None:
                # closed: a straggler after the run ended (an abandoned worker or check)
                return False
            if self.failure is None:
                try:
                    self._append(line, False)
                    self.appended += 1
                    if not sync:
                        return True
                    seq = self.appended
                except OSError as exc:
                    self.failure = exc
                    self.console.error(
                        f"cannot write the report {self.path} ({exc.strerror or exc}); no new"
                        f" {self.noun} starts. The rows that could not be written follow as CSV"
                        " lines:"
                    )
                    self.console.raw(
                        _csv_line(dict(zip(self.fields, self.fields)), self.fields)
                        .decode("utf-8")
                        .rstrip("\r\n")
                    )
            if not (self.failure is None and sync):
                self.unwritten += len(outcomes)
                self.console.raw(line.decode("utf-8").rstrip("\r\n"))
                return False
        return self._synced(seq)

    def _synced(self, seq: int) -> bool:
        """Waits until a sync begun after row `seq` was written has finished. One fsync covers every
        row written before it began, so workers writing intents at once share a sync instead of
        queueing for one each (group commit). False if the sync failed: then no new removal starts.
        """
        with self.sync_cond:
            while self.synced < seq:
                if self.failure is not None:
                    return False
                if self.syncing:
                    self.sync_cond.wait()
                    continue
                self.syncing = True
                with self.lock:
                    target, fd = self.appended, self.fd
                self.sync_cond.release()
                error: OSError | None = None
                try:
                    if fd is not None:
                        os.fsync(fd)
                except OSError as exc:
                    error = exc
                finally:
                    self.sync_cond.acquire()
                    self.syncing = False
                    self.sync_cond.notify_all()
                if error is not None:
                    with self.lock:
                        self.failure = self.failure or error
                    self.console.error(
                        f"cannot sync the report {self.path} ({error.strerror or error}); no new"
                        f" {self.noun} starts"
                    )
                    return False
                self.synced = max(self.synced, target)
            return True

    def _line(self, outcome: Result) -> bytes:
        return _csv_line(
            {
                "action": outcome.action or self.action,
                "time": utc_now(),
                "workspace_id": self.workspace_id,
                "person_id": outcome.person.id if outcome.person.id >= 0 else "",
                "email": csv_safe(outcome.person.email),
                "name": csv_safe(outcome.person.name),
                "outcome": outcome.outcome,
                "http_status": outcome.status or "",
                "request_id": csv_safe(outcome.request_id),
                "detail": csv_safe(redact(outcome.detail)),
                "transferred_to": csv_safe(outcome.transferred_to),
                "host": self.host,
            },
            self.fields,
        )

    def _append(self, data: bytes, sync: bool) -> None:
        assert self.fd is not None
        before = os.fstat(self.fd).st_size
        try:
            written = _write_report(self.fd, data)
            if written != len(data):
                raise OSError(errno.ENOSPC, f"{os.strerror(errno.ENOSPC)} (a short write)")
            if sync:
                os.fsync(self.fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, before)  # no half row left behind
            raise

    def close(self) -> None:
        with self.lock:
            if self.fd is not None and self.failure is None:
                with contextlib.suppress(OSError):
                    os.fsync(self.fd)
            self._close_fd()

    def _close_fd(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None


def _write_report(fd: int, data: bytes) -> int:
    """The one place report bytes reach the disk (tests replace it to make writes fail)."""
    return os.write(fd, data)


def _csv_line(row: Mapping[str, Any], fields: list[str]) -> bytes:
    buffer = io.StringIO()
    # two rows a removal: keep it cheap
    csv.writer(buffer).writerow([row.get(name, "") for name in fields])
    return buffer.getvalue().encode("utf-8")


# Without these a row appended to a report could not be read back as whose and what it was.
REPORT_KEY_FIELDS = ("time", "workspace_id", "person_id", "outcome")


def _header_of(path: str) -> list[str]:
    """The columns of an existing report, as its first line names them. Rows are appended by name
    under that header, whatever it is: a report begun by an earlier version (no `action`) or edited
    by hand (a `note` column inserted, columns moved) keeps its header, a column the tool does not
    know is left empty, and every value lands under its own name, never in another's place. A first
    line without the key columns is not a report of this tool: refused, never written into."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
        header = next(csv.reader(handle), [])
    missing = [name for name in REPORT_KEY_FIELDS if name not in header]
    if missing:
        raise UsageError(
            f"the report {path} is not a report of this tool: its first line names no"
            f" {', '.join(missing)} column, so rows appended to it could not be read back. Give"
            " --report a new file (or the report as this tool wrote it)"
        )
    return header


def _unsettled_attempts(
    path: str, workspace_id: int, host: str = "", named: bool = True
) -> dict[int, tuple[Person, str]]:
    """People whose last row in an existing report is `attempting`: an earlier run stopped
    mid-removal. Only rows of this workspace on this host: another tenant's rows are settled by a
    run against that tenant, never against this listing."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except FileNotFoundError:
        return {}
    last: dict[int, Mapping[str, str]] = {}
    for row in rows_here(rows, workspace_id, host, named)[0]:
        last[int(row["person_id"])] = row
    return {
        pid: (
            Person(pid, _uncell(row.get("email")) or None, _uncell(row.get("name")) or ""),
            row.get("action") or "remove",
        )
        for pid, row in last.items()
        if row.get("outcome") == Outcome.ATTEMPTING
    }


def report_host(base_url: str) -> str:
    """The AAC host a report's rows belong to (`us1.alteryxcloud.com`; a port only when it is not
    the scheme's own). Workspace and person ids are numbered per tenant: the same ids in a report
    of another host are other people."""
    parts = urllib.parse.urlsplit(base_url)
    host = (parts.hostname or "").lower()
    own_port = {"https": 443, "http": 80}.get(parts.scheme)
    return host if parts.port in (None, own_port) else f"{host}:{parts.port}"


def rows_here(
    rows: Iterable[Mapping[str, str]], workspace_id: int, host: str, named: bool = True
) -> tuple[list[Mapping[str, str]], set[str]]:
    """The rows of this workspace on this host (each with a numeric person_id), in file order, and
    the other hosts whose rows of the same workspace id were skipped. A row without a host (written
    before the column existed) is taken as this host's only in a report the user `named`
    (--report, --from-report): a default-named report found in a folder may be another tenant's."""
    here: list[Mapping[str, str]] = []
    elsewhere: set[str] = set()
    for row in rows:
        if row.get("workspace_id") != str(workspace_id):
            continue
        theirs = (row.get("host") or "").strip().lower()
        if not theirs and host and not named:
            elsewhere.add("a host its rows do not name")
        elif theirs and host and theirs != host:
            elsewhere.add(theirs)
        elif (row.get("person_id") or "").isdigit():
            here.append(row)
    return here, elsewhere


def _uncell(value: str | None) -> str:
    return (
        (value or "")[1:]
        if (value or "")[:2] in ("'=", "'+", "'-", "'@", "'\t", "'\r")
        else (value or "")
    )


def settle_attempts(report: AuditReport, ws: Workspace, console: Console) -> None:
    """An earlier run stopped between an `attempting` row and its outcome: the listing says
    which."""
    if not report.unsettled:
        return
    members = {p.id: p for p in ws.people}
    took: collections.Counter[str] = collections.Counter()
    not_taken: collections.Counter[str] = collections.Counter()
    for pid, (person, name) in sorted(report.unsettled.items()):
        action = ACTIONS.get(name, REMOVE)
        stopped = f"settled: an earlier run stopped during this person's {action.noun}"
        if action.on_record and pid not in members:  # a suspension is seen only on a listed record
            not_taken["not listed (unknown)"] += 1
            detail = f"{stopped}; not listed by {ws.listed_by}, so whether it took cannot be seen"
            report.correct(
                Result(person, Outcome.UNKNOWN, detail=detail, action=name), counts=False
            )
        elif action.took(members.get(pid)):
            took[action.done] += 1
            # A suspension shows on the record whoever made it: this row's time bounds when it
            # began (at the latest now), never that the stopped run's request did it.
            whose = " (by that run or since: not told apart)" if action.on_record else ""
            report.correct(
                Result(
                    person,
                    action.done,
                    detail=f"{stopped}; the listing shows them {action.is_done}{whose}",
                    action=name,
                ),
                counts=False,
            )
        else:
            not_taken[_plural(action.is_not)] += 1
            report.correct(
                Result(
                    person,
                    Outcome.FAILED,
                    detail=f"{stopped}; the listing shows them {action.is_not}",
                    action=name,
                ),
                counts=False,
            )
    console.info(
        f"Settled {len(report.unsettled)} `attempting` rows an earlier run left in {report.path}: "
        + ", ".join(f"{n} {what}" for what, n in [*took.items(), *not_taken.items()])
    )


def _plural(state: str) -> str:
    """'still a member' -> 'still members', for counts of people in that state."""
    return state.replace("a member", "members")


def default_report_path(workspace_id: int, label: str | None = None) -> str:
    """remove_users-<id>-<UTC time>.csv, or remove_users-<config section>-<id>-<UTC time>.csv."""
    section = f"{file_slug(label)}-" if label else ""
    now = dt.datetime.now(dt.timezone.utc)
    return f"remove_users-{section}{workspace_id}-{now.strftime('%Y%m%dT%H%M%SZ')}.csv"


def earlier_default_reports(
    folder: str, workspace_id: int, label: str | None, skip: str
) -> list[str]:
    """The newest EARLIER_REPORTS_READ reports in `folder` named like this workspace's default
    reports (and config section's), newest first, without `skip` (this run's own)."""
    section = f"{file_slug(label)}-" if label else ""
    pattern = re.compile(rf"remove_users-{re.escape(section)}{workspace_id}-\d{{8}}T\d{{6}}Z\.csv")
    try:
        names = sorted((n for n in os.listdir(folder) if pattern.fullmatch(n)), reverse=True)
    except OSError:
        return []
    names = [n for n in names if n != os.path.basename(skip)][:EARLIER_REPORTS_READ]
    return [name if folder == "." else os.path.join(folder, name) for name in names]


def settle_earlier_reports(
    own: AuditReport, ws: Workspace, label: str | None, console: Console
) -> None:
    """With the default report name each run writes a new file, so a run killed with `kill -9` left
    its `attempting` rows in a report the next run would never open. Settles them there: only
    files in this folder named like this workspace's default reports, the newest few."""
    folder = os.path.dirname(own.path) or "."
    for path in earlier_default_reports(folder, ws.id, label, skip=own.path):
        try:
            if not _unsettled_attempts(path, ws.id, ws.host, named=False):
                continue
            earlier = AuditReport(path, ws.id, console, host=ws.host, named=False)
        except (OSError, RemoveUsersError) as exc:
            console.warn(f"could not settle the earlier report {path}: {exc}")
            continue
        try:
            settle_attempts(earlier, ws, console)
        finally:
            earlier.close()


# ---------------------------------------------------------------------------------------------
# Actions: what a run does to each chosen person. Everything else in a run is the same for each.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """What outcome_of() needs to read an answer: the outcomes of one request's kind. A run's
    Action is one; the transfer of assets before a removal is another, and only that."""

    noun: str  # "removal": in details ("the run stopped before the removal")
    done: str  # the outcome when the server did it
    gone: str | None  # the outcome when the server says the person is not a member; None: failed
    failed: str = Outcome.FAILED  # the outcome when the server refused it
    unsure: str = Outcome.UNKNOWN  # the outcome when the server may or may not have acted
    note: str = ""  # appended to every detail that is not a success


@dataclass(frozen=True)
class Action(Step):
    """One action, described once: its flag, its words, its outcomes, its client call, its check
    afterwards. The run (plan, confirmation, workers, report, verification, summary) is the same
    for each, and every message of it takes its words from here."""

    name: str = ""  # the word in --json, plan files and the report's action column
    flag: str = ""  # "--suspend": the flag that chooses it; "" for the default, removal
    help: str = ""  # the flag's --help
    verb: str = ""  # "removes": the confirmation and the refusals
    doing: str = ""  # "Removing": the progress line
    past: str = ""  # "removed": "People who would be removed", "nobody was removed"
    already: str = ""  # the outcome of a chosen person with nothing to do, known before any request
    verified: str = ""  # "are no longer members": the verification's summary line
    again: str = ""  # "are no longer members": why a re-run handles nobody twice (the Next: line)
    is_done: str = ""  # "absent": a person the listing shows the action took for
    is_not: str = ""  # "still a member": a person the listing shows it did not
    deletes_assets: bool = False
    # an undo needs no protection from itself: no prompt for protected emails, admins too
    undoes: bool = False
    on_record: bool = False  # its outcome shows on the person's listed record, not by their absence
    on_suspended: bool = True  # False: it has nothing to do for a suspended member (suspend)
    consequence: str = ""  # what it means for the people, in the confirmation
    # (client, workspace id, person id)
    send_one: Callable[[AacClient, int, int], Answer] | None = None
    # a bulk route, if there is one
    send_many: Callable[[AacClient, int, list[int]], Answer] | None = None
    needs: Callable[[Person], bool] = lambda person: True  # False: the person is `already` done
    # after the run: the person listed again
    took: Callable[[Person | None], bool] = lambda now: now is None

    @property
    def outcomes(self) -> list[str]:
        extra = [Outcome.TRANSFER_FAILED] if self.deletes_assets else []
        return [
            self.done,
            self.already,
            Outcome.FAILED,
            *extra,
            Outcome.UNKNOWN,
            Outcome.NOT_ATTEMPTED,
        ]

    def label(self, outcome: str) -> str:
        return outcome.replace("-", " ")


REMOVE = Action(
    name="remove",
    noun="removal",
    again="are no longer members",
    done=Outcome.REMOVED,
    gone=Outcome.ALREADY_GONE,
    verb="removes",
    doing="Removing",
    past="removed",
    already=Outcome.ALREADY_GONE,
    verified="are no longer members",
    is_done="absent",
    is_not="still a member",
    deletes_assets=True,
    consequence="their flows, datasets and connections are deleted (no --transfer-to)",
    send_one=lambda client, ws, pid: client.remove_member(ws, pid),
    took=lambda now: now is None,
)
SUSPEND = Action(
    name="suspend",
    flag="--suspend",
    help=(
        "Suspend the chosen people instead of removing them: they cannot sign in, keep every"
        " asset, and still count against the seat limit; schedules they own keep running. Same"
        " selection, protections, plan, confirmation, --max-remove cap and report as a removal."
        " --unsuspend --from-report undoes it."
    ),
    noun="suspension",
    again="show as suspended now",
    on_suspended=False,
    done=Outcome.SUSPENDED,
    gone=None,  # a person who left cannot be suspended: that is a failure, not a success
    verb="suspends",
    doing="Suspending",
    past="suspended",
    already=Outcome.ALREADY_SUSPENDED,
    verified="are suspended",
    is_done="suspended",
    is_not="not suspended",
    consequence=(
        "they cannot sign in until unsuspended, and keep all their assets (--unsuspend undoes it)"
    ),
    on_record=True,
    send_one=lambda client, ws, pid: client.suspend_member(ws, pid),
    send_many=lambda client, ws, ids: client.suspend_members(ws, ids, True),
    needs=lambda person: not person.suspended,
    took=lambda now: now is not None and now.suspended,
)
UNSUSPEND = Action(
    name="unsuspend",
    flag="--unsuspend",
    help=(
        "Reactivate suspended people: those given by --from-report, --only/--only-file or"
        " --only-suspended. Members who are not suspended are listed as not suspended and left"
        " alone; if it can see nobody suspended among them, it stops (exit 1). It needs the"
        " bulk unsuspend route: the API has no one-person unsuspend, so without it the run"
        " stops (exit 1)."
    ),
    noun="unsuspension",
    again="show as active again now",
    done=Outcome.UNSUSPENDED,
    gone=None,
    verb="unsuspends",
    doing="Unsuspending",
    past="unsuspended",
    already=Outcome.NOT_SUSPENDED,
    verified="are active again",
    undoes=True,
    is_done="active again",
    is_not="still suspended",
    consequence="they can sign in again",
    on_record=True,
    send_one=None,  # the spec has no one-person unsuspend, and none is invented (Verdicts.of_batch)
    send_many=lambda client, ws, ids: client.suspend_members(ws, ids, False),
    needs=lambda person: person.suspended,
    took=lambda now: now is not None and not now.suspended,
)
# The step before each removal with --transfer-to: not an action of its own.
TRANSFER = Step(
    noun="transfer of assets",
    done=Outcome.TRANSFERRED,
    gone=None,
    failed=Outcome.TRANSFER_FAILED,
    unsure=Outcome.TRANSFER_FAILED,
    note="; the person was kept",
)
ACTIONS = {action.name: action for action in (REMOVE, SUSPEND, UNSUSPEND)}
ACTION_FLAGS = [action.flag for action in ACTIONS.values() if action.flag]


def _flag_dest(flag: str) -> str:
    return flag[2:].replace("-", "_")


def actions_given(args: argparse.Namespace) -> list[Action]:
    return [a for a in ACTIONS.values() if a.flag and getattr(args, _flag_dest(a.flag), False)]


def action_of(args: argparse.Namespace) -> Action:
    """The action the flags choose: removal unless an action's flag is given."""
    given = actions_given(args)
    return given[0] if given else REMOVE


def undo_unseen(config: "Config", plan: Plan, ws: Workspace) -> Plan:
    """An undo's people it cannot see suspended, moved to `unseen`: never a quiet "not a member"
    or "not suspended". Not listed at all (a listing may leave suspended members out), or, for the
    people a report (or a saved plan) says were suspended by a run and not unsuspended since,
    listed without a sign of suspension (reactivated by hand, or suspended in a way the records do
    not show). Each gets an `unknown` row and the run ends with exit 3 (unseen_rows)."""
    if not config.action.undoes:
        return plan
    listing = ws.listed_by
    unlisted = f"not listed by {listing} (a listing may leave suspended members out)"
    claimed = config.from_report is not None or config.saved_plan is not None
    if claimed:
        whose = "the report" if config.from_report is not None else "the plan"
        plan.unseen = [
            (
                p,
                (
                    f"listed by {listing} with no sign of suspension, though {whose} shows them"
                    " suspended by its run and not unsuspended since (reactivated by hand, or a"
                    " suspension the records do not show)"
                ),
            )
            for p in plan.already
        ]
        plan.already = []
    known = report_people(config.from_report, ws) if config.from_report is not None else {}
    for n, entry in enumerate(plan.not_members):
        if entry.startswith("id ") and int(entry[3:]) in known:
            person = known[int(entry[3:])]
        else:
            # An --only email nobody lists: no id is known, so its row has an empty person_id (a
            # negative id keeps each apart in this run's outcomes).
            person = Person(-(n + 1), entry, "")
        plan.unseen.append((person, unlisted))
    plan.unseen += [(person, unlisted) for person in plan.gone]
    plan.not_members, plan.gone = [], []
    return plan


def report_people(report: "ReportRows", ws: Workspace) -> dict[int, Person]:
    """Each person of this workspace and host in the report, as their last row names them."""
    rows = rows_here(report.rows, ws.id, ws.host)[0]
    return {
        int(row["person_id"]): Person(
            int(row["person_id"]), _uncell(row.get("email")) or None, _uncell(row.get("name"))
        )
        for row in rows
    }


def unseen_rows(report: "AuditReport", plan: Plan) -> list[str]:
    """The `unknown` rows of an undo's unseen people, and what the run says of them at the end."""
    for person, why in plan.unseen:
        report.record(Result(person, Outcome.UNKNOWN, detail=f"not reactivated: {why}"))
    if not plan.unseen:
        return []
    names = ", ".join(
        f"{p.email or 'no email'}" + (f" (id {p.id})" if p.id >= 0 else "") for p, _ in plan.unseen
    )
    return [
        f"the undo cannot see {people_count(len(plan.unseen))} it was given as suspended, so it"
        f" could not reactivate them: {names}. The report says why (unknown); check them in the"
        " AAC admin UI, and re-run the undo once the listing shows them"
    ]


def split_already(plan: Plan, action: Action) -> Plan:
    """Moves planned people the action has nothing to do for (already suspended, say) to
    `already`."""
    plan.already = [p for p in plan.remove if not action.needs(p)]
    plan.remove = [p for p in plan.remove if action.needs(p)]
    return plan


# ---------------------------------------------------------------------------------------------
# Events: a run tells what happens to its sinks, the faces of the tool (terminal, --json, page)
# ---------------------------------------------------------------------------------------------


class Sink:
    """A face of the tool, told what happens in a run as it happens. Every method may be left as
    it is here. Lines of text (the plan's lines, warnings, progress lines) come as `line`."""

    def line(self, kind: str, text: str) -> None:
        """kind: result, info, debug, warning, error or raw (a CSV line the report could not
        take)."""

    def reading(self, what: str, done: int, total: int | None) -> None:
        """A listing under way: `done` of `total` people (None: no count); done < 0: it ended."""

    def plan_ready(self, planned: Planned, stops: list[Stop], dry_run: bool) -> None:
        """The plan, and every stop the real run would make before its first change."""

    def real_run_exit(self, status: int) -> None:
        """A dry run's end: the code the real run would end with before its first change."""

    def started(self, planned: Planned, report: str, concurrency: int) -> None:
        """The action begins; every change goes to the report at `report`."""

    def outcome(self, n: int, total: int, result: Result, action: Action) -> None:
        """One person's outcome, the n-th of total."""

    def progress(self, progress: Progress, waiting: float | None) -> None:
        """The figures while the action runs, every PROGRESS_TICK; waiting: for the quota."""

    def summary(self, summary: Summary) -> None:
        """The run's end: its outcomes, the check after it, the advice, the exit status."""

    def error(self, message: str) -> None:
        """What ended the run, at main()'s boundary (problems joined with "; ")."""

    def finished(self, status: int, warnings: list[str]) -> None:
        """The exit status, and every warning said."""


class TerminalSink(Sink):
    """The terminal's face: the plan and the summary as lines on stdout (stderr with --json);
    progress on stderr, as one line updating in place on a live terminal (each failure still gets
    a line of its own), or off one (cron) a line per person and the figures every PROGRESS_EVERY."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.doing = ""
        self.last_figures = time.monotonic()

    @property
    def live(self) -> bool:
        """One updating line instead of a line per success: a live terminal, not -v or -q."""
        return self.console.terminal.live and self.console.verbosity == 0

    def reading(self, what: str, done: int, total: int | None) -> None:
        if self.console.verbosity < 0:
            return
        if done < 0:
            self.console.terminal.status("")
            return
        of = f" of {total:,}" if total is not None else ""
        self.console.terminal.status(f"Listing {what}: {done:,}{of}")

    def plan_ready(self, planned: Planned, stops: list[Stop], dry_run: bool) -> None:
        show_planned(planned, self.console, dry_run)

    def started(self, planned: Planned, report: str, concurrency: int) -> None:
        action, target = planned.action, planned.target
        moving = f", transferring their assets to {target.email} first" if target else ""
        per = (
            f"up to {SUSPEND_BATCH} per request" if action.send_many else f"{concurrency} at a time"
        )
        people = people_count(len(planned.plan.remove))
        self.console.info(f"{action.doing} {people}, {per}{moving}; report: {report}")
        self.doing, self.last_figures = action.doing, time.monotonic()

    def outcome(self, n: int, total: int, result: Result, action: Action) -> None:
        person = result.person
        who = f"{person.email} (id {person.id})"
        prefix = f"[{n}/{total}]"
        if result.outcome in (action.done, action.already, action.gone):
            if self.live:
                return  # counted in the updating line
            moved = (
                f", assets transferred to {result.transferred_to}" if result.transferred_to else ""
            )
            self.console.info(f"{prefix} {action.label(result.outcome)} {who}{moved}")
            return
        status = f"HTTP {result.status}: " if result.status else ""
        rid = f" (request id {result.request_id})" if result.request_id else ""
        line = f"{prefix} {result.outcome.upper()} {who}: {status}{result.detail}{rid}"
        if self.console.verbosity < 0:
            self.console.warn(line)
        else:
            self.console.info(line)

    def progress(self, progress: Progress, waiting: float | None) -> None:
        figures = progress.figures(waiting if waiting and waiting >= 1 else None)
        if self.live:
            ended = progress.done >= progress.total or waiting is None
            self.console.terminal.status("" if ended else f"{self.doing}: {figures}")
        elif self.console.verbosity >= 0 and time.monotonic() - self.last_figures >= PROGRESS_EVERY:
            self.last_figures = time.monotonic()
            if progress.done < progress.total:
                self.console.info(f"progress: {figures}")

    def summary(self, summary: Summary) -> None:
        self.console.terminal.status("")
        self.console.result("")
        for line in summary.lines():
            self.console.result(line)


class JsonSink(Sink):
    """The --json document, built here and only here from the run's events. Without --json only its
    counts are kept (the many-workspaces table reads them): a line per person costs ~175 bytes,
    17 MB at 100,000."""

    def __init__(self, doc: dict[str, Any], everyone: bool) -> None:
        self.doc = doc
        self.everyone = everyone

    def plan_ready(self, planned: Planned, stops: list[Stop], dry_run: bool) -> None:
        doc, ws, plan, action = self.doc, planned.ws, planned.plan, planned.action
        doc["action"] = action.name
        doc["workspace"] = {"id": ws.id, "name": ws.name}
        doc["counts"] = {
            "members": len(ws.people),
            f"to_{action.name}": len(plan.remove),
            "kept": len(plan.kept),
            "kept_by_reason": plan.kept_counts(),
            "not_members": len(plan.not_members),
        }
        if self.everyone:
            doc["people"] = [
                person_json(p, outcome=action.already, **group_json(plan, p)) for p in plan.already
            ]
            planned_as = f"would-{action.name}" if dry_run else "planned"
            doc["people"] += [
                person_json(p, outcome=planned_as, **group_json(plan, p)) for p in plan.remove
            ]
            doc["kept"] = [
                person_json(p, reason=reason, **group_json(plan, p)) for p, reason in plan.kept
            ]
        doc["not_members"] = plan.not_members
        doc["unseen"] = [
            {"id": p.id if p.id >= 0 else None, "email": p.email, "why": why}
            for p, why in plan.unseen
        ]
        doc["unmatched"] = plan.unmatched
        if action.on_record or planned.selection.only_suspended:
            seen = signals_seen(ws.people)
            doc["suspension"] = {"suspended": sum(seen.values()), "signals": seen}
            doc["suspension"]["listing"] = ws.listed_by
            if planned.selection.suspended_days is not None:
                doc["suspension"]["dated_by"] = suspensions_dated(ws.people, planned.selection)
                doc["suspension"]["reports_read"] = planned.selection.reports_read
        doc["email_files"] = email_files_json(planned.email_files)
        if planned.groups:
            doc["groups"] = groups_json(planned.groups, plan)

    def real_run_exit(self, status: int) -> None:
        self.doc["real_run_exit_code"] = int(status)

    def summary(self, summary: Summary) -> None:
        doc, planned = self.doc, summary.planned
        action, plan, counts = planned.action, planned.plan, summary.counts
        doc["report"] = summary.report
        doc["counts"].update(
            {outcome.replace("-", "_"): counts[outcome] for outcome in action.outcomes}
        )
        if self.everyone:
            people = []
            for person in plan.gone + plan.already + plan.remove:
                result = summary.results.get(person.id)
                if result is None:
                    people.append(person_json(person, outcome=Outcome.NOT_ATTEMPTED))
                    continue
                people.append(
                    person_json(
                        person,
                        outcome=result.outcome,
                        http_status=result.status,
                        request_id=result.request_id,
                        detail=redact(result.detail),
                        transferred_to=result.transferred_to or None,
                        **group_json(plan, person),
                    )
                )
            doc["people"] = people
        verified = summary.verified
        if verified is not None:
            # "absent" for a removal; a suspension's check counts the planned people it shows
            # suspended.
            counted = "absent" if action.deletes_assets else action.done
            doc["verified"] = {counted: verified.absent, "planned": verified.planned}
            if action.on_record:
                doc["verified"].update(
                    signals=verified.signals, listing=verified.listed_by, unseen=verified.unseen
                )
            doc["unplanned"] = [person_json(p) for p in verified.unplanned]

    def error(self, message: str) -> None:
        self.doc["error"] = redact(message)

    def finished(self, status: int, warnings: list[str]) -> None:
        self.doc["warnings"] = warnings
        self.doc["exit_code"] = int(status)


def show_planned(planned: Planned, console: Console, dry_run: bool) -> None:
    """The plan as the terminal shows it: which saved plan and email files it came from, then the
    plan itself."""
    if planned.saved_plan:
        line, _ = saved_plan_note(planned.saved_plan)
        console.result(line)
    show_email_files(planned.email_files, console, planned.plan)
    selection, action = planned.selection, planned.action
    show_plan(
        planned.ws,
        planned.plan,
        console,
        dry_run,
        planned.groups,
        planned.target,
        selection.inactive_days is not None,
        action,
        action.on_record or selection.only_suspended,
        selection,
    )


# ---------------------------------------------------------------------------------------------
# What a run is given: its configuration, and what the plan shows with it
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """Everything a run needs that needs no network, complete from resolve_config() on and never
    changed afterwards: what the run learns (the groups, the workspace) it hands forward itself."""

    base_url: str
    tokens: Tokens
    protections: Protections
    dry_run: bool
    yes: bool
    concurrency: int
    timeout: float
    report: str | None
    max_remove: int | None = None
    plan_out: str | None = None
    saved_plan: SavedPlan | None = None
    selection: Selection = field(default_factory=Selection)
    workspace_id: int | None = None  # from a config section: the token must be for this workspace
    label: str | None = None  # the config section's name, carried in the default report name
    groups: list[GroupSource] = field(default_factory=list)
    group_settings: GroupSettings = field(default_factory=GroupSettings)
    action: Action = field(default_factory=lambda: REMOVE)
    from_report: ReportRows | None = None
    verify: bool = True
    allow_unknown_admins: bool = False
    # a dry run's warning that the real run would refuse: nothing protected
    unprotected: str | None = None
    email_files: list[EmailFile] = field(default_factory=list)

    @property
    def protections_in_force(self) -> Protections:
        """A saved plan's protections when applying one (this run's --exclude adds to them)."""
        return self.saved_plan.protections if self.saved_plan else self.protections


def email_files_json(files: Sequence[EmailFile]) -> list[dict[str, Any]]:
    return [
        {"path": f.path, "flag": f.flag, "column": f.column, "column_number": f.number}
        for f in files
    ]


SAMPLE_ROWS = 3  # rows of an --only-file shown in the plan


def show_email_files(
    files: Sequence[EmailFile], console: Console, plan: Plan | None = None
) -> None:
    """One line per --exclude-file and --only-file: a wrong column picks the wrong people. Under an
    --only-file, the first rows that select someone in the plan, beside the row's other columns:
    a manager's column taken for the leavers' shows as names that do not match."""
    for file in files:
        console.result(f"Emails from {shown(file.path)} ({file.flag}): {shown(file.column_label)}")
        going = {normalize_email(p.email): p for p in plan.remove if p.email} if plan else {}
        samples = [
            (line, going[normalize_email(address)], row)
            for line, address, row in file.rows
            if normalize_email(address) in going
        ]
        if not samples or console.verbosity < 0:
            continue
        console.result(
            "  Rows that select someone, beside their other columns "
            "(do they describe the person selected?):"
        )

        def sample_rows() -> Iterator[list[str]]:
            for line, person, row in samples[:SAMPLE_ROWS]:
                others = [
                    f"{_clipped(file.header[i].strip())}: {_clipped(cell.strip())}"
                    for i, cell in enumerate(row[: len(file.header)])
                    if i != (file.number or 0) - 1 and cell.strip()
                ]
                who = f"{shown(str(person.email))} ({shown(person.name)})"
                yield [f"line {line}", who, _clipped(" | ".join(others), 160)]

        for text in aligned(sample_rows):
            console.result(f"    {text}")


def _clipped(text: str, width: int = 40) -> str:
    """Terminal-safe, and at most `width` characters (a comment column would fill the screen)."""
    text = shown(text)
    return text if len(text) <= width else text[: width - 3] + "..."


def workspace_label(ws: Workspace) -> str:
    return f"{ws.name} (id {ws.id})" if ws.name and ws.name.strip() else f"id {ws.id} (no name)"


def aligned(rows: Callable[[], Iterable[Sequence[str]]]) -> Iterator[str]:
    """Rows as lines of columns two spaces apart: the first (an id) right-aligned, the rest left.

    `rows` is called twice, once for the widths and once for the lines, so that 100,000 rows are
    never held at once (they would double a big dry run's memory)."""
    widths: list[int] = []
    for row in rows():
        widths = [max(pair) for pair in itertools.zip_longest(widths, map(len, row), fillvalue=0)]
    for row in rows():
        cells = [row[0].rjust(widths[0])] + [
            cell.ljust(width) for cell, width in zip(row[1:], widths[1:])
        ]
        yield "  ".join(cells).rstrip()


def suspensions_dated(people: Iterable[Person], selection: Selection) -> dict[str, int]:
    """How many suspended members each source dates (suspension_since), and how many none does."""
    counts: collections.Counter[str] = collections.Counter()
    for person in people:
        if person.suspended:
            since = suspension_since(person, selection)
            by = "lastStateChange" if since.source == "lastStateChange" else "this tool's reports"
            # "after" a reactivation or a change: when it began is not known, only a bound
            counts["unknown" if since.when is None or since.after else by] += 1
    return dict(counts.most_common())


def signals_seen(people: Iterable[Person]) -> dict[str, int]:
    """How many of these people show as suspended, by the field that shows it."""
    return dict(collections.Counter(p.suspension for p in people if p.suspension).most_common())


def signals_text(signals: Mapping[str, int]) -> str:
    """`seen as state: hidden`, or `seen as state: hidden (9), isDisabled: true (1)`."""
    if len(signals) == 1:
        return f"seen as {next(iter(signals))}"
    return "seen as " + ", ".join(f"{signal} ({n})" for signal, n in signals.items())


def seen_suspended_text(people: Sequence[Person]) -> str:
    signals = signals_seen(people)
    conflicts = collections.Counter(p.conflict for p in people if p.conflict)
    disagree = (
        "; not counted, as their signs disagree: "
        + ", ".join(f"{n} with {signs}" for signs, n in conflicts.most_common())
        if conflicts
        else ""
    )
    if not signals:
        return f"none seen (the tool reads {SIGNALS_READ}){disagree}"
    return f"{sum(signals.values())}, {signals_text(signals)}{disagree}"


def _last_login(person: Person) -> str:
    if not person.has_last_login:
        return "unknown"
    if person.last_login is None:
        return "never"
    when = parse_time(person.last_login)
    return f"{when:%Y-%m-%d}" if when else "unknown"


def show_plan(
    ws: Workspace,
    plan: Plan,
    console: Console,
    dry_run: bool,
    groups: Sequence[GroupMembers],
    target: Person | None,
    logins: bool,
    action: Action,
    suspensions: bool,
    selection: Selection,
) -> None:
    """logins: show each removal's last login (with --inactive-days: why they are inactive).
    suspensions: say how many members show as suspended, and by which field (suspension_signal)."""
    console.result(f"Workspace: {workspace_label(ws)}")
    console.result(f"Members: {len(ws.people)}")
    if suspensions:
        seen = seen_suspended_text(ws.people)
        console.result(f"Suspended members: {seen}; listed by {ws.listed_by}")
        if action.on_record and not action.undoes and not signals_seen(ws.people):  # suspending
            # The API documents no listing that is sure to show suspended members; until one
            # shows here, the check after the run and an undo may not see whom this suspends.
            console.result(
                "  nobody shows as suspended yet, so it is not known whether this listing shows"
                " suspended members; if it leaves them out, the check after the run reports them"
                " unknown (exit 3) and the undo is done in AAC's admin console. To find out"
                " first: suspend one person (--only EMAIL), then look with --dry-run"
            )
    if selection is not None and selection.suspended_days is not None:
        dated = suspensions_dated(ws.people, selection)
        read = len(selection.reports_read)
        parts = [f"{n} {'' if by == 'unknown' else 'from '}{by}" for by, n in dated.items()]
        console.result(f"Suspension times: {', '.join(parts) or 'none'} ({read} reports read)")
        for skipped in selection.reports_skipped:
            console.result(
                "  rows of another AAC host skipped (its people are not this workspace's):"
                f" {skipped}"
            )
    console.result(f"To {action.name}: {len(plan.remove)}")
    # Kept people already in the action's state are counted under Kept, not here: say so, or the
    # "Suspended members" line above seems not to add up.
    kept_already = sum(not action.needs(p) for p, _ in plan.kept) if action.on_record else 0
    if plan.already or kept_already:
        console.result(
            f"{action.label(action.already).capitalize()} (nothing to do): {len(plan.already)}"
            + (f" (and {kept_already} kept, below)" if kept_already else "")
        )
    console.result(f"Kept: {len(plan.kept)}")
    for reason, count in plan.kept_counts().items():
        console.result(f"  {reason}: {count}")
    if plan.gone:
        console.result(f"Already gone since the plan was made: {len(plan.gone)}")
    if plan.not_members:
        console.result(
            f"Not a member (on the --only list, not in this workspace): {len(plan.not_members)}"
        )
        for entry in plan.not_members:
            console.result(f"  {entry}")
    if plan.unseen:
        console.result(f"Not seen suspended (the undo cannot reactivate them): {len(plan.unseen)}")
        for line in aligned(
            lambda: (
                [str(p.id) if p.id >= 0 else "", shown(p.email or "(no email)"), why]
                for p, why in plan.unseen
            )
        ):
            console.result(f"  {line}")
    show_groups(plan, groups, console)
    # With --only, everyone else is "not on the --only list": a count, so the few who go stand out.
    folded = (
        [p for p, reason in plan.kept if reason == Kept.NOT_ONLY] if console.verbosity < 1 else []
    )
    listed = [(p, reason) for p, reason in plan.kept if not (folded and reason == Kept.NOT_ONLY)]
    if listed and console.verbosity >= 0:
        console.result("")
        console.result("People kept, and why:")
        kept = sorted(
            listed,
            key=lambda kept: (list(Kept).index(kept[1]) if kept[1] in list(Kept) else len(Kept)),
        )
        for line in aligned(
            lambda: (
                [
                    str(p.id),
                    reason,
                    shown(p.email or "(no email)"),
                    shown(p.name) + group_note(plan, p),
                ]
                for p, reason in kept
            )
        ):
            console.result(f"  {line}")
    if folded and console.verbosity >= 0:
        if not listed:
            console.result("")
        console.result(f"Also kept, {Kept.NOT_ONLY}: {people_count(len(folded))} (-v lists them)")
    if plan.remove and console.verbosity >= 0:
        console.result("")
        console.result(
            f"People to {action.name}:" if not dry_run else f"People who would be {action.past}:"
        )

        def removal_rows() -> Iterator[list[str]]:
            for p in plan.remove:
                login = [f"last login {_last_login(p)}"] if logins else []
                yield (
                    [str(p.id), shown(str(p.email))] + login + [shown(p.name) + group_note(plan, p)]
                )

        for line in aligned(removal_rows):
            console.result(f"  {line}")
    if plan.remove:
        console.result("")
        console.result(their_work(action, target))
    if dry_run:
        console.result("")
        console.result("Dry run: nothing was changed.")


def their_work(
    action: Action, target: Person | None, to_transfer: str = "you give --transfer-to EMAIL"
) -> str:
    """What becomes of the flows, datasets and connections of those the plan acts on: the plan's
    line on the terminal, and the warning on the review page (to_transfer: how one asks for a
    transfer there, the page's box instead of the flag)."""
    if target:
        return (
            f"Their work: transferred to {target.email} (id {target.id}) before each removal;"
            " anyone whose transfer fails is kept."
        )
    if action.deletes_assets:
        return (
            f"Their work: deleted with them (flows, datasets, connections), unless {to_transfer}."
        )
    return f"Their work: kept; {action.consequence}."


def name_to_type(ws: Workspace) -> tuple[str, str]:
    """What confirms a run on this workspace, and what it is called: (the name, "workspace name"),
    or (the id, "workspace id") when the name cannot be typed. The terminal's prompt and the
    review page both ask for it."""
    # A blank name would be confirmed by a bare Enter, and one with control characters cannot be
    # typed.
    typable = bool(ws.name and ws.name.strip()) and shown(ws.name) == ws.name
    return (ws.name, "workspace name") if typable and ws.name else (str(ws.id), "workspace id")


def confirm(
    terminal: Terminal, ws: Workspace, plan: Plan, target: Person | None, action: Action
) -> bool:
    """The operator types the workspace name (its id when it has none): a typo or Enter declines.
    Trimmed, in any letter case and either Unicode form (folded()), whoever asks (the review page
    answers through its terminal)."""
    expected, what = name_to_type(ws)
    assets = f"their assets go to {target.email} first" if target else action.consequence
    where = "from" if action.deletes_assets else "in"
    line = terminal.ask(
        f"\nThis {action.verb} {people_count(len(plan.remove))} {where}"
        f" {shown(workspace_label(ws))}; {shown(assets)}.\nType the {what} ({expected}) to go"
        " ahead, or anything else to stop: "
    )
    return line is not None and folded(line) == folded(expected)


def _suspect_success(answer: Answer) -> str:
    """Why a 2xx does not prove the server acted: an SSO proxy's sign-in page, or an error body."""
    head = answer.body.lstrip()[:200].lower()
    if "html" in answer.content_type.lower() or head.startswith((b"<!doctype", b"<html", b"<")):
        return "an HTML page (a sign-in page or a proxy?)"
    data = answer.json()
    if isinstance(data, dict) and "exception" in data:
        return f"an error body ({answer.message})"
    return ""


def _names_missing_route(answer: Answer) -> bool:
    """AAC answers an unknown /v4 route with 404 RouteNotFoundException: not "this person is
    gone"."""
    data = answer.json()
    name = (
        data.get("exception", {}).get("name")
        if isinstance(data, dict) and isinstance(data.get("exception"), dict)
        else None
    )
    text = answer.message.lower()
    return name == "RouteNotFoundException" or "routenotfound" in text or "no route" in text


def outcome_of(
    action: Step, person: Person, result: "Answer | Stopped | ApiError | TokenError"
) -> Result:
    """What one client result means for one person, for every action and the transfer: with
    Verdicts (what answers mean together), the one place that reads the server's answers. `halt`
    on the outcome says the whole run must stop (a rejected token, a missing route, a wait longer
    than the tool accepts)."""
    note = action.note
    if isinstance(result, (AuthError, TokenError)):
        # A token the server rejects, or a refresh that failed, would fail every later request:
        # this person is failed (the request was refused, or never sent) and the run stops.
        status = result.status if isinstance(result, AuthError) else None
        rid = result.request_id if isinstance(result, AuthError) else None
        text = result.message if isinstance(result, AuthError) else str(result)
        outcome = Result(person, Outcome.FAILED, status, rid, text)
        outcome.halt, outcome.token = str(result), True
        return outcome
    # A signal (or a run-wide stop) ended the retries: what the person's row says depends on
    # whether any attempt may have reached the server.
    if isinstance(result, Stopped):
        last = result.last
        if last is None and not result.maybe_acted:
            return Result(
                person,
                Outcome.NOT_ATTEMPTED,
                detail=f"the run stopped before the {action.noun}{note}",
            )
        if result.maybe_acted or (last is not None and last.status in MAYBE_ACTED_STATUSES):
            return Result(
                person,
                action.unsure,
                last.status if last else None,
                last.request_id if last else None,
                f"interrupted after a {action.noun} request that may have acted (its answer was"
                f" lost or a gateway gave up); the server may or may not have acted{note}",
            )
        assert last is not None
        return Result(
            person,
            action.failed,
            last.status,
            last.request_id,
            f"interrupted before retrying: {last.message or _reason(last.status)}{note}",
        )
    if isinstance(result, LongWait):
        outcome = Result(
            person,
            Outcome.NOT_ATTEMPTED,
            result.status,
            result.request_id,
            f"{result.message}; not sent again{note}",
        )
        outcome.halt = (
            f"the server asked to wait {result.wait:.0f} s ({result.why}), longer than the"
            f" {MAX_RETRY_WAIT:.0f} s this tool waits; no new {action.noun}s were started. Re-run"
            " the same command later"
        )
        return outcome
    if isinstance(result, ApiError):
        if result.status is None:  # no answer at all, even after retries
            return Result(
                person,
                action.unsure,
                None,
                None,
                f"{result.message}; the server may or may not have acted{note}",
            )
        return Result(
            person, action.failed, result.status, result.request_id, result.message + note
        )
    answer = result
    if answer.ok:
        # Any 2xx is success (AAC documents 204 and also a JSON body), unless the body shows it is
        # not AAC speaking: an SSO proxy's sign-in page answers 200 too.
        suspect = _suspect_success(answer)
        if suspect:
            return Result(
                person,
                action.unsure,
                answer.status,
                answer.request_id,
                f"answered {answer.status} with {suspect}: not taken as a"
                f" {action.noun}{_decides(action)}{note}",
            )
        return Result(person, action.done, answer.status, answer.request_id)
    reason = answer.message or _reason(answer.status)
    if answer.status == 404 and _names_missing_route(answer):
        outcome = Result(
            person,
            action.failed,
            404,
            answer.request_id,
            f"the {action.noun} route is missing ({reason}){note}",
        )
        outcome.halt = (
            f"{answer.method} {answer.path} answered 404 naming a missing route ({reason}): the"
            " route is wrong for this server"
            + (", nobody was found gone" if action.gone else "")
            + f". No new {action.noun}s were started"
        )
        return outcome
    # Only a removal reads 404/410 as "already done": the person is not a member. For a
    # suspension it is a failure: someone who left cannot be suspended.
    if answer.status in (404, 410) and action.gone is not None:
        if answer.retried_after_no_answer:
            # The earlier attempt's answer was lost; the person being gone now means it acted.
            return Result(
                person,
                action.done,
                answer.status,
                answer.request_id,
                f"gone on retry: the earlier attempt did the {action.noun}",
            )
        return Result(person, action.gone, answer.status, answer.request_id, answer.message)
    # A gateway that gave up (502, 504), or an attempt whose answer was lost, may have acted: the
    # person is `unknown` until the check after the run lists the workspace again.
    if answer.status in MAYBE_ACTED_STATUSES or answer.retried_after_no_answer:
        return Result(
            person,
            action.unsure,
            answer.status,
            answer.request_id,
            f"{reason}, after a request that may have acted{_decides(action)}{note}",
        )
    return Result(person, action.failed, answer.status, answer.request_id, reason + note)


def _decides(action: Step) -> str:
    return "; the verification decides" if action.unsure == Outcome.UNKNOWN else ""


class Verdicts:
    """What a run's answers mean together, beside outcome_of's one answer for one person: this and
    outcome_of are the one place that reads the server's answers, 404 included.

    - A bulk request answered 404 names a missing route, never "these people are gone": the ids
      are in its body. The batch is sent again one person at a time where the action has a
      one-person route; where it has none, nothing is invented and the run stops.
    - The first EARLY_STOP answers all refused alike, with nothing done yet, stop the run: 403
      (the token lacks the rights), or 404 (a wrong route rather than everyone being gone, so
      those 404s are failures, not "already gone").
    - An outcome with a `halt` (a rejected token, a missing route, a long wait) stops the run.
    """

    def __init__(self, action: Action) -> None:
        self.action = action
        self.lock = threading.Lock()
        self.halt: str | None = None  # why the run stopped starting requests, besides signals
        self.token = False  # the halt is a rejected token: the verification must not run
        self.any_done = False
        self.early: list[Result] = []  # outcomes from the start while nothing succeeded
        self.route_wrong = False
        self.one_by_one = False  # the bulk route answered 404: one request per person from then on
        self.warned_one_by_one = False

    def of_batch(self, batch: list[Person], result: Any) -> list[Result] | None:
        """Each person's outcome of one bulk request; None: send them one by one instead."""
        action = self.action
        missing = (
            isinstance(result, Answer)
            and result.status == 404
            and not result.retried_after_no_answer
        )
        if not missing:
            return [outcome_of(action, person, result) for person in batch]
        if action.send_one is None:
            return [self._no_route(person, result) for person in batch]
        with self.lock:
            self.one_by_one = True
        return None

    def _no_route(self, person: Person, answer: Answer) -> Result:
        """The bulk route is missing and the action has no other: the run stops and says so."""
        name = self.action.name
        why = f"no bulk {name} route on this server (404), and the API has no one-person {name}"
        outcome = Result(person, Outcome.FAILED, answer.status, answer.request_id, why)
        outcome.halt = (
            f"{answer.method} {answer.path} answered 404: {why}, so the tool invents none. No "
            f"new {self.action.noun}s were started; do them in the AAC admin UI, or once the route "
            "answers"
        )
        return outcome

    def watch(self, outcome: Result) -> list[Result]:
        """Reads one more outcome in the light of the others: may correct it (a 404 taken as gone
        while the route is wrong), sets `halt` when the run must stop, and returns corrections of
        earlier outcomes for the report."""
        halt = outcome.halt
        noun = self.action.noun
        corrections: list[Result] = []
        with self.lock:
            if outcome.outcome == self.action.done:
                self.any_done = True
            elif not self.any_done and outcome.outcome != Outcome.NOT_ATTEMPTED:
                self.early.append(outcome)
                statuses = {o.status for o in self.early}
                if not halt and len(self.early) >= EARLY_STOP and statuses in ({403}, {404}):
                    if statuses == {403}:
                        halt = (
                            f"the first {len(self.early)} {noun}s were all refused (HTTP 403) and"
                            " none succeeded: the token may lack the Workspace Admin role. No new"
                            f" {noun}s were started"
                        )
                    else:
                        self.route_wrong = True
                        corrections = [o for o in self.early if o is not outcome]
                        halt = (
                            f"the first {len(self.early)} {noun}s all answered 404 and none"
                            f" succeeded: the {noun} route looks wrong for this server, rather than"
                            f" everyone being gone. No new {noun}s were started"
                        )
            if halt and self.halt is None:
                self.halt, self.token = halt, outcome.token
            route_wrong = self.route_wrong
        wrong = f"404 on every {noun} from the start: taken as a wrong route, not as already gone"
        if route_wrong and outcome.outcome == Outcome.ALREADY_GONE:
            outcome.outcome, outcome.detail = Outcome.FAILED, wrong
        return [
            Result(earlier.person, Outcome.FAILED, earlier.status, earlier.request_id, wrong)
            for earlier in corrections
            if earlier.outcome == Outcome.ALREADY_GONE
        ]


class Signals:
    """SIGINT, SIGTERM and SIGHUP (where it exists) for the whole run, in the main thread.

    Before removals a signal stops the run at once (nobody was removed). From the report's opening
    to the run's end, and during a token refresh in the main thread, a signal only counts: the first
    stops new removals, the second and later abandon those in flight; SIGTERM and SIGHUP count as a
    first Ctrl-C. A signal raised at an arbitrary point could lose report rows or a new token pair.
    """

    NAMES = {"SIGINT": "Ctrl-C", "SIGTERM": "SIGTERM", "SIGHUP": "SIGHUP"}

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.count = 0
        self.first: int | None = None
        self.counting = False
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> "Signals":
        for name in self.NAMES:
            signum = getattr(signal, name, None)
            if signum is None:
                continue
            try:
                self.previous[signum] = signal.signal(signum, self._on_signal)
            except (ValueError, OSError):  # not the main thread, or not settable here
                pass
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, previous in self.previous.items():
            # Run as the script, after a signal the process is on its way out and has said so: one
            # more Ctrl-C must not become a traceback or a death by signal while the --json document
            # is written or Python shuts down (SIG_IGN, unlike a Python handler, outlasts the
            # interpreter's teardown). Imported, the caller gets its handlers back: SIG_IGN would be
            # inherited by every process it starts later.
            ignore = self.first is not None and __name__ == "__main__"
            with contextlib.suppress(ValueError, OSError):
                signal.signal(signum, signal.SIG_IGN if ignore else previous)

    def _on_signal(self, signum: int, frame: Any) -> None:
        self.first = self.first or signum
        if not self.counting:
            raise Interrupted(signum)
        self.count = self.count + 1 if signum == signal.SIGINT else max(self.count, 1)
        self.stop.set()

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Signals only count inside; one that came is acted on afterwards (a refresh's new pair
        is saved first)."""
        before, self.counting = self.counting, True
        try:
            yield
        finally:
            self.counting = before
        if not before and self.first is not None:
            raise Interrupted(self.first)

    @property
    def name(self) -> str:
        return signal.Signals(self.first).name if self.first else "a signal"

    @property
    def exit_status(self) -> int:
        return 128 + int(self.first or signal.SIGINT)


class Interrupted(KeyboardInterrupt):
    """A signal before any removal: the run stops at once."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class Actor:
    """Carries out the run's action (remove, suspend, unsuspend) for the planned people, with at
    most `concurrency` requests in flight: one request per person, or per batch on a bulk route.
    What the answers mean is Verdicts' and outcome_of's; this is only who is sent when."""

    def __init__(
        self,
        client: AacClient,
        ws: Workspace,
        report: AuditReport,
        console: Console,
        transfer_to: Person | None,
        action: Action,
    ) -> None:
        self.client, self.ws, self.report, self.console = client, ws, report, console
        self.action = action
        self.concurrency = client.concurrency
        self.transfer_to = transfer_to
        self.verdicts = Verdicts(action)
        self.lock = threading.Lock()
        self.pending: collections.deque[Person] = collections.deque()
        self.in_flight: dict[int, Person] = {}
        self.progress = Progress(0)
        self.bulk_in_flight = 0
        self.active = 0
        self.all_done = threading.Event()

    def run(self, people: list[Person], signals: Signals) -> None:
        """Blocks until done. The first signal stops new requests and lets those in flight finish;
        a second Ctrl-C (or any later one) abandons them. Every planned person ends with a row."""
        self.pending.extend(people)
        self.progress = Progress(len(people))
        try:
            # Twice as many workers as slots, so that one sleeping through a backoff does not idle
            # a slot.
            workers = [
                threading.Thread(target=self._work, daemon=True)
                for _ in range(min(2 * self.concurrency, len(people)))
            ]
            self.active = len(workers)
            for worker in workers:
                worker.start()
            if not workers:
                self.all_done.set()
            warned, told = False, time.monotonic()
            # Not Thread.join(): a signal landing inside join() can mark a running thread as
            # finished.
            while not self.all_done.wait(0.05):
                if time.monotonic() - told >= PROGRESS_TICK:
                    told = time.monotonic()
                    self.console.tell("progress", self.progress, self.client.pacer.delay())
                if signals.count and not warned:
                    warned = True
                    # sent; a worker still waiting for a slot sends nothing now
                    flying = self.client.sending
                    self.console.warn(
                        f"interrupted: no new {self.action.noun}s ({signals.name}); waiting for"
                        f" {flying} in flight (Ctrl-C again to abandon them)"
                    )
                if signals.count >= 2:
                    self._abandon()
                    break
        finally:
            self._mark_not_attempted()
            self.console.tell("progress", self.progress, None)

    def _abandon(self) -> None:
        with self.lock:
            flying = list(self.in_flight.values())
        for person in flying:
            detail = "abandoned in flight by a second Ctrl-C; the server may or may not have acted"
            self.report.record(Result(person, Outcome.UNKNOWN, detail=detail))
        self.console.warn(
            f"abandoned {len(flying)} {self.action.noun}s in flight; the report marks them unknown"
        )

    def _mark_not_attempted(self) -> None:
        """Every planned person ends with a row, whatever stopped the run."""
        with self.lock:
            rest = list(self.pending)
            self.pending.clear()
            flying = list(self.in_flight.values())
        for person in rest:
            self.report.record(
                Result(person, Outcome.NOT_ATTEMPTED, detail="the run stopped before this person")
            )
        for person in flying:  # only after an abandon; record() keeps the first row per person
            self.report.record(
                Result(person, Outcome.UNKNOWN, detail="still in flight when the run stopped")
            )

    def _next(self) -> tuple[list[Person], bool]:
        """The next people to send and whether in one bulk request: a batch for an action with a
        bulk route, else one person. While a bulk batch is in flight an idle worker waits: the
        batch may come back to be sent person by person."""
        while True:
            with self.lock:
                if self.report.broken:
                    self.client.stop.set()
                if self.client.stop.is_set():
                    return [], False
                if self.pending:
                    bulk = self.action.send_many is not None and not self.verdicts.one_by_one
                    size = SUSPEND_BATCH if bulk else 1
                    batch = [self.pending.popleft() for _ in range(min(size, len(self.pending)))]
                    for person in batch:
                        self.in_flight[person.id] = person
                    self.bulk_in_flight += bulk
                    return batch, bulk
                if not self.bulk_in_flight:
                    return [], False
            self.client.stop.wait(0.02)

    def _work(self) -> None:
        try:
            self._work_loop()
        finally:
            with self.lock:
                self.active -= 1
                if self.active == 0:
                    self.all_done.set()

    def _work_loop(self) -> None:
        while True:
            batch, bulk = self._next()
            if not batch:
                return
            try:
                outcomes = self.act_many(batch) if bulk else [self.carry_out(batch[0])]
            except Exception as exc:  # noqa: BLE001 - one person's surprise must not lose others
                detail = f"unexpected error: {type(exc).__name__}: {exc}"
                outcomes = [Result(person, Outcome.UNKNOWN, None, None, detail) for person in batch]
            finally:
                if bulk:
                    with self.lock:
                        self.bulk_in_flight -= 1
            for outcome in outcomes:
                self._finish(outcome)

    def _call(self, send: Callable[[], Answer]) -> "Answer | Stopped | ApiError | TokenError":
        """The client's result, whatever it is: outcome_of reads them all."""
        try:
            return send()
        except (Stopped, ApiError, TokenError) as exc:
            return exc

    def transfer(self, person: Person) -> Result:
        """Moves the person's assets to the transfer target; anything but Outcome.TRANSFERRED
        keeps the person."""
        target = self.transfer_to
        assert target is not None
        return outcome_of(
            TRANSFER, person, self._call(lambda: self.client.transfer_assets(person.id, target.id))
        )

    def carry_out(self, person: Person) -> Result:
        """Transfers (with --transfer-to), then acts; the person stays if the transfer failed."""
        if self.transfer_to is None:
            return self.act(person)
        moved = self.transfer(person)
        if moved.outcome != Outcome.TRANSFERRED:
            return moved
        outcome = self.act(person)
        outcome.transferred_to = self.transfer_to.email or str(self.transfer_to.id)
        if outcome.outcome == Outcome.NOT_ATTEMPTED:
            outcome.detail = (
                f"assets were transferred, then the run stopped before the {self.action.noun} of"
                " this person"
            )
        elif outcome.outcome not in (self.action.done, self.action.gone):
            # The person stays a member, but their flows are no longer theirs: say so where it is
            # read.
            outcome.detail = (
                f"{outcome.detail or _reason(outcome.status or 0)}; their assets were already"
                f" transferred to {outcome.transferred_to}"
            )
        return outcome

    def act(self, person: Person) -> Result:
        """The action for one person: an intent row synced first, then the request."""
        action = self.action
        assert action.send_one is not None
        if self.client.stop.is_set():
            return outcome_of(action, person, Stopped(None, False))
        if not self.report.attempt(person, f"about to send the {action.noun}"):
            self.client.stop.set()
            return Result(
                person,
                Outcome.NOT_ATTEMPTED,
                detail=f"the report could not be written, so this {action.noun} was not sent",
            )
        return outcome_of(
            action, person, self._call(lambda: action.send_one(self.client, self.ws.id, person.id))
        )

    def act_many(self, batch: list[Person]) -> list[Result]:
        """The action for a batch in one bulk request. Where Verdicts says the bulk route is
        missing and the action has a one-person route, the batch goes back to the queue."""
        action = self.action
        assert action.send_many is not None
        if self.client.stop.is_set():
            return [outcome_of(action, person, Stopped(None, False)) for person in batch]
        if not self.report.attempt_all(
            batch, f"about to send the {action.noun} (in a batch of {len(batch)})"
        ):
            self.client.stop.set()
            detail = f"the report could not be written, so this {action.noun} was not sent"
            return [Result(p, Outcome.NOT_ATTEMPTED, detail=detail) for p in batch]
        result = self._call(
            lambda: action.send_many(self.client, self.ws.id, [p.id for p in batch])
        )
        outcomes = self.verdicts.of_batch(batch, result)
        if outcomes is not None:
            return outcomes
        with self.lock:
            first = not self.verdicts.warned_one_by_one
            self.verdicts.warned_one_by_one = True
            for person in batch:
                self.in_flight.pop(person.id, None)
            self.pending.extendleft(reversed(batch))
        if first:
            self.console.warn(
                f"{result.method} {result.path} answered 404 (no bulk route on this server);"
                f" {action.doing.lower()} one person per request instead"
            )
        return []

    def _finish(self, outcome: Result) -> None:
        with self.lock:
            self.in_flight.pop(outcome.person.id, None)
        corrections = self.verdicts.watch(outcome)
        if self.verdicts.halt:
            self.client.stop.set()
        for earlier in corrections:
            self.report.correct(earlier)
        if not self.report.record(outcome) or (
            outcome.outcome == Outcome.NOT_ATTEMPTED
            and not outcome.transferred_to
            and not outcome.status
        ):
            return
        with self.lock:
            self.progress.advance()
            n = self.progress.done
        self.console.tell("outcome", n, self.progress.total, outcome, self.action)


@dataclass
class Verification:
    """What the listing after the run showed: who of the planned is gone, and who matched but was
    not planned."""

    absent: int
    planned: int
    unplanned: list[Person]
    listed_by: str = ""  # the listing's request
    signals: dict[str, int] = field(default_factory=dict)  # how the planned show a suspension
    unseen: int = 0  # acknowledged, but not listed: a suspension that could not be seen
    acknowledged: int = 0  # listed people whose request the server answered as done

    def problems(self, action: Action) -> list[str]:
        """What the check could not confirm about an action read on the records (a suspension or
        its undo): said through the error boundary, so the run never ends with exit 0 on it."""
        if not action.on_record:
            return []
        found, noun, listing = [], action.noun, self.listed_by
        if self.unseen:
            are = "is" if self.unseen == 1 else "are"
            found.append(
                f"{people_count(self.unseen)} the server answered for {are} not in the listing "
                f"after the run ({listing}), so the {noun} could not be seen; the report says "
                "unknown. The listing may leave suspended members out: check them in AAC"
            )
        if self.acknowledged and not self.absent:
            found.append(
                f"none of the {people_count(self.acknowledged)} whose {noun} the server "
                f"acknowledged shows as {action.is_done} in {listing} (the tool reads "
                f"{SIGNALS_READ}): the server shows it another way, or did not act; check in AAC"
            )
        return found


def verify(
    client: AacClient, planned: Planned, report: AuditReport, console: Console
) -> Verification:
    """Lists the workspace again (the same listing as before the run) and corrects the report where
    it disagrees: the person's last row is then the verified one."""
    action, ws, plan = planned.action, planned.ws, planned.plan
    listing = list_members(client, ws.id, ws.route)
    people, complete = listing.people, listing.asked
    listed = {p.id: p for p in people}
    chosen = plan.gone + plan.remove
    acknowledged = unseen = 0
    for person in chosen:
        last = report.done.get(person.id)
        if last is not None and person.id not in listed and action.on_record:
            # Suspension shows only on a listed record, and no listing is known to show suspended
            # members: an acknowledged request whose person is not listed could not be seen.
            unseen += last.outcome in (action.done, Outcome.UNKNOWN)
            if last.outcome == action.done:
                detail = f"not listed after the run by {listing.source}, so the {action.noun} "
                detail += "could not be seen"
                report.correct(
                    Result(person, Outcome.UNKNOWN, last.status, last.request_id, detail)
                )
            continue
        if last is None or (not complete and person.id not in listed):
            # a listing that leaves suspended members out tells nothing about those it omits
            continue
        acknowledged += last.outcome == action.done
        took = action.took(listed.get(person.id))
        if not took and last.outcome in (action.done, action.gone, Outcome.UNKNOWN):
            detail = f"{action.is_not} after the run (verified)"
            report.correct(
                Result(person, Outcome.FAILED, detail=detail, transferred_to=last.transferred_to)
            )
        elif took and last.outcome in (Outcome.FAILED, Outcome.UNKNOWN):
            detail = f"verified {action.is_done} after the run"
            report.correct(
                Result(person, action.done, detail=detail, transferred_to=last.transferred_to)
            )
    unplanned: list[Person] = []
    if planned.saved_plan is None:  # a saved plan is its own selection: nobody else matches it
        chosen_ids = {p.id for p in chosen}
        # The same choice as before the run, made on the listing after it: whoever it picks that
        # the plan did not (they joined meanwhile, or the first listing missed them) is named.
        again = choose(planned, people, ws.admin_ids | {p.id for p in people if p.is_admin})
        unplanned = [p for p in again.remove if p.id not in chosen_ids]
    if unplanned:
        names = ", ".join(f"{p.email} (id {p.id})" for p in unplanned[:20]) + (
            " ..." if len(unplanned) > 20 else ""
        )
        console.warn(
            f"{len(unplanned)} members match the selection but were not in the plan (they joined"
            f" during the run, or the first listing missed them); they were not {action.past}:"
            f" {names}"
        )
    took = [p for p in chosen if action.took(listed.get(p.id))]
    signals = signals_seen(listed[p.id] for p in took) if action.on_record else {}
    return Verification(
        len(took), len(chosen), unplanned, listing.source, signals, unseen, acknowledged
    )


@dataclass
class Summary:
    """The run's end, complete: what the report says of each person, the check after the run, the
    problems that ended it, and the exit status it earned. Every face shows it its own way."""

    planned: Planned
    results: dict[int, Result]  # each person's last word from this run
    report: str  # the report's absolute path
    verified: Verification | None
    problems: list[str]  # each said through main()'s boundary, so --json's "error" has them too
    status: ExitStatus

    @property
    def counts(self) -> collections.Counter[str]:
        return collections.Counter(o.outcome for o in self.results.values())

    def lines(self) -> list[str]:
        """`Summary: ...`, `verified: ...`, `Report: ...` and, when someone was not handled,
        `Next: ...`: the same words on the terminal, the page and in the README."""
        action, plan, counts = self.planned.action, self.planned.plan, self.counts
        parts = [
            f"{action.label(action.done)} {counts[action.done]}",
            f"{action.label(action.already)} {counts[action.already]}",
            f"failed {counts[Outcome.FAILED]}",
        ]
        if counts[Outcome.TRANSFER_FAILED]:
            parts.append(f"transfer failed {counts[Outcome.TRANSFER_FAILED]}")
        if counts[Outcome.UNKNOWN]:
            parts.append(f"unknown {counts[Outcome.UNKNOWN]}")
        parts += [f"not attempted {counts[Outcome.NOT_ATTEMPTED]}", f"kept {len(plan.kept)}"]
        if plan.not_members:
            parts.append(f"not a member {len(plan.not_members)}")
        lines = ["Summary: " + ", ".join(parts)]
        verified = self.verified
        if verified is not None:
            seen = ""
            if action.on_record:  # say what the check read, and where
                shows = f"{signals_text(verified.signals)}, " if verified.signals else ""
                seen = f" ({shows}listed by {verified.listed_by})"
            checked = f"{verified.absent} of {verified.planned} planned people {action.verified}"
            lines.append(f"verified: {checked}{seen}")
        lines.append(f"Report: {self.report}")
        advice = self.next_step()
        return lines + ([advice] if advice else [])

    def next_step(self) -> str:
        """What to do about the people not handled: re-run, or (refused for good) leave them out."""
        action, counts = self.planned.action, self.counts
        unfinished = sum(
            counts[outcome]
            for outcome in (
                Outcome.FAILED,
                Outcome.TRANSFER_FAILED,
                Outcome.UNKNOWN,
                Outcome.NOT_ATTEMPTED,
            )
        )
        refused = [
            o
            for o in self.results.values()
            if o.outcome in (Outcome.FAILED, Outcome.TRANSFER_FAILED) and refused_for_good(o.status)
        ]
        if unfinished and len(refused) == unfinished:
            statuses = "/".join(sorted({str(o.status) for o in refused}))
            emails = sorted(o.person.email or str(o.person.id) for o in refused)
            leave_out = (
                f"--exclude {','.join(emails)}"
                if len(emails) <= 5
                else "an --exclude-file listing them (the report names them)"
            )
            return (
                f"Next: re-running will not help: the server refused {people_count(len(refused))}"
                f" for good (HTTP {statuses}). Leave them out with {leave_out}, or fix the token's"
                " rights if it should be allowed."
            )
        verified = self.verified
        unseen = verified.unseen if verified is not None and action.on_record else 0
        if unseen:
            # A listing that leaves suspended members out: a second run would not list them, so
            # "run it again" would end at once with nobody to act on and say nothing of them.
            rest = unfinished - unseen
            others = f" Run the same command again for the other {rest} not done." if rest else ""
            return (
                f"Next: running it again will not find the {unseen} the listing after the run left"
                " out (this listing may leave suspended members out): check them in AAC's admin"
                f" console, where an undo of them is done too (the report names them).{others}"
            )
        if unfinished:
            again = (
                f" {len(refused)} of them were refused for good (HTTP 4xx) and will be again:"
                " leave them out with --exclude."
                if refused
                else ""
            )
            return (
                f"Next: run the same command again to finish the {unfinished} not done; people"
                f" already {action.past} {action.again}, so nobody is handled twice.{again}"
            )
        return ""


def refused_for_good(status: int | None) -> bool:
    """A 4xx other than a timeout or a throttle: the same request gets the same answer next time."""
    return status is not None and 400 <= status < 500 and status not in (408, 429)


def summary_of(
    planned: Planned,
    report: AuditReport,
    verdicts: Verdicts,
    verified: Verification | None,
    verify_error: BaseException | None,
    signals: Signals,
    unseen: Sequence[str] = (),
) -> Summary:
    """The run's end and its exit status: a signal first, then a stop, then a failed check."""
    problems = []
    if report.broken:
        failure = report.failure
        problems.append(
            f"the report {report.path} could not be written"
            f" ({getattr(failure, 'strerror', None) or failure}); {report.unwritten} rows were"
            " printed above as CSV lines instead. Keep them with the report"
        )
    if verdicts.halt:
        problems.append(verdicts.halt)
    problems += unseen
    problems += verified.problems(planned.action) if verified is not None else []
    if verify_error is not None:
        problems.append(
            "the listing that checks the run failed, so the report was not verified:"
            f" {verify_error}"
        )
    counts = collections.Counter(o.outcome for o in report.done.values())
    if signals.count:
        status = ExitStatus(signals.exit_status)
    elif report.broken or verdicts.halt:
        status = ExitStatus.ERROR
    elif verify_error is not None:
        status = ExitStatus.SOME_FAILED
    elif counts[Outcome.FAILED] or counts[Outcome.UNKNOWN] or counts[Outcome.TRANSFER_FAILED]:
        status = ExitStatus.SOME_FAILED
    else:
        status = ExitStatus.OK
    path = os.path.abspath(report.path)
    return Summary(planned, dict(report.done), path, verified, problems, status)


RESULT_FORMAT = "remove_users.result/1"


def person_json(person: Person, **extra: Any) -> dict[str, Any]:
    shows = {"suspension": person.suspension} if person.suspension else {}  # the field showing it
    return {"id": person.id, "email": person.email, "name": person.name, **shows, **extra}


# ---------------------------------------------------------------------------------------------
# The run, as one story: read, plan, show, stop or confirm, act, verify, summarize
# ---------------------------------------------------------------------------------------------


def run(config: Config, console: Console) -> ExitStatus:
    """One workspace, start to end. Each stage takes complete values and returns complete ones,
    and what happens is told to the console's sinks (the terminal, the --json document)."""
    with Signals(threading.Event()) as signals:
        client = AacClient(
            config.base_url,
            config.tokens,
            timeout=config.timeout,
            console=console,
            stop=signals.stop,
            concurrency=config.concurrency,
        )
        # 1-3. Read the groups, the token and the workspace; plan; find every stop on the way.
        planned, stops = prepare(config, client, console, signals)
        # 4. Show the plan. A dry run lists the stops the real run would make, and ends.
        console.tell("plan_ready", planned, stops, config.dry_run)
        if config.dry_run:
            return end_dry_run(config, planned, stops, console)
        # 5. Go on only past every stop, and once the workspace's name is typed.
        if not planned.plan.remove and not planned.plan.gone:
            stop = next((stop for stop in stops if stop.with_nobody), None)
            if stop:
                raise stop.error("nothing was sent")
            console.result(f"Nobody to {planned.action.name}.")
            return ExitStatus.OK
        go_ahead(config, planned, stops, console.terminal)
        # 6-8. Act, verify, summarize: every change on record before it is sent.
        return carry_out(config, planned, client, console, signals)


def prepare(
    config: Config, client: AacClient, console: Console, signals: Signals
) -> tuple[Planned, list[Stop]]:
    """Steps 1 to 3 of a run, which change nothing: every face of the tool starts with these."""
    # 1. Read: the directory groups (completely, or not at all), a token that will last, and
    #    the workspace with every member and the admins.
    groups = read_groups(config.groups, config.group_settings, console)
    with signals.deferred():  # a refresh's new pair is saved before a signal is acted on
        config.tokens.prepare()
    ws = read_workspace(client)
    # 2. Plan: who goes and who stays, from the people and the rules alone.
    planned = plan_run(config, ws, groups)
    # 3. Stops: those that make the plan untrustworthy end the run here, dry run or not.
    stops = safety_stops(config, planned, console.terminal)
    blocking = next((stop for stop in stops if stop.blocks), None)
    if blocking:
        raise blocking.error()
    warn_about_plan(config, planned, console)
    return planned, stops


def end_dry_run(
    config: Config, planned: Planned, stops: list[Stop], console: Console
) -> ExitStatus:
    """A dry run's end: the plan file if asked for, and every stop the real run would make."""
    if config.plan_out:
        write_plan(config.plan_out, plan_document(planned))
        console.result(f"Plan written to {config.plan_out}; apply it with --plan {config.plan_out}")
    for stop in stops:
        if stop.about_plan:
            instead = f" ({stop.instead})" if stop.instead else ""
            console.warn(f"the real run would stop here: {stop.reason}{instead}")
    # The dry run itself succeeded (exit 0, so a scheduled check of it does not cry wolf), but the
    # real run would end at its first stop: the many-workspaces table and --json say which code.
    console.tell("real_run_exit", next((s.status for s in stops if s.about_plan), ExitStatus.OK))
    return ExitStatus.OK


def go_ahead(config: Config, planned: Planned, stops: list[Stop], terminal: Terminal) -> None:
    """Raises at the first stop (unless a person at the terminal answers its question), then asks
    for the workspace's name; returns only when the run may change the workspace."""
    past = planned.action.past
    for stop in stops:
        if stop.ask is not None and not config.yes and terminal.interactive:
            if stop.ask(terminal):
                continue
            raise SafetyStop(f"{stop.declined}; nobody was {past}")
        raise stop.error(f"nobody was {past}")
    if not config.yes and planned.plan.remove:
        if not confirm(terminal, planned.ws, planned.plan, planned.target, planned.action):
            raise SafetyStop(f"not confirmed; nobody was {past}")


def carry_out(
    config: Config, planned: Planned, client: AacClient, console: Console, signals: Signals
) -> ExitStatus:
    """Steps 6 to 8 of a run: the only part that changes the workspace."""
    action, ws, plan = planned.action, planned.ws, planned.plan
    # 6. Act. From here a signal only counts: it stops new requests, and every row is written.
    signals.counting = True
    report = AuditReport(
        config.report or default_report_path(ws.id, config.label),
        ws.id,
        console,
        action.name,
        ws.host,
    )
    settle_attempts(report, ws, console)
    if not config.report:
        settle_earlier_reports(report, ws, config.label, console)
    for person in plan.gone:
        detail = "left the workspace after the plan was made"
        report.record(Result(person, Outcome.ALREADY_GONE, detail=detail))
    for person in plan.already:
        detail = f"{action.label(action.already)} before the run; nothing sent"
        report.record(Result(person, action.already, detail=detail))
    unseen = unseen_rows(report, plan)  # an undo's people it cannot see: unknown, and said
    actor = Actor(client, ws, report, console, planned.target, action)
    console.tell("started", planned, report.path, config.concurrency)
    actor.run(plan.remove, signals)
    # 7. Verify: list the workspace again, and correct the report where it was wrong. Not after a
    #    signal (the operator wants out) nor a rejected token (the listing would fail too).
    verified, verify_error = None, None
    if config.verify and not signals.count and not actor.verdicts.token:
        try:
            verified = _watched(signals, lambda: verify(client, planned, report, console))
        except Exception as exc:  # noqa: BLE001 - the changes are made: the summary must print
            verify_error = (
                exc
                if isinstance(exc, RemoveUsersError)
                else RemoveUsersError(f"unexpected {type(exc).__name__}: {exc}")
            )
    report.close()
    # 8. Summarize, with the exit status the run earned.
    summary = summary_of(planned, report, actor.verdicts, verified, verify_error, signals, unseen)
    if signals.count and verified is None and config.verify:
        console.warn("the run was interrupted, so the report was not checked against the workspace")
    console.tell("summary", summary)
    if signals.count:
        console.muted = True  # abandoned workers may still finish; their lines would only confuse
    if summary.problems:
        raise RunFailed("\n".join(summary.problems), summary.status)
    return summary.status


def warn_about_plan(config: Config, planned: Planned, console: Console) -> None:
    """The plan's warnings: protected entries that match nobody (or look like someone), people
    without an email, admins read from the records only, a stale saved plan, an empty group."""
    plan, ws = planned.plan, planned.ws
    if ws.admins_unknown and config.allow_unknown_admins and not planned.protections.include_admins:
        console.warn(
            f"the workspace admins could not be read ({ws.admins_unknown}); with"
            " --allow-unknown-admins only records marked isAdmin are kept as admins: protect the"
            " others with --exclude"
        )
    for group in planned.groups:
        if group.source.role == ROLE_ONLY and group.count == 0:
            console.warn(
                f"--only-group {group.source.label} has no members, so it selects nobody to"
                f" {planned.action.name}"
            )
    near_entries = {entry for entry, _ in planned.near}
    lonely = [entry for entry in plan.unmatched if entry not in near_entries]
    if len(lonely) > UNMATCHED_LISTED and console.verbosity < 1:
        console.warn(
            f"{len(lonely)} protected emails match no member of this workspace (typos, or people"
            ' who left); -v lists each, as does --json under "unmatched"'
        )
    else:
        for entry in lonely:
            console.warn(f"protected email {entry} matches no member of this workspace (a typo?)")
    for entry, match in planned.near:
        console.warn(
            f"protected email {entry} matches no member, but member {match} looks like it: a typo"
            f" would {planned.action.name} {match}"
        )
    for person, reason in plan.kept:
        if reason == Kept.NO_EMAIL:
            console.warn(
                f"person id {person.id} ({person.name or 'no name'}) has no email on record; kept"
            )
    if planned.selection.only_suspended and not any(p.suspended for p in ws.people):
        console.warn(
            f"no member shows as suspended in {ws.listed_by} (the tool reads {SIGNALS_READ}); a "
            "listing may leave suspended members out, so --only-suspended can choose nobody"
        )
    if planned.saved_plan:
        _, stale = saved_plan_note(planned.saved_plan)
        if stale:
            console.warn(stale)


def _watched(signals: Signals, job: Callable[[], Any]) -> Any:
    """Runs job in a thread; a signal while it runs gives up on it (it only reads)."""
    result: list[Any] = []
    errors: list[BaseException] = []

    def runner() -> None:
        try:
            result.append(job())
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            errors.append(exc)

    thread = threading.Thread(target=runner, daemon=True)
    thread.start()
    while thread.is_alive() and not signals.count:
        time.sleep(0.05)
    if signals.count:
        return None
    if errors:
        raise errors[0]
    return result[0]


# ---------------------------------------------------------------------------------------------
# The plan stage: who goes and who stays, from the workspace and the rules, changing nothing
# ---------------------------------------------------------------------------------------------


@dataclass
class Planned:
    """The plan stage's complete value: who goes and who stays, and what it was made from. Later
    stages (the stops, the faces, the action, the check after it) read this, never the flags."""

    ws: Workspace
    plan: Plan
    action: Action
    target: Person | None  # --transfer-to's member
    protections: Protections  # in force: a saved plan's and this run's, the groups' included
    selection: Selection  # as applied: the report's people and the suspension times filled in
    groups: list[GroupMembers]
    email_files: list[EmailFile]
    saved_plan: SavedPlan | None
    near: list[tuple[str, str]]  # protected entries that match nobody but look like a member
    refused: str = ""  # why no plan can be trusted (a saved plan that no longer applies, ...)
    # the planned people whose suspension in force this tool made (its report rows say so)
    suspended_by_us: set[int] = field(default_factory=set)
    refused_status: ExitStatus = ExitStatus.USAGE


def plan_run(config: Config, ws: Workspace, groups: list[GroupMembers]) -> Planned:
    """The plan from the selection flags, or the saved plan checked against the workspace now.
    What makes a plan impossible is recorded in `refused`, for the stops to raise."""
    protections = dataclasses.replace(
        config.protections_in_force,
        emails=list(config.protections_in_force.emails),
        groups=group_roles(groups, ROLE_EXCLUDE) or {},
    )
    selection = dataclasses.replace(config.selection, groups=group_roles(groups, ROLE_ONLY))
    target = find_member(ws.people, protections.transfer_to) if protections.transfer_to else None
    planned = Planned(
        ws, Plan([], [], []), config.action, target, protections, selection, groups,
        list(config.email_files), config.saved_plan, [],
    )  # fmt: skip
    try:
        plan = _choose_plan(config, planned)
    except (UsageError, SafetyStop, ApiError) as exc:  # the plan cannot be made as asked
        planned.refused, planned.refused_status = str(exc), exc.exit_status
        return planned
    planned.plan = plan
    if config.action.deletes_assets and any(p.suspended for p in plan.remove):
        selection = planned.selection
        times = selection.suspended_since
        if times is None:
            named = [config.report] if config.report else []
            times = suspension_times(suspension_reports(config, ws), ws.id, ws.host, None, named)
        planned.suspended_by_us = {
            pid for pid, since in times.items() if since.when is not None and not since.after
        }
    # a typo matters only where it would act on someone
    planned.near = near_misses(planned.plan.unmatched, planned.plan.remove)
    return planned


def _choose_plan(config: Config, planned: Planned) -> Plan:
    ws, selection, target = planned.ws, planned.selection, planned.target
    if config.saved_plan:
        if target and any(p.id == target.id for p in config.saved_plan.remove):
            raise UsageError(
                f"the transfer target {target.email} is in the plan to be removed; nothing was"
                " changed"
            )
        saved = config.saved_plan
        # The plan's grace rule, dated now as the plan was: kept in the Planned value, so that the
        # plan shown says how the times were read.
        selection = dated_selection(
            config,
            ws,
            Selection(only_suspended=saved.only_suspended, suspended_days=saved.suspended_days),
            saved.reports_read,
        )
        planned.selection = selection
        extra = config.protections
        plan = apply_saved_plan(saved, ws, extra.emails, planned.protections.groups, selection)
        return undo_unseen(config, split_already(plan, config.action), ws)
    if config.from_report:
        # The report's people, kept in the Planned value so that the check after the run selects
        # the same people.
        selection = dataclasses.replace(selection, only_ids=suspended_by(config.from_report, ws))
    # Also kept: the check's selection dates suspensions the same way.
    selection = dated_selection(config, ws, selection)
    planned.selection = selection
    unknowable = (
        (
            selection.inactive_days,
            "has_last_login",
            "lastLoginTime",
            "--inactive-days",
            "who is inactive",
        ),
        (
            selection.suspended_days,
            "has_state_change",
            "lastStateChange",
            "--suspended-days",
            "how long anyone has been suspended",
        ),
    )
    if selection.suspended_since:  # the reports tell, whatever the records carry
        unknowable = unknowable[:1]
    for days, has, key, flag, what in unknowable:
        if days is not None and not any(getattr(p, has) for p in ws.people):
            raise ApiError(
                "GET",
                AacClient.PEOPLE,
                f"no person record carries {key}, so {flag} cannot tell {what}; nothing was"
                " changed",
            )
    if selection.only is not None:
        check_only_entries(selection.only, ws.people)
    return undo_unseen(config, choose(planned, ws.people, ws.admin_ids), ws)


def choose(planned: Planned, people: Sequence[Person], admin_ids: set[int]) -> Plan:
    """make_plan with the Planned value's rules: before the run, and on the listing after it."""
    ws = planned.ws
    plan = make_plan(
        people,
        ws.caller.id,
        admin_ids,
        planned.protections,
        planned.selection,
        caller_email=ws.caller.email,
    )
    return split_already(plan, planned.action)


def kept_by_id(planned: Planned, ids: Iterable[int]) -> Planned:
    """The Planned value with these people, of those the plan acts on, kept instead (Kept.REVIEW:
    ticked on the review page). They join the protections too, so that the check after the run,
    which chooses again on the listing, keeps them as well; and the near misses are recounted,
    since a typo matters only where it would act on someone."""
    ids = set(ids)
    acting = {p.id for p in planned.plan.remove}
    if ids - acting:
        listed = ", ".join(map(str, sorted(ids - acting)[:5]))
        raise UsageError(
            f"person id {listed} is not among those the plan acts on: the plan changed; show it"
            " again"
        )
    plan = dataclasses.replace(
        planned.plan,
        remove=[p for p in planned.plan.remove if p.id not in ids],
        kept=planned.plan.kept + [(p, Kept.REVIEW) for p in planned.plan.remove if p.id in ids],
    )
    protections = dataclasses.replace(planned.protections, ids=planned.protections.ids | ids)
    near = near_misses(plan.unmatched, plan.remove)
    return dataclasses.replace(planned, plan=plan, protections=protections, near=near)


# ---------------------------------------------------------------------------------------------
# Stops: every reason a run stops before its first change, in one list
# ---------------------------------------------------------------------------------------------


@dataclass
class Stop:
    """A reason the real run stops before any change. A dry run lists every one; a real run stops
    at the first, unless it has a question that lets the operator on a terminal go on."""

    reason: str  # what it saw, and which flag or fix proceeds
    status: ExitStatus = ExitStatus.SAFETY_STOP
    ask: Callable[[Terminal], bool] | None = None
    instead: str = ""  # what happens instead on a terminal without --yes
    declined: str = ""  # the message when the operator answers the question with a no
    about_plan: bool = True  # False: about how the run was started, so a dry run does not list it
    with_nobody: bool = False  # stops a run with nobody to act on too, instead of "Nobody to ..."
    blocks: bool = False  # the plan cannot be trusted: a dry run stops here too, before showing it

    def error(self, outcome: str = "") -> RemoveUsersError:
        kinds = {ExitStatus.USAGE: UsageError, ExitStatus.SAFETY_STOP: SafetyStop}
        text = f"{self.reason}; {outcome}" if outcome else self.reason
        return kinds.get(self.status, RemoveUsersError)(text)


Gate = Callable[["Config", "Planned", "Terminal"], "Stop | None"]


def _nothing_protected(config: Config, planned: Planned, terminal: Terminal) -> Stop | None:
    # Refused before any request in a real run (resolve_config); listed here for the dry run.
    return Stop(config.unprotected, ExitStatus.USAGE) if config.unprotected else None


def _token_for_another_workspace(
    config: Config, planned: Planned, terminal: Terminal
) -> Stop | None:
    ws = planned.ws
    if config.workspace_id is None or ws.id == config.workspace_id:
        return None
    return Stop(
        f"the token is for workspace {workspace_label(ws)}, but its config section says"
        f" workspace_id = {config.workspace_id}: the token file may belong to another workspace."
        " Nothing was changed",
        blocks=True,
    )


def _admins_unknown(config: Config, planned: Planned, terminal: Terminal) -> Stop | None:
    """The records' isAdmin is not reliable: without the admins route, admins cannot be kept,
    unless no admin needs keeping or the user said to go on with the records' flags."""
    ws = planned.ws
    if ws.admins_unknown is None or planned.protections.include_admins:
        return None
    if config.allow_unknown_admins:
        return None
    return Stop(
        f"cannot tell the workspace admins from the members: {ws.admins_unknown}. The isAdmin"
        " field of person records is not reliable, so nothing was changed. Give"
        " --allow-unknown-admins (and protect your admins with --exclude) or --include-admins",
        ExitStatus.ERROR,
        blocks=True,
    )


def _suspended_admins_unknown(config: Config, planned: Planned, terminal: Terminal) -> Stop | None:
    """A removal of suspended members the admins route cannot vouch for. The route is asked with
    includeStatus=new,suspended, but a route that ignores the parameter answers only its active
    admins, and a record's isAdmin is reliable only on the caller's own: then a suspended admin
    looks like any suspended member. Proof that the route lists suspended admins is one it lists
    that shows as suspended. Without it, people this tool suspended are still safe to remove (that
    run kept the admins it could see, unless it was given --include-admins); anyone else
    suspended stops the run, as unknown admins do."""
    ws = planned.ws
    if (
        not planned.action.deletes_assets
        or planned.protections.include_admins
        or config.allow_unknown_admins
        or ws.admins_unknown is not None  # the gate for unknown admins has spoken
        or ws.suspended_admins
    ):
        return None
    unvouched = [
        p for p in planned.plan.remove if p.suspended and p.id not in planned.suspended_by_us
    ]
    if not unvouched:
        return None
    are = "is" if len(unvouched) == 1 else "are"
    return Stop(
        f"{people_count(len(unvouched))} this run would remove {are} suspended, not by this"
        " tool, but the admins route listed no suspended admin: nothing shows it lists suspended"
        " admins at all (a server may ignore includeStatus=new,suspended), and isAdmin on person"
        " records is reliable only on your own, so a suspended admin could be among them."
        " Protect your admins with --exclude and give --allow-unknown-admins, or give"
        " --include-admins",
        ExitStatus.ERROR,
    )


def _transfer_target_missing(config: Config, planned: Planned, terminal: Terminal) -> Stop | None:
    wanted = planned.protections.transfer_to
    if not wanted or planned.target is not None:
        return None
    return Stop(
        f"the transfer target {wanted} is not a member of this workspace; nothing was changed",
        ExitStatus.USAGE,
        blocks=True,
    )


def _plan_refused(config: Config, planned: Planned, terminal: Terminal) -> Stop | None:
    """A saved plan that no longer applies, a report that shows nobody suspended, a field no
    record carries, an --only entry that could mean someone else: no plan to trust."""
    if not planned.refused:
        return None
    return Stop(planned.refused, planned.refused_status, blocks=True)


def _undo_sees_nobody(config: Config, planned: Planned, terminal: Terminal) -> Stop | None:
    # An undo that reactivates nobody is never a success: the people it was given may be
    # suspended in a way the records do not show, or left out of the listing.
    if not planned.action.undoes or planned.plan.remove:
        return None
    return Stop(undo_sees_nobody(config, planned), ExitStatus.ERROR, with_nobody=True)


def _over_the_cap(config: Config, planned: Planned, terminal: Terminal) -> Stop | None:
    count = len(planned.plan.remove)
    if config.max_remove is None or count <= config.max_remove:
        return None
    return Stop(
        f"the plan {planned.action.verb} {count} people, more than --max-remove"
        f" {config.max_remove}. Check the plan, then raise --max-remove if it is right"
    )


def _nobody_to_confirm(config: Config, planned: Planned, terminal: Terminal) -> Stop | None:
    if config.yes or terminal.interactive or not planned.plan.remove:
        return None
    return Stop(
        "standard input is not a terminal, so the tool cannot ask for confirmation; add --yes to"
        f" {planned.action.name} without asking",
        ExitStatus.USAGE,
        about_plan=False,
    )


def _near_misses(config: Config, planned: Planned, terminal: Terminal) -> Stop | None:
    near, action = planned.near, planned.action
    if not near or not planned.plan.remove:
        return None
    entries = ", ".join(f"{entry} (did you mean {match}?)" for entry, match in near)
    return Stop(
        f"protected emails that match nobody but look like typos: {entries}. Fix them in"
        " --exclude or the exclude file",
        ask=lambda terminal: ask_near_misses(terminal, near, action),
        instead="on a terminal without --yes it asks first",
        declined="stopped to fix the protected emails that look like typos",
    )


# Every stop a run makes before its first change, in the order it meets them: those that block
# make the plan untrustworthy (the run, dry or not, ends before showing it); the rest a dry run
# lists as warnings and a real run stops at (or, for a near miss on a terminal, asks about). The
# README's "Guard rails" names each by the title given here.
GATES: list[tuple[str, Gate]] = [
    ("Nothing protected", _nothing_protected),
    ("The token's workspace", _token_for_another_workspace),
    ("Admins must be known", _admins_unknown),
    ("The transfer target must be a member", _transfer_target_missing),
    ("The plan must be possible", _plan_refused),
    ("Suspended admins must be known", _suspended_admins_unknown),
    ("An undo must see whom it undoes", _undo_sees_nobody),
    ("The cap", _over_the_cap),
    ("Someone to confirm", _nobody_to_confirm),
    ("Typo check", _near_misses),
]


def safety_stops(config: Config, planned: Planned, terminal: Terminal) -> list[Stop]:
    """Every stop a real run would make before its first change, in the order it meets them."""
    return [stop for _, gate in GATES for stop in [gate(config, planned, terminal)] if stop]


def undo_sees_nobody(config: Config, planned: Planned) -> str:
    """Why an undo has nobody to reactivate, naming whom it was given, what the listing showed of
    them and what it looked for."""
    plan, ws, selection = planned.plan, planned.ws, planned.selection
    listed = {p.id for p in ws.people}
    # Suspended, but kept from the undo by a protection (the caller, a protected email).
    kept = [
        (p, r) for p, r in plan.kept if p.suspended and r not in (Kept.NOT_ONLY, Kept.NOT_IN_REPORT)
    ]
    if selection.only_suspended and config.saved_plan is None and not config.from_report:
        no_sign, not_listed = sum(not p.suspended for p in ws.people), 0
        given, whom = len(ws.people), f"the {people_count(len(ws.people))} listed"
    else:
        not_listed = len(plan.not_members) + len(plan.gone)
        not_listed += sum(p.id not in listed for p, _ in plan.unseen)
        no_sign = len(plan.already) + sum(p.id in listed for p, _ in plan.unseen)
        given = no_sign + not_listed + len(kept)
        if config.from_report is not None:
            whom = f"the {people_count(given)} the report {config.from_report.path} shows suspended"
        elif config.saved_plan is not None:
            whom = f"the {people_count(given)} of the plan {config.saved_plan.path}"
        else:
            whom = f"the {people_count(given)} it was given"
    seen = f"{no_sign} listed with no sign of suspension"
    if not_listed:
        seen += f", {not_listed} not listed"
    if kept:
        reasons = ", ".join(sorted({str(r) for _, r in kept}))
        seen += f", {len(kept)} suspended but kept ({reasons})"
    hidden = (
        "; if they are suspended, this listing leaves them out and the tool cannot reach them:"
        " reactivate them in AAC's admin console"
        if not_listed
        else ""
    )
    return (
        f"--unsuspend sees nobody to reactivate: of {whom}, {seen} by {ws.listed_by} (a listing "
        f"may leave suspended members out). It looked for {SIGNALS_READ}{hidden}"
    )


@dataclass
class ReportRows:
    """An audit report read back, for --unsuspend --from-report."""

    path: str
    rows: list[dict[str, str]]


def read_report_rows(path: str) -> ReportRows:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise UsageError(f"cannot read the report {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise UsageError(
            f"the report {path} is not a CSV report written by this tool ({exc})"
        ) from None
    if not rows or not {"workspace_id", "person_id", "outcome"} <= set(rows[0]):
        raise UsageError(
            f"the report {path} has no rows with workspace_id, person_id and outcome; give a report"
            " written by this tool"
        )
    return ReportRows(path, rows)


def suspended_by(report: ReportRows, ws: Workspace) -> set[int]:
    """The people of this workspace the report's run(s) suspended, or may have: a `suspended` row,
    or an `attempting` row of a suspension (a run killed with its request in flight), not followed
    by a later `unsuspended` row that still stands. Rows of later runs (`already-suspended` from a
    re-run, an undo's `not-attempted`) do not erase it; an undo's `failed`, `unknown` or
    `attempting` row after its `unsuspended` one (the check found them still suspended, or could
    not see them) brings them back, so the same undo can be re-run to finish. Those suspended
    before any run never had a row."""
    ours: dict[int, bool] = {}
    rows, elsewhere = rows_here(report.rows, ws.id, ws.host)
    unsure = (Outcome.FAILED, Outcome.UNKNOWN, Outcome.ATTEMPTING)
    for row in rows:
        pid, outcome, action = int(row["person_id"]), row.get("outcome") or "", row.get("action")
        if outcome == Outcome.SUSPENDED or (
            outcome == Outcome.ATTEMPTING and action == SUSPEND.name
        ):
            ours[pid] = True
        elif outcome == Outcome.UNSUSPENDED:
            ours[pid] = False
        elif pid in ours and action == UNSUSPEND.name and outcome in unsure:
            ours[pid] = True  # the undo of a suspension of ours is not known to have taken
    ids = {pid for pid, suspended in ours.items() if suspended}
    if not ids:
        # Another tenant's ids are other people here: its rows are never undone on this host.
        other = f" (its rows of another host, {', '.join(sorted(elsewhere))}, were skipped)"
        raise UsageError(
            f"the report {report.path} shows nobody suspended in workspace {workspace_label(ws)}"
            f" on {ws.host} who was not unsuspended since{other if elsewhere else ''}; nothing to"
            " undo"
        )
    return ids


def dated_selection(
    config: Config, ws: Workspace, selection: Selection, also: Sequence[str] = ()
) -> Selection:
    """The selection with suspension times from this tool's reports, where --suspended-days needs
    them: this run's reports (suspension_reports) and `also` (a saved plan's), each read once."""
    if selection.suspended_days is None:
        return selection
    reports, skipped = suspension_reports(config, ws), []
    reports += [path for path in also if os.path.isfile(path) and not _among(path, reports)]
    named = [path for path in (config.report, *also) if path]  # the user's, or the plan's
    since = suspension_times(reports, ws.id, ws.host, skipped, named)
    return dataclasses.replace(
        selection, suspended_since=since, reports_read=reports, reports_skipped=skipped
    )


def _among(path: str, paths: Sequence[str]) -> bool:
    return any(os.path.abspath(path) == os.path.abspath(other) for other in paths)


def suspension_reports(config: Config, ws: Workspace) -> list[str]:
    """The reports whose rows date this tool's suspensions: the --report this run appends to, if it
    exists, and the newest default-named reports of this workspace in its folder (as
    settle_earlier_reports reads them), so that a grace removal finds the suspend run's rows."""
    own = config.report or default_report_path(ws.id, config.label)
    folder = os.path.dirname(own) or "."
    mine = [own] if os.path.isfile(own) else []  # a default name too: runs in one second share it
    found = mine + earlier_default_reports(folder, ws.id, config.label, skip=own)
    if os.path.abspath(folder) != os.path.abspath("."):
        # An undo run here without --report left its `unsuspended` rows in this folder: a
        # reactivation they record must end the date of the suspension before it.
        found += earlier_default_reports(".", ws.id, config.label, skip=own)
    return found


def suspension_times(
    paths: Sequence[str],
    workspace_id: int,
    host: str = "",
    skipped: list[str] | None = None,
    named: Sequence[str] | None = None,
) -> dict[int, Since]:
    """When the suspension in force began, by this tool's rows (suspension_in_force), for each
    person of this workspace on this host: their rows of all these reports, in order of time.
    Rows of another host are another tenant's people: skipped, and their report named in
    `skipped`; so are rows without a host, except in the reports the user `named`."""
    rows: dict[int, list[tuple[tuple[bool, dt.datetime, int], str, Mapping[str, str]]]] = {}
    order = itertools.count()  # rows of one time: the later row is the later event
    for path in paths:
        try:
            read = read_report_rows(path).rows
        except UsageError:
            continue  # not a report of this tool, or unreadable: it dates nothing
        given = named is None or _among(path, named)
        here, elsewhere = rows_here(read, workspace_id, host, given)
        if elsewhere and skipped is not None:
            skipped.append(f"{path} (of {', '.join(sorted(elsewhere))})")
        for row in here:
            when = parse_time(row.get("time") or "")
            key = (when is None, when or EPOCH, next(order))  # an unreadable time is the latest
            rows.setdefault(int(row["person_id"]), []).append((key, path, row))
    times = {pid: suspension_in_force(sorted(found)) for pid, found in rows.items()}
    return {pid: since for pid, since in times.items() if since is not None}


# What a row says about the suspension in force after it (suspension_in_force), by its action and
# outcome.
_DATES = {("suspend", Outcome.SUSPENDED)}  # this tool's run suspended them then
_KEEPS = {  # nothing changed for the suspension: the time before it stands
    ("suspend", Outcome.ALREADY_SUSPENDED),  # suspended before that run: not by it, nor ended
    ("unsuspend", Outcome.NOT_ATTEMPTED),  # nothing was sent
    ("remove", Outcome.FAILED),
    ("remove", Outcome.TRANSFER_FAILED),
    ("remove", Outcome.NOT_ATTEMPTED),
    ("remove", Outcome.TRANSFERRED),
}
_UNKNOWN = {  # the suspension may or may not have taken then: when it began cannot be told
    ("suspend", Outcome.ATTEMPTING),  # the run was killed: its request may never have left
    ("suspend", Outcome.UNKNOWN),  # acknowledged, then not seen, or an answer lost
}
# A row of a report begun before the action column: its outcome says which, or it is a removal's.
_ACTION_OF = {
    Outcome.SUSPENDED: "suspend",
    Outcome.ALREADY_SUSPENDED: "suspend",
    Outcome.UNSUSPENDED: "unsuspend",
    Outcome.NOT_SUSPENDED: "unsuspend",
}
# Every other row (an unsuspension of any outcome but not-attempted, a suspension that failed or
# was never sent, a removal that may have happened) says that, from its time on, the suspension in
# force is not one this tool can date: it began after that row.


def suspension_in_force(rows: Sequence[tuple[Any, str, Mapping[str, str]]]) -> Since | None:
    """When the suspension in force now began, by one person's rows in order of time: the time of
    a `suspended` row of this tool's run, only while every later row leaves it in force. A later
    `failed`, `unknown` or `not-attempted` row of a suspension, an `attempting` row never
    followed, an undo's row or a removal make that date void: unknown, or only "after" that row.
    None when no row tells anything (the server's field is all there is)."""
    since: Since | None = None
    for _, path, row in rows:
        outcome = row.get("outcome") or ""
        action = row.get("action") or _ACTION_OF.get(outcome, REMOVE.name)
        if (action, outcome) in _KEEPS:
            continue
        when = parse_time(row.get("time") or "")
        if (action, outcome) in _DATES:
            since = Since(when, path)
        elif (action, outcome) in _UNKNOWN:
            since = Since(None, path)
        elif action in ACTIONS:
            since = Since(when, path, after=True)
    return since


def ask_near_misses(terminal: Terminal, near: list[tuple[str, str]], action: Action) -> bool:
    listed = "".join(
        f"  {shown(entry)}  looks like  {shown(match)}  (who would be {action.past})\n"
        for entry, match in near
    )
    answer = terminal.ask(
        f"\nThese protected emails match nobody, but look like a member's email:\n{listed}"
        "Go on anyway? Type yes to go on, anything else to stop and fix them: "
    )
    return (answer or "").casefold() == "yes"


# ---------------------------------------------------------------------------------------------
# Prompts: only on a terminal, each saying plainly what it wants
# ---------------------------------------------------------------------------------------------


def ask_protected_emails(
    terminal: Terminal, narrowed_by: Sequence[str], action: Action
) -> list[str]:
    """narrowed_by: the flags that select who may go; then not everyone would be removed."""
    who = (
        f"everyone {' and '.join(narrowed_by)} selects, except you"
        if narrowed_by
        else "everyone except you"
    )
    terminal.write(
        terminal.stderr,
        f"No protected emails were given: {who} (and the admins, unless --include-admins) would be"
        f" {action.past}.\nEnter the email of each person to keep, one per line; a"
        " blank line finishes.\n",
    )
    emails: list[str] = []
    while True:
        entry = terminal.ask("Protected email (blank to finish): ")
        if not entry:
            return emails
        address = parse_email_entry(entry)
        if address is not None:
            emails.append(address)
        else:
            terminal.line(
                terminal.stderr,
                f"  {entry!r} is not a well-formed email (expected local@domain.tld); type it"
                " again",
            )


def init_token_file(path: str, console: Console) -> ExitStatus:
    """Asks for what AAC's token dialog shows once, and writes the token file (mode 0600)."""
    if not console.terminal.interactive:
        raise UsageError("--init-token-file asks for the tokens on a terminal; run it in one")
    if os.path.exists(path):
        raise UsageError(
            f"{path} exists; the tool will not overwrite a token file (it may hold the only live"
            " refresh token)"
        )
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"the folder {folder} does not exist")
    data = ask_token_pair(console.terminal)
    TokenFile(path, {}).write(data)
    console.info(
        f"Wrote {path} (readable only by you). Next: python remove_users.py --token-file {path}"
        " --dry-run"
    )
    return ExitStatus.OK


def ask_token_pair(terminal: Terminal) -> dict[str, Any]:
    """What AAC's token dialog shows once: the tokens (hidden), the Client ID, the Token Endpoint
    URL."""
    terminal.write(
        terminal.stderr,
        f"Make a token pair in AAC: {TOKEN_HELP_PATH}. Its dialog shows each value once.\n",
    )
    access = terminal.ask_hidden("Access token (input hidden): ")
    register_secret(access)
    refresh = terminal.ask_hidden("Refresh token (input hidden): ")
    register_secret(refresh)
    if not access and not refresh:
        raise UsageError("no token was entered; nothing was written")
    default_client, default_url = claimed_by(access)
    hint = f" (Enter for {default_client}, from the access token)" if default_client else ""
    client_id = terminal.ask(f"Client ID{hint}: ") or default_client
    hint = f" (Enter for {default_url}, from the access token)" if default_url else ""
    while True:
        token_url = terminal.ask(f"Token Endpoint URL{hint}: ") or default_url
        if not token_url:
            break
        try:
            token_url = check_url(token_url, "the Token Endpoint URL")
            break
        except UsageError as exc:
            terminal.line(terminal.stderr, f"  {exc}; type it again")
    return _token_pair(access, refresh, client_id, token_url)


def pasted_token_pair(text: str) -> dict[str, Any]:
    """A token pair pasted as JSON (on the review page), as a token file keeps it: completed and
    checked as ask_token_pair() completes and checks what is typed. Its secrets are registered
    before anything can show them."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        raise UsageError(
            "the token pair is not a JSON object: paste the JSON that --init-token-file saves, or"
            " the access token alone"
        )
    access, refresh = (
        (
            (clean_token(data[key], f"{key} in the token pair", key == "access_token") or "")
            if isinstance(data.get(key), str)
            else ""
        )
        for key in ("access_token", "refresh_token")
    )
    register_secret(access)
    register_secret(refresh)
    if not access and not refresh:
        raise UsageError("the token pair holds neither an access_token nor a refresh_token")
    claimed_client, claimed_url = claimed_by(access)
    client_id = str(data.get("client_id") or claimed_client or "")
    token_url = str(data.get("token_url") or claimed_url or "")
    token_url = check_url(token_url, "the token pair's token_url") if token_url else ""
    return _token_pair(access, refresh, client_id, token_url)


def claimed_by(access: str | None) -> tuple[str | None, str | None]:
    """The Client ID and the Token Endpoint URL an access token names (its client_id claim, and
    its iss claim + /token): AAC's token dialog shows the same two beside the tokens."""
    claims = jwt_claims(access)
    url = str(claims["iss"]).rstrip("/") + "/token" if claims.get("iss") else None
    return claims.get("client_id"), url


def _token_pair(
    access: str, refresh: str, client_id: str | None, token_url: str | None
) -> dict[str, Any]:
    if refresh and not (client_id and token_url):
        raise UsageError(
            "a refresh token needs the Client ID and the Token Endpoint URL shown beside it;"
            " nothing was written"
        )
    data = {
        "access_token": access,
        "refresh_token": refresh,
        "client_id": client_id,
        "token_url": token_url,
    }
    return {k: v for k, v in data.items() if v}


# ---------------------------------------------------------------------------------------------
# Many workspaces: one INI file with a section per workspace, each run in turn by run()
# ---------------------------------------------------------------------------------------------

WORKSPACES_FORMAT = "remove_users.workspaces/1"
SECTION_PREFIX = "workspace "
# Flags that say how this invocation runs rather than how a workspace is cleared: command line only.
# Every other long flag of build_parser() is a config key, so flags added later are keys at once.
COMMAND_LINE_ONLY = {
    "help", "version", "config", "workspace", "all", "stop-on-error", "add-workspace", "token",
    "token-file", "init-token-file", "dry-run", "yes", "plan", "plan-out", "json", "verbose",
    "quiet", "debug",
    "unsuspend", "from-report",  # an undo is a one-off, never a standing setting of a workspace
}  # fmt: skip
SECTION_KEYS = {"token-file", "workspace-id"}  # spelled token_file and workspace_id in the file
# The most serious code wins; 130 and 128+signal (an interruption) win over all of them.
SEVERITY = [
    ExitStatus.ERROR,
    ExitStatus.USAGE,
    ExitStatus.SAFETY_STOP,
    ExitStatus.SOME_FAILED,
    ExitStatus.OK,
]


@dataclass(frozen=True)
class ConfigKey:
    """A long flag as a config key: its argparse action, and how a value in the file is read."""

    name: str
    action: argparse.Action
    kind: str  # "switch" (true/false), "list" (one value a line) or "value"
    is_path: bool  # metavar PATH: relative to the config file's folder


@dataclass
class WorkspaceSection:
    name: str
    token_file: str
    workspace_id: int
    # key -> value, the section's over [DEFAULT]'s (protecting lists: both)
    settings: dict[str, Any]


@dataclass
class ConfigFile:
    path: str
    defaults: dict[str, Any]
    workspaces: dict[str, WorkspaceSection]  # in the file's order


def adds_up(spec: ConfigKey) -> bool:
    """Protection only grows: every --exclude* list adds up across [DEFAULT], the section and the
    command line, where any other setting is replaced by the more specific one."""
    return spec.kind == "list" and spec.name.startswith("exclude")


def config_keys(parser: argparse.ArgumentParser) -> dict[str, ConfigKey]:
    keys = {}
    for action in parser._actions:
        longs = [opt[2:] for opt in action.option_strings if opt.startswith("--")]
        if not longs or longs[0] in COMMAND_LINE_ONLY:
            continue
        if isinstance(action, argparse._StoreConstAction):  # store_true and store_false too
            kind = "switch"
        elif isinstance(action, argparse._AppendAction):
            kind = "list"
        elif isinstance(action, argparse._StoreAction):
            kind = "value"
        else:
            continue
        keys[longs[0]] = ConfigKey(longs[0], action, kind, action.metavar == "PATH")
    return keys


def load_config(path: str, parser: argparse.ArgumentParser) -> ConfigFile:
    """Reads and checks the whole file before any request: every key is a known flag with a good
    value."""
    # No default_section: [DEFAULT] is read as a section of its own, so that each key's origin is
    # known for error messages and protected lists can add up instead of being replaced.
    ini = configparser.ConfigParser(
        default_section="\0",
        interpolation=None,
        empty_lines_in_values=False,
        inline_comment_prefixes=("#", ";"),
    )
    try:
        with open(path, encoding="utf-8-sig") as handle:
            ini.read_file(handle, source=path)
    except OSError as exc:
        raise UsageError(f"cannot read the config file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"the config file {path} is not UTF-8 text") from None
    except configparser.Error as exc:
        raise UsageError(
            f"the config file {path} is not a valid INI file: {' '.join(str(exc).split())}"
        ) from None
    keys = config_keys(parser)
    folder = os.path.dirname(os.path.abspath(path))
    defaults: dict[str, Any] = {}
    sections: list[tuple[str, dict[str, Any], dict[str, str]]] = []
    for section in ini.sections():
        if section == "DEFAULT":
            defaults, special = _read_section(ini, section, path, folder, keys)
            if special:
                raise UsageError(
                    f"{path} [DEFAULT]: {next(iter(special)).replace('-', '_')} belongs in each"
                    " [workspace NAME] section"
                )
        elif section.startswith(SECTION_PREFIX) and section[len(SECTION_PREFIX) :].strip():
            settings, special = _read_section(ini, section, path, folder, keys)
            sections.append((section[len(SECTION_PREFIX) :].strip(), settings, special))
        else:
            raise UsageError(
                f"{path}: unknown section [{section}]; expected [DEFAULT] or [workspace NAME]"
            )
    workspaces: dict[str, WorkspaceSection] = {}
    by_id: dict[int, str] = {}
    for name, settings, special in sections:
        where = f"{path} [{SECTION_PREFIX}{name}]"
        if name in workspaces:
            raise UsageError(f"{path}: two sections are named [{SECTION_PREFIX}{name}]")
        missing = [key.replace("-", "_") for key in sorted(SECTION_KEYS) if not special.get(key)]
        if missing:
            raise UsageError(f"{where}: {' and '.join(missing)} missing")
        raw_id = special["workspace-id"]
        if not raw_id.isdigit():
            raise UsageError(
                f"{where} workspace_id = {raw_id!r}: not a workspace id (a whole number)"
            )
        ws_id = int(raw_id)
        if ws_id in by_id:
            raise UsageError(
                f"{where}: workspace_id {ws_id} is also in [{SECTION_PREFIX}{by_id[ws_id]}]; one"
                " section per workspace"
            )
        by_id[ws_id] = name
        merged = dict(defaults)
        for key, value in settings.items():
            merged[key] = defaults.get(key, []) + value if adds_up(keys[key]) else value
        token_file = os.path.join(folder, os.path.expanduser(special["token-file"]))
        workspaces[name] = WorkspaceSection(name, token_file, ws_id, merged)
    return ConfigFile(path, defaults, workspaces)


def _read_section(
    ini: configparser.ConfigParser,
    section: str,
    path: str,
    folder: str,
    keys: Mapping[str, ConfigKey],
) -> tuple[dict[str, Any], dict[str, str]]:
    """A section's settings (key -> value as argparse would give it) and its
    token_file/workspace_id."""
    settings: dict[str, Any] = {}
    special: dict[str, str] = {}
    for raw_key, raw in ini.items(section, raw=True):
        key = raw_key.strip().replace("_", "-")
        where = f"{path} [{section}] {raw_key}"
        raw = raw.strip()
        if key in SECTION_KEYS:
            special[key] = raw
            continue
        spec = keys.get(key)
        if spec is None:
            why = (
                "it is for the command line only"
                if key in COMMAND_LINE_ONLY
                else "not a setting of this tool"
            )
            raise UsageError(
                f"{where}: unknown key ({why}); keys are the long flag names, such as max-remove"
            )
        settings[key] = _config_value(spec, raw, where, folder)
    return settings, special


def _config_value(spec: ConfigKey, raw: str, where: str, folder: str) -> Any:
    action = spec.action
    if spec.kind == "switch":
        word = raw.casefold()
        if word not in configparser.ConfigParser.BOOLEAN_STATES:
            raise UsageError(f"{where} = {raw!r}: expected true or false")
        return action.const if configparser.ConfigParser.BOOLEAN_STATES[word] else action.default
    items = (
        [line.strip() for line in raw.splitlines() if line.strip()]
        if spec.kind == "list"
        else [raw]
    )
    values = []
    for item in items:
        if not item:
            raise UsageError(f"{where}: no value")
        try:
            value = action.type(item) if callable(action.type) else item
        except (TypeError, ValueError, argparse.ArgumentTypeError):
            kind = getattr(action.type, "__name__", "value")
            raise UsageError(
                f"{where} = {item!r}: not a valid {'number' if kind in ('int', 'float') else kind}"
            ) from None
        if action.choices is not None and value not in action.choices:
            raise UsageError(
                f"{where} = {item!r}: expected one of {', '.join(map(str, action.choices))}"
            )
        if spec.is_path and isinstance(value, str):
            value = os.path.join(folder, os.path.expanduser(value))
        values.append(value)
    return values if spec.kind == "list" else values[0]


def given_on_command_line(argv: Sequence[str] | None) -> set[str]:
    """The dests the command line set: these beat the config file."""
    parser = build_parser()
    for action in parser._actions:
        action.default = argparse.SUPPRESS
    return set(vars(parser.parse_args(argv)))


def section_args(
    args: argparse.Namespace,
    given: set[str],
    section: WorkspaceSection,
    keys: Mapping[str, ConfigKey],
) -> argparse.Namespace:
    """The command line over the section over [DEFAULT]; protected lists add up."""
    merged = argparse.Namespace(**vars(args))
    for key, value in section.settings.items():
        dest = keys[key].action.dest
        if dest not in given:
            setattr(merged, dest, value)
        elif adds_up(keys[key]):
            setattr(merged, dest, list(value) + list(getattr(args, dest)))
    merged.token, merged.token_file = None, section.token_file
    return merged


def config_path(args: argparse.Namespace, environ: Mapping[str, str]) -> str | None:
    return args.config or environ.get("AAC_CONFIG", "").strip() or None


def wants_workspaces(args: argparse.Namespace, environ: Mapping[str, str]) -> bool:
    """--workspace, --all or --config; AAC_CONFIG alone unless a token for one workspace is
    given."""
    if args.workspace or args.all or args.config:
        return True
    return bool(config_path(args, environ)) and not (args.token or args.token_file)


def choose_workspaces(config: ConfigFile, args: argparse.Namespace) -> list[str]:
    names = list(config.workspaces)
    listed = ", ".join(names) or "none yet; add one with --add-workspace NAME"
    if not names:
        raise UsageError(
            f"{config.path} has no [workspace NAME] sections; add one with --add-workspace NAME"
            f" --config {config.path}"
        )
    if args.all and args.workspace:
        raise UsageError("give --workspace NAME or --all, not both")
    if args.all:
        return names
    if not args.workspace:
        raise UsageError(
            f"choose the workspaces of {config.path} to run: --workspace NAME (repeatable) or"
            f" --all. Sections: {listed}"
        )
    chosen = []
    for name in args.workspace:
        if name not in config.workspaces:
            raise UsageError(f"{config.path} has no [workspace {name}] section. Sections: {listed}")
        if name not in chosen:
            chosen.append(name)
    return chosen


def run_workspaces(
    args: argparse.Namespace,
    argv: Sequence[str] | None,
    environ: Mapping[str, str],
    console: Console,
    doc: dict[str, Any],
) -> int:
    """Each chosen workspace in turn through run(), each with its own token, report and
    confirmation.

    Everything is read and checked first (the file, every section's settings and token file), so
    a mistake in the last section stops the run before the first request. A failed workspace does
    not stop the others unless --stop-on-error; an interruption stops the loop."""
    path = config_path(args, environ)
    if not path:
        raise UsageError(
            "--workspace and --all pick sections of a config file: give --config PATH or set"
            " AAC_CONFIG"
        )
    parser = build_parser()
    config = load_config(path, parser)
    names = choose_workspaces(config, args)
    if args.token or args.token_file:
        raise UsageError(
            "each workspace's token comes from its section's token_file: drop --token /"
            " --token-file"
        )
    if (args.plan or args.plan_out) and len(names) > 1:
        raise UsageError(
            "a saved plan is for one workspace: with --plan or --plan-out choose one --workspace"
        )
    if not args.dry_run and not args.yes and not console.terminal.interactive:
        raise UsageError(
            "standard input is not a terminal, so the tool cannot ask for confirmation; add --yes"
            " to remove without asking"
        )
    keys = config_keys(parser)
    given = given_on_command_line(argv)
    runs = []
    for name in names:
        section = config.workspaces[name]
        # its own document, warnings included
        ws_doc: dict[str, Any] = {
            "format": RESULT_FORMAT,
            "tool_version": __version__,
            "dry_run": bool(args.dry_run),
            "section": name,
        }
        ws_console = faces(ws_doc, console.verbosity, console.json_mode, console.terminal)
        try:
            resolved = resolve_config(
                section_args(args, given, section, keys),
                environ,
                ws_console,
                workspace_id=section.workspace_id,
                label=name,
            )
        except UsageError as exc:
            raise UsageError(f"{path} [{SECTION_PREFIX}{name}]: {exc}") from None
        runs.append((name, resolved, ws_console, ws_doc))
    doc["format"] = WORKSPACES_FORMAT
    doc["config"] = os.path.abspath(path)
    docs: list[dict[str, Any]] = []
    codes: list[int] = []
    try:
        # Between two workspaces' runs, SIGTERM and SIGHUP stop the loop as Ctrl-C does, instead of
        # killing the process before the table and the --json document say what was done.
        with Signals(threading.Event()):
            for number, (name, resolved, ws_console, ws_doc) in enumerate(runs, 1):
                if number > 1:
                    console.result("")
                console.result(f"=== [{SECTION_PREFIX}{name}] ({number} of {len(runs)}) ===")
                code = _run_guarded(args, environ, ws_console, config=resolved)
                ws_console.tell("finished", code, ws_console.warnings)
                docs.append(ws_doc)
                codes.append(code)
                if code >= 128 or (code and args.stop_on_error):
                    break
    except KeyboardInterrupt as exc:  # between two workspaces' runs
        codes.append(128 + int(getattr(exc, "signum", signal.SIGINT)))
        console.error("interrupted between workspaces; no further workspace was started")
    doc["workspaces"] = docs
    doc["not_run"] = [name for name, *_ in runs[len(docs) :]]
    show_workspace_table(docs, doc["not_run"], console, args.dry_run, action_of(args))
    return overall_status(codes)


def overall_status(codes: Sequence[int]) -> int:
    """An interruption (130, 128+signal) first, then 1 over 2 over 4 over 3 over 0."""
    interrupted = [code for code in codes if code >= 128]
    if interrupted:
        return interrupted[-1]
    return next((int(status) for status in SEVERITY if status in codes), max(codes, default=0))


def show_workspace_table(
    docs: list[dict[str, Any]],
    not_run: list[str],
    console: Console,
    dry_run: bool,
    action: Action,
) -> None:
    console.result("")
    for line in workspace_table(docs, not_run, dry_run, action):
        console.result(line)


def workspace_table(
    docs: list[dict[str, Any]], not_run: list[str], dry_run: bool, action: Action
) -> list[str]:
    """One row per workspace, from each run's --json document, as the terminal and the review page
    show it. In a dry run the last column is the code each real run would end with before its
    first change (4 for a cap it would exceed), not the dry run's own 0."""
    # Each workspace's own action names its count (a section may suspend where others remove).
    actions = {ACTIONS.get(ws_doc.get("action", ""), action) for ws_doc in docs} or {action}
    one = next(iter(actions)) if len(actions) == 1 else None
    if dry_run:
        moved = f"to {one.name}" if one else "to act on"
    else:
        moved = one.label(one.done) if one else "done"
    ending = "would exit" if dry_run else "exit code"
    rows = [["workspace", "members", moved, "failed", "kept", ending]]
    for ws_doc in docs:
        counts = ws_doc.get("counts", {})
        own = ACTIONS.get(ws_doc.get("action", ""), action)
        key = f"to_{own.name}" if dry_run else own.done.replace("-", "_")
        failed = [counts[key] for key in ("failed", "transfer_failed", "unknown") if key in counts]
        # A dry run that failed itself (a network error, a swapped token) has no plan: its own code.
        code = (
            ws_doc.get("real_run_exit_code", ws_doc["exit_code"])
            if dry_run
            else ws_doc["exit_code"]
        )
        rows.append(
            [
                ws_doc["section"],
                counts.get("members", "-"),
                counts.get(key, "-"),
                sum(failed) if failed else "-",
                counts.get("kept", "-"),
                code,
            ]
        )
    rows += [[name, "-", "-", "-", "-", "not run"] for name in not_run]
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    return [
        "  ".join(
            [row[0].ljust(widths[0])]
            + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])]
        ).rstrip()
        for row in cells
    ]


def add_workspace(
    name: str,
    args: argparse.Namespace,
    environ: Mapping[str, str],
    console: Console,
    pair: dict[str, Any] | None = None,
    watch: Callable[[Tokens], None] = lambda tokens: None,
) -> ExitStatus:
    """Asks for a token pair, saves it beside the config, reads the workspace, appends its section.
    pair: the token pair already given (the review page's pasted_token_pair): nothing is asked.
    watch: told the Tokens before their first use (the review page's end waits for a refresh).

    The append is the only write this tool makes to a config file: every byte already there,
    comments included, stays as it was.
    """
    path = config_path(args, environ)
    if not path:
        raise UsageError(
            "--add-workspace adds a section to a config file: give --config PATH (or set"
            " AAC_CONFIG)"
        )
    if not re.fullmatch(r"\w[\w.-]*", name):
        raise UsageError(
            f"the workspace name {name!r} must be letters, digits, '.', '-' or '_', starting with a"
            " letter or digit (it names files and sections)"
        )
    existing = load_config(path, build_parser()) if os.path.exists(path) else None
    if existing:
        taken = next((n for n in existing.workspaces if n.casefold() == name.casefold()), None)
        if taken:
            raise UsageError(f"{path} already has [{SECTION_PREFIX}{taken}]; choose another name")
    if pair is None and not console.terminal.interactive:
        raise UsageError("--add-workspace asks for the tokens on a terminal; run it in one")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"the folder {folder} does not exist")
    token_name = f"{file_slug(name)}-token.json"
    token_path = os.path.join(folder, token_name)
    if os.path.exists(token_path):
        raise UsageError(
            f"{token_path} exists; the tool will not overwrite a token file (it may hold the only"
            " live refresh token)"
        )
    file_url = (existing.defaults.get("base-url") if existing else None) or DEFAULT_BASE_URL
    base_url = check_url(
        args.base_url or environ.get("AAC_BASE_URL", "").strip() or file_url,
        "--base-url / AAC_BASE_URL",
        host_only=True,
    )
    args = argparse.Namespace(**vars(args))
    args.token, args.token_file = None, token_path
    console.terminal.write(console.terminal.stderr, f"Adding [{SECTION_PREFIX}{name}] to {path}.\n")
    TokenFile(token_path, {}).write(pair if pair is not None else ask_token_pair(console.terminal))
    tokens: Tokens | None = None
    try:
        tokens = resolve_tokens(
            args, lambda var: environ.get(var, "").strip() or None, args.timeout, console
        )
        watch(tokens)
        tokens.prepare()
        client = AacClient(base_url, tokens, timeout=args.timeout, console=console)
        ws = client.get_json("/v4/workspaces/current")
        if not isinstance(ws, dict) or not str(ws.get("id", "")).isdigit():
            raise ApiError(
                "GET", "/v4/workspaces/current", "the answer has no numeric workspace id"
            )
        ws_id, ws_name = int(ws["id"]), ws.get("name") or ws.get("displayName")
        twin = next(
            (
                s.name
                for s in (existing.workspaces.values() if existing else [])
                if s.workspace_id == ws_id
            ),
            None,
        )
        if twin:
            raise UsageError(
                f"this token is for workspace {ws_id}, which {path} already has as"
                f" [{SECTION_PREFIX}{twin}]; nothing was added"
            )
    except BaseException:
        if tokens is not None and tokens.generation:
            # A refresh killed the refresh token typed in: the file holds the only live pair now.
            console.warn(
                f"the token pair was renewed and is kept in {token_path}; nothing was added to"
                f" {path}"
            )
        else:
            with contextlib.suppress(OSError):
                # nothing refers to it: a half-added workspace leaves no secrets behind
                os.unlink(token_path)
        raise
    about = " ".join(str(ws_name).split()) if ws_name else "no name"
    section = (
        f"[{SECTION_PREFIX}{name}]\n"
        f"# AAC workspace {about} (id {ws_id}), added {utc_now()[:10]} by --add-workspace\n"
        f"token_file = {token_name}\n"
        f"workspace_id = {ws_id}\n"
        # Later runs read the host from the file: a section on another host than [DEFAULT]'s says
        # so.
        + (
            f"base-url = {base_url}\n"
            if base_url != check_url(file_url, "[DEFAULT] base-url")
            else ""
        )
    )
    append_section(path, section)
    console.info(
        f"Added [{SECTION_PREFIX}{name}] (workspace {about}, id {ws_id}) to {path}; its token pair"
        f" is in {token_path}."
    )
    console.info(f"Next: python remove_users.py --config {path} --workspace {name} --dry-run")
    return ExitStatus.OK


def append_section(path: str, section: str) -> None:
    """Appends only: the file's own bytes are never rewritten, and its line endings are kept."""
    try:
        with open(path, "rb") as handle:
            before = handle.read()
    except FileNotFoundError:
        before = b""
    newline = "\r\n" if b"\r\n" in before else "\n"
    if not before:
        lead = (
            "# remove_users.py: one [workspace NAME] section per workspace; shared settings go in"
            " [DEFAULT].\n\n"
        )
    else:
        lead = ("" if before.endswith(b"\n") else "\n") + "\n"
    with open(path, "a", encoding="utf-8", newline=newline) as handle:
        handle.write(lead + section)
        handle.flush()
        os.fsync(handle.fileno())


# ---------------------------------------------------------------------------------------------
# The review page: a local admin console in the browser
# ---------------------------------------------------------------------------------------------
#
# `--review` serves one page on 127.0.0.1 that asks for what the flags did not give, shows the
# plan, lets the admin keep people by ticking them and confirm by typing the workspace name, and
# then shows the run's progress and summary. The page is a face of the engine, not a second
# engine: everything it shows or does goes through a ReviewSession, which EngineSession builds on
# the run's stages (prepare, the stops, go_ahead, carry_out) and its events (PageSink). The server
# here only checks each request and passes it on.
#
# Who may use it: whoever holds the secret printed in the terminal. It is a local admin console
# that can remove people, so the rules are Jupyter's: loopback only, a secret traded for an
# HttpOnly SameSite=Strict cookie, the Host checked (DNS rebinding), and every state-changing
# request a same-origin POST (another site open in the same browser can send none). A cookie is
# not enough on its own: cookies ignore ports, so the browser sends it to a server on any other
# port of 127.0.0.1 too (for SameSite all of them are one site). The trade therefore also hands
# the page a key in the address's fragment, which never leaves the browser; the page keeps it in
# sessionStorage (per origin: per port) and sends it in a custom header on every /api request.
# The page loads nothing from elsewhere and puts every server string in as text.


class ReviewError(RemoveUsersError):
    """A request the session refuses (a bad input, a name that does not match): its one-line
    message is shown on the page, and the page stays usable."""

    exit_status = ExitStatus.USAGE


class ReviewSession:
    """What the review page's server calls: the one seam between the page and the engine."""

    def choices(self) -> dict:
        """What the page asks for: {"workspaces": [section names of the config file] (empty
        without --config), "token_given": bool (a token came from the flags/env/config: the page
        then does not ask for one), "action": "remove"|"suspend" preset by flags, "dry_run": bool
        (--dry-run given: the page never offers the real run), "config": the config file's path
        or None (the page offers "add a workspace" only with one)}."""
        raise NotImplementedError

    def plan(self, form: dict) -> dict:
        """form: {"token": str|None, "token_pair": str|None (JSON text), "workspace": str|None,
        "keep_text": str, "keep_file": {"name": str, "text": str}|None, "email_column": str|None,
        "action": "remove"|"suspend", "transfer_to": str|None}. A token of None after an earlier
        plan means the token already given. Reads the workspace and plans (a dry run: no write).
        Returns the plan document (the README's "The review page"), or raises ReviewError."""
        raise NotImplementedError

    def stops(self, keep_ids: list[int], plan_id: int | None = None) -> list[dict]:
        """The stops of the current plan (plan_id: the plan's "plan_id") with keep_ids kept (the
        plan document's "stops"): a cap counts whom the page will act on, so they change as the
        page ticks people."""
        raise NotImplementedError

    def plan_file(self, keep_ids: list[int], plan_id: int | None = None) -> tuple[str, bytes]:
        """(file name, the --plan-out JSON) of the current plan (plan_id) with keep_ids kept."""
        raise NotImplementedError

    def start(
        self,
        keep_ids: list[int],
        typed_name: str,
        go_on: bool = False,
        plan_id: int | None = None,
        button: tuple[str, int] | None = None,
    ) -> None:
        """Starts the real run in the background; ReviewError if the name does not match, a stop
        applies (go_on: the page's "go on anyway" to the stops that ask), or the plan changed
        (plan_id is not the current plan's, or button, the (action, count) the pressed button
        named, is not what the run would do).
        Progress arrives as events."""
        raise NotImplementedError

    def events(self, since: int) -> tuple[list[dict], int]:
        """The run's events from index `since` (may block up to ~1 s waiting for a new one), and
        the next index."""
        raise NotImplementedError

    def report(self) -> tuple[str, bytes] | None:
        """(file name, bytes) of the audit report once the run has one."""
        raise NotImplementedError

    def add_workspace(self, name: str, token_pair: str) -> dict:
        """Appends a config section as --add-workspace does; returns the new choices()."""
        raise NotImplementedError

    def finished(self) -> int | None:
        """None while work may go on; else the exit code the process should end with."""
        raise NotImplementedError

    def stop(self, signum: int | None) -> int | None:
        """The server is ending: a signal in the terminal (signum), or REVIEW_IDLE seconds without
        use (None). On a signal, stop a run under way as a terminal run stops on it (no new
        request, every row settled) and return its exit code. When idle, return None to keep
        serving (a run is under way and will finish), or the exit code to end with."""
        raise NotImplementedError

    def serving(self, signals: Signals) -> None:
        """The server's Signals, installed in the main thread before the first request: a run
        acts under them (during it a signal only counts, and stops new requests)."""


class PageSink(Sink):
    """The review page's face: the run's events as the page's event dicts (reading, info, warning,
    started, outcome, progress, summary, error, table), held for the page to poll, and the plan
    as the page's plan document (plan_page)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.changed = threading.Condition()
        self.warnings: list[str] | None = None  # while a plan is made: its warnings, for the plan
        self.plan: dict[str, Any] | None = None
        self.acting = False
        self.report: str | None = None  # the audit report of the run under way, or the last one
        self.failure: str | None = None
        self.last_reading = 0.0

    def tell(self, kind: str, **event: Any) -> None:
        with self.changed:
            self.events.append({"kind": kind, **event})
            self.changed.notify_all()

    def since(self, index: int, wait: float) -> tuple[list[dict[str, Any]], int]:
        with self.changed:
            self.changed.wait_for(lambda: len(self.events) > index, timeout=wait)
            return self.events[index:], len(self.events)

    def planning(self) -> None:
        self.warnings, self.plan = [], None

    def line(self, kind: str, text: str) -> None:
        if kind == "warning":
            text = text.split(f"{PROG}: warning: ", 1)[-1]
            if self.warnings is not None:
                self.warnings.append(text)  # the plan shows them, beside what they are about
            else:
                self.tell("warning", text=text)
        elif kind == "info" and not self.acting:
            # While acting, the info lines are the terminal's telling of the events the page gets
            # as events (a line per person off a terminal): the page would get each twice.
            self.tell("info", text=text)

    def reading(self, what: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if done < 0 or (now - self.last_reading < 0.25 and done != total):
            return  # a page of a listing each: a few a second is enough to watch
        self.last_reading = now
        self.tell("reading", what=what, done=done, total=total)

    def plan_ready(self, planned: Planned, stops: list[Stop], dry_run: bool) -> None:
        self.plan = plan_page(planned, stops, self.warnings or [])
        self.warnings = None

    def started(self, planned: Planned, report: str, concurrency: int) -> None:
        self.acting, self.report = True, os.path.abspath(report)
        total, action = len(planned.plan.remove), planned.action.name
        self.tell("started", total=total, action=action, report=self.report)

    def outcome(self, n: int, total: int, result: Result, action: Action) -> None:
        if result.outcome in (action.done, action.already, action.gone):
            return  # counted in the progress events: 100,000 events would be held for the page
        self.tell(
            "outcome",
            n=n,
            total=total,
            person=person_json(result.person),
            outcome=result.outcome,
            ok=False,
            http_status=result.status,
            request_id=result.request_id,
            detail=redact(result.detail),
        )

    def progress(self, progress: Progress, waiting: float | None) -> None:
        self.tell(
            "progress",
            done=progress.done,
            total=progress.total,
            rate=progress.rate(),
            eta_seconds=progress.eta(),
            waiting_seconds=waiting if waiting and waiting >= 1 else None,
        )

    def summary(self, summary: Summary) -> None:
        self.acting = False
        self.tell(
            "summary",
            lines=summary.lines(),
            counts=dict(summary.counts),
            exit_code=int(summary.status),
            report=summary.report,
        )

    def error(self, message: str) -> None:
        self.failure = message  # told with its exit code when the run has one (finished)

    def finished(self, status: int, warnings: list[str]) -> None:
        self.acting = False
        if self.failure is not None:
            self.tell("error", text=self.failure, exit_code=int(status))
            self.failure = None

    def table(self, lines: list[str]) -> None:
        self.tell("table", lines=lines)


def plan_page(planned: Planned, stops: list[Stop], warnings: list[str]) -> dict[str, Any]:
    """The plan document of the review page: a superset of the --json dry run's plan, with the
    Action's words, the name to type, and every stop a real run would make."""
    ws, plan, action = planned.ws, planned.plan, planned.action
    expected, what = name_to_type(ws)
    return {
        "action": action.name,
        "workspace": {"id": ws.id, "name": ws.name or workspace_label(ws)},
        "words": {
            "verb": action.name.capitalize(),
            "past": action.past,
            "deletes_assets": action.deletes_assets,
            "consequence": action.consequence,
            "their_work": their_work(action, planned.target, REVIEW_TO_TRANSFER),
            "already": action.label(action.already),
        },
        "confirm": {"expected": expected, "what": what},
        "counts": {
            "members": len(ws.people),
            f"to_{action.name}": len(plan.remove),
            "kept": len(plan.kept),
            "kept_by_reason": plan.kept_counts(),
            "already": len(plan.already),
            "not_members": len(plan.not_members),
        },
        "people": [person_json(p, last_login=_last_login(p)) for p in plan.remove],
        "kept": [person_json(p, reason=reason) for p, reason in plan.kept],
        "warnings": warnings,
        "near_misses": [list(pair) for pair in planned.near],
        "stops": page_stops(stops),
        "email_files": [
            {**row, "column_label": f.column_label}
            for f, row in zip(planned.email_files, email_files_json(planned.email_files))
        ],
        "unmatched": plan.unmatched,
    }


def page_stops(stops: list[Stop]) -> list[dict[str, Any]]:
    """asks: a stop that lets a person go on (the terminal asks; the page has a "go on anyway")."""
    return [
        {"reason": stop.reason, "exit_code": int(stop.status), "asks": stop.ask is not None}
        for stop in stops
    ]


class PageAnswers(Terminal):
    """The page, as the stops and go_ahead() see it: someone is there to answer, and the answers
    are what the page sent, in the order go_ahead() asks (each stop's question, then the name to
    type). Nothing is read from the keyboard and no prompt is printed: the terminal's questions
    and the page's are the same questions, checked by the same code."""

    def __init__(self, answers: Sequence[str] = ()) -> None:
        super().__init__(stdin=io.StringIO(""))
        self.answers = collections.deque(answers)

    @property
    def interactive(self) -> bool:
        return True

    def ask(self, prompt: str) -> str | None:
        return self.answers.popleft().strip() if self.answers else None  # no answer declines


# Flags a review cannot take, each with what to do instead. The page always asks for the name
# (--yes), shows the run itself (--json), makes its own plan and offers it as a download
# (--plan, --plan-out), and removes or suspends (the undo is a one-off for the command line).
REVIEW_REFUSES = (
    ("yes", "the review page always asks for the workspace name: leave --yes out"),
    ("json", "the review page shows the run itself: leave --json out"),
    ("plan", "the review page makes its own plan: apply a saved plan without --review"),
    ("plan_out", "the review page offers its plan file as a download: leave --plan-out out"),
    ("unsuspend", "the review page removes or suspends; undo a suspension without --review"),
    ("from_report", "the review page removes or suspends; undo a suspension without --review"),
)


def review_refused() -> str:
    """`--yes, --json, ... or --from-report`: the flags REVIEW_REFUSES names, for --help."""
    flags = ["--" + dest.replace("_", "-") for dest, _ in REVIEW_REFUSES]
    return ", ".join(flags[:-1]) + " or " + flags[-1]


# The page has a box for what the terminal gives as a flag: its sentence names the box.
REVIEW_TO_TRANSFER = "you fill in \u201cTransfer their work to\u201d above"
REVIEW_TOKEN_FILE = "aac-token.json"  # where a pasted token pair is saved, in the current folder


@dataclass
class _OnThePage:
    """The plan the page shows, and what the run needs to carry it out."""

    name: str | None  # the config section, or None for a token given for one workspace
    config: Config
    planned: Planned
    client: AacClient
    console: Console
    doc: dict[str, Any]  # the run's --json document (the many-workspaces table reads it)
    plan_id: int = 0  # the page sends it back: a request names the plan it was made from
    done: threading.Event = field(default_factory=threading.Event)  # its run has ended


class EngineSession(ReviewSession):
    """The review page on the engine: the page's steps are the stages of a terminal run (resolve
    the config, prepare, the stops, go_ahead, carry_out), told to a PageSink beside the terminal's
    and the --json document's sinks. The page answers the questions the terminal would ask; the
    report, intent rows, verification, caps, retries, pacing and exit code are the run's own."""

    def __init__(
        self,
        args: argparse.Namespace,
        environ: Mapping[str, str],
        console: Console,
        argv: Sequence[str] | None,
    ) -> None:
        for dest, refusal in REVIEW_REFUSES:
            if getattr(args, dest):
                raise UsageError(refusal)
        self.args, self.environ, self.argv = args, environ, list(argv or [])
        self.verbosity = console.verbosity
        # The run's lines go to the terminal; its questions go to the page (PageAnswers), so the
        # terminal behind the page never waits for a keyboard nobody is watching.
        shown = console.terminal
        self.terminal = Terminal(io.StringIO(""), shown.stdout, shown.stderr)
        self.sink = PageSink()
        self.lock = threading.Lock()
        self.signals = Signals(threading.Event())  # the server's, once it serves (serving)
        self.current: _OnThePage | None = None
        self.plans_made = 0  # the last plan's plan_id
        # The Tokens of each plan and "add a workspace" under way, in the server's threads: the
        # end waits for their refresh (stop), as a terminal run's deferral does for its own.
        self.preparing: list[Tokens] = []
        self.running: _OnThePage | None = None
        self.stopping = False
        self.docs: dict[str | None, dict[str, Any]] = {}  # by section: the workspaces done
        self.codes: dict[str | None, int] = {}
        self.held: tuple[str, str] | None = None  # ("token", ...) or ("token_file", path)
        self.saved_pairs: dict[str, str] = {}  # a pasted pair's refresh token -> its file
        self.table_shown = False
        self.config_path = config_path(args, environ) if wants_workspaces(args, environ) else None
        self.config_file: ConfigFile | None = None
        self.names: list[str | None] = [None]
        if self.config_path:
            if args.token or args.token_file:
                raise UsageError(
                    "each workspace's token comes from its section's token_file: drop --token /"
                    " --token-file"
                )
            self._read_config()

    # The config file's workspaces

    def _read_config(self) -> None:
        assert self.config_path
        parser = build_parser()
        if not os.path.exists(self.config_path) and not (self.args.workspace or self.args.all):
            self.config_file, self.names = None, []  # "add a workspace" makes it
        else:
            self.config_file = load_config(self.config_path, parser)
            chosen = self.args.workspace or self.args.all
            names = choose_workspaces(self.config_file, self.args) if chosen else []
            self.names = list(names or self.config_file.workspaces)
        self.keys = config_keys(parser)
        self.given = given_on_command_line(self.argv)

    def serving(self, signals: Signals) -> None:
        self.signals = signals

    def choices(self) -> dict:
        env = (self.environ.get(n, "").strip() for n in ("AAC_ACCESS_TOKEN", "AAC_TOKEN_FILE"))
        given = bool(self.args.token or self.args.token_file or any(env))
        return {
            "workspaces": [name for name in self.names if name is not None],
            "token_given": bool(self.config_path) or given,  # each section has its token file
            "action": action_of(self.args).name,
            "dry_run": bool(self.args.dry_run),
            "config": self.config_path,
        }

    # 1-4. The plan: the stages of a terminal run up to its plan, changing nothing

    def plan(self, form: dict) -> dict:
        with self.lock:
            if self.stopping:
                raise ReviewError("the tool is ending (a signal in its terminal)")
            if self.running:
                raise ReviewError("a run is under way: its summary comes first")
            # The plan shown so far is not what the page asks for now: a start naming it while
            # this one is made is refused, not carried out on a plan nobody has seen.
            self.current = None
        name = form["workspace"] if self.config_path else None
        if self.config_path and (name not in self.names or self.config_file is None):
            raise ReviewError(f"choose one of the workspaces of {self.config_path}")
        doc = {"format": RESULT_FORMAT, "tool_version": __version__, "dry_run": True}
        doc["section"] = name
        console = faces(doc, self.verbosity, False, self.terminal)
        console.sinks.append(self.sink)
        self.sink.planning()
        try:
            section = self.config_file.workspaces[name] if self.config_file and name else None
            args, texts, note = self._args(form, section, console)
            config = resolve_config(
                args,
                self.environ,
                console,
                workspace_id=section.workspace_id if section else None,
                label=name,
                email_texts=texts,
            )
            client = AacClient(
                config.base_url,
                config.tokens,
                timeout=config.timeout,
                console=console,
                stop=self.signals.stop,
                concurrency=config.concurrency,
            )
            # prepare()'s deferral holds a signal until a refresh's new pair is saved; here the
            # signal goes to the server's main thread instead, and stop() waits for the refresh.
            self._watch(config.tokens)
            try:
                planned, _ = prepare(config, client, console, Signals(threading.Event()))
            finally:
                self._unwatch(config.tokens)
        except RemoveUsersError as exc:
            self.sink.warnings = None
            with self.lock:
                self.current = None  # the plan shown before is not what the page asks for now
            for line in str(exc).splitlines():
                console.error(line)
            raise ReviewError(str(exc)) from None
        page = _OnThePage(name, config, planned, client, console, doc)
        stops = self._stops(page, planned)
        console.tell("plan_ready", planned, stops, True)
        if self.args.dry_run:  # the plan is the work: the table and the exit code count it
            would = next((s.status for s in stops if s.about_plan), ExitStatus.OK)
            console.tell("real_run_exit", would)
            console.tell("finished", ExitStatus.OK, console.warnings)
            self._done(name, doc, ExitStatus.OK)
        with self.lock:
            self.plans_made += 1
            page.plan_id = self.plans_made
            self.current = page
        assert self.sink.plan is not None
        more = {"dry_run_only": bool(self.args.dry_run), "token_note": note}
        return {**self.sink.plan, **more, "plan_id": page.plan_id}

    def _watch(self, tokens: Tokens) -> None:
        with self.lock:
            if self.stopping:  # stop() has looked already: a refresh now could be cut off
                raise ReviewError("the tool is ending (a signal in its terminal)")
            self.preparing.append(tokens)

    def _unwatch(self, tokens: Tokens) -> None:
        with self.lock:
            self.preparing.remove(tokens)

    def _args(
        self, form: dict, section: WorkspaceSection | None, console: Console
    ) -> tuple[argparse.Namespace, dict[str, str], str | None]:
        """The flags with the page's inputs added, as a run of the command line would take them:
        the keep-list as --exclude entries, the keep file as an --exclude-file read by the
        browser, the action, the transfer target and the token."""
        args = argparse.Namespace(**vars(self.args))
        if section is not None:
            args = section_args(args, self.given, section, self.keys)
        args.dry_run = True  # the plan step; the run is carry_out's, after the page's go-ahead
        entries = [e for e in re.split(r"[,;\r\n]+", form["keep_text"] or "") if e.strip()]
        args.exclude = list(args.exclude) + check_emails(entries, "Emails to keep")
        texts = {}
        if form["keep_file"]:
            label = form["keep_file"]["name"] or "the chosen file"
            if label in args.exclude_file + args.only_file:
                label += " (chosen on the page)"
            args.exclude_file = list(args.exclude_file) + [label]
            texts[label] = form["keep_file"]["text"]
        if form["email_column"]:
            args.email_column = list(args.email_column) + [form["email_column"]]
        args.suspend = form["action"] == SUSPEND.name
        args.transfer_to = None if args.suspend else form["transfer_to"] or args.transfer_to
        note = None
        if section is None:
            if form["token"]:
                self.held = ("token", form["token"])
            elif form["token_pair"]:
                note = self._pair_file(form["token_pair"], console)
            if self.held is not None:  # a token of None: the one the page gave before
                args.token, args.token_file = None, None
                setattr(args, self.held[0], self.held[1])
        return args, texts, note

    def _pair_file(self, text: str, console: Console) -> str | None:
        """A pasted token pair: its access token alone when it has no refresh token; otherwise
        saved to a token file first, since a refresh replaces the refresh token and the old one
        dies (TokenFile: atomic, owner-only). Never over an existing file."""
        pair = pasted_token_pair(text)
        if not pair.get("refresh_token"):
            self.held = ("token", pair["access_token"])
            return None
        path = self.saved_pairs.get(pair["refresh_token"])
        if path is None:
            path = os.path.abspath(REVIEW_TOKEN_FILE)
            if os.path.exists(path):
                raise UsageError(
                    f"{path} exists, and the tool never overwrites a token file (it may hold the"
                    " only live refresh token, from an earlier review): start the tool with"
                    f" --token-file {path}, or paste the access token alone"
                )
            TokenFile(path, {}).write(pair)
            self.saved_pairs[pair["refresh_token"]] = path
            console.info(
                f"Saved the token pair to {path} (readable only by you); a refresh renews it"
                f" there. Next time: --token-file {path}"
            )
        self.held = ("token_file", path)
        return f"The token pair is saved in {path} (readable only by you): use it next time."

    def _stops(self, page: _OnThePage, planned: Planned) -> list[Stop]:
        """Every stop the real run would make, with the page there to answer (PageAnswers)."""
        return safety_stops(dataclasses.replace(page.config, dry_run=False), planned, PageAnswers())

    def _on_the_page(self, keep_ids: list[int], plan_id: int | None) -> tuple[_OnThePage, Planned]:
        with self.lock:
            page = self.current
        if page is None:
            raise ReviewError("show the plan first")
        # Two tabs share the session, and a re-plan answers after the page has shown the old one:
        # a request acts on the plan its page shows, or on none.
        if plan_id != page.plan_id:
            raise ReviewError(
                "the plan changed since this page showed it (a new plan, or another tab): show"
                " the plan again; nothing was changed"
            )
        try:
            return page, kept_by_id(page.planned, keep_ids)
        except UsageError as exc:
            raise ReviewError(str(exc)) from None

    def stops(self, keep_ids: list[int], plan_id: int | None = None) -> list[dict]:
        page, planned = self._on_the_page(keep_ids, plan_id)
        return page_stops(self._stops(page, planned))

    def plan_file(self, keep_ids: list[int], plan_id: int | None = None) -> tuple[str, bytes]:
        page, planned = self._on_the_page(keep_ids, plan_id)
        ws = planned.ws
        return f"{file_slug(ws.name or str(ws.id))}-plan.json", plan_document(planned)

    # 5-8. Go ahead as the terminal does, then act, verify and summarize in a thread of its own

    def start(
        self,
        keep_ids: list[int],
        typed_name: str,
        go_on: bool = False,
        plan_id: int | None = None,
        button: tuple[str, int] | None = None,
    ) -> None:
        if self.args.dry_run:
            raise ReviewError("this is a dry run (--dry-run): the page changes nothing")
        page, planned = self._on_the_page(keep_ids, plan_id)
        # What the pressed button said (its action and its count) is what is carried out, or
        # nothing: a page that shows "Suspend 2 people" never removes 3.
        acting = (planned.action.name, len(planned.plan.remove))
        if button != acting:
            said = f"{button[0]} {button[1]}" if button else "nothing"
            raise ReviewError(
                f"the button said {said}, the plan is to {acting[0]} {acting[1]}: show the plan"
                " again; nothing was changed"
            )
        with self.lock:
            if self.current is not page:  # a plan made or begun since
                raise ReviewError("the plan changed: show the plan again; nothing was changed")
            if self.running or self.stopping:
                raise ReviewError("a run is under way already")
            if page.name in self.codes:
                again = "choose the next workspace" if self.config_path else "start the tool again"
                raise ReviewError(f"this workspace's run is over: {again}")
            action = planned.action
            if not planned.plan.remove:
                raise ReviewError(f"nobody to {action.name}; nothing was changed")
            config = dataclasses.replace(page.config, dry_run=False)
            stops = self._stops(page, planned)
            asked = sum(stop.ask is not None for stop in stops)
            answers = PageAnswers(["yes" if go_on else "no"] * asked + [typed_name])
            try:
                go_ahead(config, planned, stops, answers)
            except RemoveUsersError as exc:
                raise ReviewError(str(exc)) from None
            # From here a signal in the terminal only counts, as in a terminal run's removals: the
            # first stops new requests, a second abandons those in flight.
            self.signals.counting = True
            self.running = page
        threading.Thread(
            target=self._act, args=(page, config, planned), name="review-run", daemon=True
        ).start()

    def _act(self, page: _OnThePage, config: Config, planned: Planned) -> None:
        def acting(config: Config, console: Console) -> int:
            return carry_out(config, planned, page.client, console, self.signals)

        console, code = page.console, int(ExitStatus.ERROR)
        page.doc["dry_run"] = False
        try:
            code = _run_guarded(self.args, self.environ, console, config=config, story=acting)
            console.tell("finished", code, console.warnings)
        finally:
            with self.lock:
                # The code is on record as the run stops being under way, in one step: finished()
                # (and stop(), once done is set) would otherwise answer from the codes without it,
                # 0 for a run that a signal ended with 130.
                self.running = None
                self.docs[page.name], self.codes[page.name] = page.doc, int(code)
                if not self.signals.count:
                    self.signals.counting = False  # a Ctrl-C now ends the page at once
            page.done.set()
        self._done(page.name, page.doc, code)

    def _done(self, name: str | None, doc: dict[str, Any], code: int) -> None:
        """A workspace's work is over (its run, or its plan in a dry run): the table so far."""
        with self.lock:
            self.docs[name], self.codes[name] = doc, int(code)  # a run's: recorded already
            over = all(n in self.codes for n in self.names)
        if self.config_path:
            self.sink.table(self._table())
            if over or self.signals.count:
                self._show_table()

    def _table(self) -> list[str]:
        docs = [self.docs[n] for n in self.names if n in self.docs]
        not_run = [str(n) for n in self.names if n not in self.docs]
        return workspace_table(docs, not_run, bool(self.args.dry_run), action_of(self.args))

    def _show_table(self) -> None:
        """On the terminal, once, as --all ends."""
        with self.lock:
            shown, self.table_shown = self.table_shown, True
        if not shown and self.docs:
            console = Console(self.verbosity, False, self.terminal)
            console.result("")
            for line in self._table():
                console.result(line)

    def events(self, since: int) -> tuple[list[dict], int]:
        return self.sink.since(since, 1.0)

    def report(self) -> tuple[str, bytes] | None:
        path = self.sink.report
        if not path or not os.path.isfile(path):
            return None
        with open(path, "rb") as handle:
            return os.path.basename(path), handle.read()

    def add_workspace(self, name: str, token_pair: str) -> dict:
        if not self.config_path:
            raise ReviewError("adding a workspace needs a config file: start with --config PATH")
        with self.lock:
            if self.running:
                raise ReviewError("a run is under way: add the workspace after it")
        args = argparse.Namespace(**vars(self.args))
        args.config = self.config_path
        console = faces({}, self.verbosity, False, self.terminal)
        console.sinks.append(self.sink)
        watched: list[Tokens] = []

        def watch(tokens: Tokens) -> None:
            self._watch(tokens)
            watched.append(tokens)

        try:
            add_workspace(name, args, self.environ, console, pasted_token_pair(token_pair), watch)
            self._read_config()
        except RemoveUsersError as exc:
            raise ReviewError(str(exc)) from None
        finally:
            for tokens in watched:
                self._unwatch(tokens)
        if name not in self.names:
            self.names.append(name)  # chosen by --workspace: the new one is chosen too
        return self.choices()

    # The end: when the work is over, idle, or a signal in the terminal

    def finished(self) -> int | None:
        with self.lock:
            if self.running is not None:
                return None
            # No workspace listed yet (a config file to come): the work is adding one.
            listed = bool(self.names) and all(name in self.codes for name in self.names)
            return self._overall() if listed or self.signals.count else None

    def _overall(self, *more: int) -> int:
        return overall_status([*self.codes.values(), *more]) if self.codes or more else 0

    def stop(self, signum: int | None) -> int | None:
        with self.lock:
            running, self.stopping = self.running, True
        if running is not None and signum is None:
            with self.lock:
                self.stopping = False
            return None  # a run is under way: it ends the server when it is over
        over = self.finished()
        if running is not None:
            # As the first signal of a terminal run's removals: no new request, those in flight
            # finish (a second Ctrl-C abandons them), every planned person gets a row.
            self.signals.count = max(self.signals.count, 1)
            self.signals.stop.set()
            while not running.done.wait(0.05):  # not join(): see Actor.run
                pass
            return self.finished() or self._overall()
        # Every plan's and new workspace's Tokens (the shown plan's too): a refresh under way in
        # the server's threads saves its new pair first, and none starts after (Tokens.hold).
        with self.lock:
            preparing = [*self.preparing, *([self.current.config.tokens] if self.current else [])]
        for tokens in {id(tokens): tokens for tokens in preparing}.values():
            tokens.hold()  # once each: a second hold of the same Tokens would wait its bound out
        if over is not None:
            return over
        self._said_stopped(signum)
        if signum is not None:
            code = self._overall(128 + signum)
        elif self.codes or self.args.dry_run:
            code = self._overall()
        else:  # left unconfirmed, as a declined confirmation is
            code = ExitStatus.SAFETY_STOP
        self._show_table()
        return code

    def _said_stopped(self, signum: int | None) -> None:
        action = action_of(self.args)
        console = Console(self.verbosity, False, self.terminal)
        why = (
            f"the review page went unused for {REVIEW_IDLE // 60} minutes"
            if signum is None
            else f"interrupted by {Signals.NAMES.get(signal.Signals(signum).name, 'a signal')}"
        )
        if self.codes:
            console.error(f"{why}; no further workspace was started")
        else:
            console.error(f"{why} before any {action.noun}; nobody was {action.past}")


# The page, its style and its script: served as /, /app.css and /app.js, with no inline script or
# style (the Content-Security-Policy allows none) and nothing from another origin.

REVIEW_HTML = r"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Review: remove_users.py</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<header class="bar">
  <div class="wrap bar-in">
    <span class="brand">remove_users.py</span>
    <span class="bar-title">Review page</span>
    <span id="ws-label" class="bar-ws"></span>
    <span class="badge" title="Served by the tool on this computer, to this computer only">
      Local only</span>
  </div>
</header>
<main class="wrap">
  <noscript><p class="banner error">This page needs JavaScript. It comes from the tool on this
    computer; nothing is loaded from the internet.</p></noscript>
  <p id="gone" class="banner error" role="alert" hidden></p>
  <p class="intro">Nothing changes until you have seen the plan, typed the workspace name and
    pressed the button. The page and everything you type stay on this computer.</p>

  <section id="step-workspace" class="card" aria-labelledby="h-ws">
    <h2 id="h-ws"><span class="num" aria-hidden="true">1</span>Workspace</h2>
    <fieldset id="ws-choices" hidden>
      <legend>Workspaces in the config file</legend>
      <div id="ws-list" class="choices"></div>
    </fieldset>
    <div id="token-box">
      <label for="token">Access token, or the token pair JSON</label>
      <input id="token" type="password" autocomplete="off" spellcheck="false">
      <p class="hint">In AAC: Profile &gt; Preferences &gt; OAuth 2.0 API Tokens. It goes only to
        the tool on this computer, once, and is never shown or sent back.</p>
      <p id="token-held" class="ok" hidden>Token received: the tool holds it. Paste another one to
        change workspace.</p>
    </div>
    <p id="token-given" class="ok" hidden>The token comes from the command line, the environment
      or the config file.</p>
    <details id="add-ws" hidden>
      <summary>Add a workspace to the config file</summary>
      <div class="grid2">
        <div><label for="add-name">Name for the workspace</label>
          <input id="add-name" autocomplete="off"></div>
        <div><label for="add-pair">Its token pair JSON</label>
          <input id="add-pair" type="password" autocomplete="off" spellcheck="false"></div>
      </div>
      <div class="actions"><button id="add-go" type="button">Add the workspace</button>
        <span id="add-msg" role="status"></span></div>
    </details>
  </section>

  <section id="step-keep" class="card" aria-labelledby="h-keep">
    <h2 id="h-keep"><span class="num" aria-hidden="true">2</span>Who stays</h2>
    <label for="keep-text">Emails to keep</label>
    <textarea id="keep-text" rows="4" spellcheck="false"
      placeholder="e.g. ta@uni.edu, Prof. Ada Lovelace &lt;ada@uni.edu&gt;"></textarea>
    <p class="hint">One a line, or separated by commas or semicolons;
      <code>Name &lt;email&gt;</code> works too. You, and the workspace admins, always stay.</p>
    <div class="grid2">
      <div><label for="keep-file">Or a CSV or TXT file of emails</label>
        <input id="keep-file" type="file" accept=".csv,.txt,.tsv,text/csv,text/plain"></div>
      <div><label for="email-column">Email column (when the file has several)</label>
        <input id="email-column" autocomplete="off" placeholder="e.g. Email"></div>
    </div>
  </section>

  <section id="step-action" class="card" aria-labelledby="h-action">
    <h2 id="h-action"><span class="num" aria-hidden="true">3</span>What to do</h2>
    <fieldset>
      <legend>Action</legend>
      <div class="choices">
        <label class="choice"><input type="radio" name="action" value="remove" checked>
          <span><strong>Remove</strong> them from the workspace</span></label>
        <label class="choice"><input type="radio" name="action" value="suspend">
          <span><strong>Suspend</strong> them: they cannot sign in and keep everything
            (undone on the command line, not on this page:
            <code>--unsuspend --from-report REPORT</code>)</span></label>
      </div>
    </fieldset>
    <div id="remove-extra">
      <p class="warn">Removing a person deletes the flows, datasets and connections they own,
        unless you transfer them first. Only Alteryx Support can undo a removal.</p>
      <label for="transfer-to">Transfer their work to (optional)</label>
      <input id="transfer-to" type="email" autocomplete="off">
      <p class="hint">The email of a workspace member who receives their flows, datasets and
        connections (an archive account, say). Left empty, their work is deleted.</p>
    </div>
    <div class="actions">
      <button id="plan-go" type="button" class="primary">Show the plan</button>
      <span class="hint">Reads the workspace and changes nothing.</span>
    </div>
    <p id="reading" class="hint" role="status"></p>
    <p id="plan-error" class="banner error" role="alert" hidden></p>
  </section>

  <section id="plan" class="card" aria-labelledby="h-plan" hidden>
    <h2 id="h-plan">The plan</h2>
    <p id="plan-over" class="banner note" role="status" hidden></p>
    <p id="plan-ws" class="lead"></p>
    <div id="counts" class="counts"></div>
    <p id="their-work" class="warn"></p>
    <div id="stops"></div>
    <ul id="warnings" class="notes"></ul>
    <ul id="email-files" class="notes quiet"></ul>
    <div class="table-head">
      <h3 id="h-act"></h3>
      <div class="tools">
        <label for="search" class="sr">Search the plan</label>
        <input id="search" type="search" placeholder="Search email or name" autocomplete="off">
        <button id="download-plan" type="button">Download the plan file</button>
      </div>
    </div>
    <p id="plan-msg" class="banner error" role="alert" hidden></p>
    <p id="shown" class="hint" role="status"></p>
    <div class="scroll">
      <table id="act-table">
        <thead><tr>
          <th scope="col" class="c-keep">Keep</th>
          <th scope="col" aria-sort="ascending">
            <button type="button" data-sort="email">Email</button></th>
          <th scope="col" aria-sort="none"><button type="button" data-sort="name">Name</button></th>
          <th scope="col" aria-sort="none">
            <button type="button" data-sort="last_login">Last login</button></th>
        </tr></thead>
        <tbody></tbody>
      </table>
    </div>
    <h3 id="h-kept"></h3>
    <div class="scroll">
      <table id="kept-table">
        <thead><tr>
          <th scope="col" class="c-keep">Keep</th><th scope="col">Email</th>
          <th scope="col">Name</th><th scope="col">Why they stay</th>
        </tr></thead>
        <tbody></tbody>
      </table>
    </div>
    <p id="moved" class="sr" role="status"></p>
  </section>

  <section id="confirm" class="card" aria-labelledby="h-confirm" hidden>
    <h2 id="h-confirm">Confirm</h2>
    <p id="dry-note" class="ok" hidden>This is a dry run (<code>--dry-run</code>): the page shows
      the plan and changes nothing.</p>
    <div id="confirm-box">
      <p id="confirm-what"></p>
      <label for="confirm-name">Workspace name</label>
      <div class="confirm-row">
        <input id="confirm-name" autocomplete="off" spellcheck="false">
        <button id="run-go" type="button" class="danger" disabled></button>
      </div>
      <p id="start-error" class="banner error" role="alert" hidden></p>
    </div>
  </section>

  <section id="progress" class="card" aria-labelledby="h-progress" hidden>
    <h2 id="h-progress">Progress</h2>
    <progress id="bar" max="1" value="0"></progress>
    <p id="progress-line" class="figures" role="status"></p>
    <p id="report-path" class="hint"></p>
    <div id="failures-box" hidden>
      <h3>Failures</h3>
      <ul id="failures" class="notes bad"></ul>
    </div>
    <div id="summary" class="summary" hidden></div>
    <pre id="table" hidden></pre>
    <div class="actions">
      <button id="report-link" type="button" hidden>Download the audit report</button>
      <button id="next-ws" type="button" class="primary" hidden></button>
      <button id="close-go" type="button" hidden>Close the review page</button>
    </div>
    <p id="report-msg" class="banner error" role="alert" hidden></p>
  </section>

  <section id="log-box" class="card quiet-card" aria-labelledby="h-log" hidden>
    <h2 id="h-log">Messages</h2>
    <ul id="log" class="notes"></ul>
  </section>
</main>
</body>
</html>
"""

REVIEW_CSS = r""":root {
  --ink: #1d2433; --muted: #5b6475; --line: #dde1e8; --bg: #f4f6f9; --card: #fff;
  --accent: #2457c5; --accent-dark: #1b4399; --danger: #b42318; --danger-dark: #8f1c13;
  --warn-bg: #fff7e6; --warn-line: #f0b541; --ok: #1e7a46; --bad-bg: #fdecea;
  color-scheme: light;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--ink); line-height: 1.45; font-size: 15px;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
.wrap { max-width: 1080px; margin: 0 auto; padding: 0 20px; }
.bar { background: #172033; color: #fff; }
.bar-in { display: flex; align-items: center; gap: 14px; min-height: 52px; flex-wrap: wrap; }
.brand { font-weight: 700; letter-spacing: .01em; }
.bar-title { color: #c3cad8; }
.bar-ws { color: #fff; font-weight: 600; }
.badge {
  margin-left: auto; font-size: 12px; padding: 3px 10px; border-radius: 999px;
  border: 1px solid #4a587a; color: #c3cad8;
}
main.wrap { padding-top: 24px; padding-bottom: 48px; }
.intro { margin: 0 0 18px; color: var(--muted); }
.card {
  background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 18px 22px 20px; margin-bottom: 16px; box-shadow: 0 1px 2px rgba(20, 30, 50, .05);
}
.quiet-card { background: #fafbfc; }
h2 { font-size: 18px; margin: 0 0 14px; display: flex; align-items: center; gap: 10px; }
h3 { font-size: 15px; margin: 18px 0 8px; }
.num {
  display: inline-flex; width: 26px; height: 26px; border-radius: 50%; background: var(--accent);
  color: #fff; font-size: 13px; align-items: center; justify-content: center; flex: none;
}
label { display: block; font-weight: 600; margin: 10px 0 4px; }
label.choice { font-weight: 400; display: flex; gap: 10px; align-items: flex-start; margin: 0; }
label.choice input { margin-top: 3px; }
fieldset { border: 0; padding: 0; margin: 0 0 6px; min-width: 0; }
legend { font-weight: 600; padding: 0; margin-bottom: 6px; }
.choices { display: grid; gap: 8px; }
input[type=password], input[type=email], input[type=search], input:not([type]), textarea {
  width: 100%; font: inherit; color: inherit; padding: 8px 10px; border: 1px solid #b9c0cc;
  border-radius: 6px; background: #fff;
}
textarea {
  resize: vertical; min-height: 84px; font-size: 13.5px;
  font-family: ui-monospace, Menlo, Consolas, monospace;
}
input[type=file] { font: inherit; max-width: 100%; }
input:focus, textarea:focus, button:focus-visible, a:focus-visible, summary:focus-visible {
  outline: 3px solid rgba(36, 87, 197, .35); outline-offset: 1px; border-color: var(--accent);
}
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 0 18px; }
.hint { color: var(--muted); font-size: 13.5px; margin: 6px 0 0; }
.ok { color: var(--ok); margin: 8px 0 0; }
.warn {
  background: var(--warn-bg); border-left: 4px solid var(--warn-line); padding: 9px 12px;
  border-radius: 4px; margin: 12px 0 4px;
}
.banner { padding: 10px 14px; border-radius: 6px; margin: 12px 0 0; }
.banner.error { background: var(--bad-bg); border: 1px solid #f3b4ad; color: var(--danger-dark); }
.banner.note { background: #eef3fb; border: 1px solid #c5d3ec; font-weight: 600; }
.actions { display: flex; align-items: center; gap: 12px; margin-top: 16px; flex-wrap: wrap; }
button, .button {
  font: inherit; font-weight: 600; padding: 8px 16px; border-radius: 6px; cursor: pointer;
  border: 1px solid #b9c0cc; background: #fff; color: var(--ink); text-decoration: none;
  display: inline-block;
}
button:hover, .button:hover { background: #f0f3f8; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.primary:hover { background: var(--accent-dark); }
button.danger { background: var(--danger); border-color: var(--danger); color: #fff; }
button.danger:hover { background: var(--danger-dark); }
button:disabled, button:disabled:hover {
  background: #e7eaef; border-color: #d5dae2; color: #8a93a3; cursor: not-allowed;
}
.lead { font-size: 16px; margin: -6px 0 12px; color: var(--muted); }
.lead strong { color: var(--ink); }
.counts { display: flex; gap: 12px; flex-wrap: wrap; }
.count {
  border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 130px;
  background: #fafbfc;
}
.count b { display: block; font-size: 24px; line-height: 1.15; font-variant-numeric: tabular-nums; }
.count span { color: var(--muted); font-size: 13px; }
.count.act b { color: var(--danger); }
.notes { margin: 10px 0 0; padding-left: 20px; }
.notes li { margin: 3px 0; }
.notes.quiet { color: var(--muted); font-size: 13.5px; }
.notes.bad li { color: var(--danger-dark); }
.notes li.warn-line { color: #8a5a00; }
#warnings li::marker { color: #c98a00; }
.summary h3 { margin: 0 0 6px; }
.email-inline { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; }
.stop { background: var(--bad-bg); border-left: 4px solid var(--danger); padding: 9px 12px;
  border-radius: 4px; margin: 12px 0 0; }
.stop p { margin: 0; }
.stop.asks { background: var(--warn-bg); border-left-color: var(--warn-line); }
.stop label.choice { margin-top: 8px; font-weight: 600; }
.table-head { display: flex; align-items: flex-end; justify-content: space-between; gap: 12px;
  flex-wrap: wrap; margin-top: 18px; }
.table-head h3 { margin: 0 0 4px; }
.tools { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.tools input { width: 240px; }
.scroll { overflow-x: auto; max-height: 480px; overflow-y: auto; border: 1px solid var(--line);
  border-radius: 8px; margin-top: 8px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 7px 12px; border-bottom: 1px solid #edf0f4;
  vertical-align: middle; }
.scroll table { min-width: 560px; }
thead th { position: sticky; top: 0; background: #f3f5f8; font-size: 13px; color: var(--muted);
  font-weight: 600; z-index: 1; }
tbody tr:last-child td { border-bottom: 0; }
tbody tr:hover { background: #f8f9fb; }
th button { border: 0; background: none; padding: 0; font-weight: 600; color: inherit;
  font-size: inherit; }
th button:hover { background: none; color: var(--accent); }
th[aria-sort=ascending] button::after { content: " \25B2"; font-size: 10px; }
th[aria-sort=descending] button::after { content: " \25BC"; font-size: 10px; }
.c-keep { width: 56px; text-align: center; }
td.c-keep input { width: 17px; height: 17px; margin: 1px 0 0; cursor: pointer; }
td.email { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px;
  overflow-wrap: break-word; }
td.muted, .muted { color: var(--muted); }
tr.page-kept td { background: #eef4ff; }
.reason { display: inline-block; font-size: 12.5px; padding: 1px 8px; border-radius: 999px;
  background: #eef0f4; color: #3d4658; }
tr.page-kept .reason { background: #dbe6ff; color: var(--accent-dark); }
.empty td { color: var(--muted); text-align: center; padding: 14px; }
.confirm-row { display: flex; gap: 12px; flex-wrap: wrap; }
.confirm-row input { flex: 1 1 260px; width: auto; }
progress { width: 100%; height: 14px; accent-color: var(--accent); }
.figures { font-variant-numeric: tabular-nums; font-size: 15px; margin: 8px 0 0; }
.summary { margin-top: 14px; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px;
  background: #fafbfc; }
.summary p { margin: 3px 0; }
.summary .next { font-weight: 600; margin-top: 8px; }
.summary.good { border-color: #9fd3b3; background: #f1faf4; }
.summary.bad { border-color: #f3b4ad; background: #fff6f5; }
pre { background: #f3f5f8; padding: 12px; border-radius: 6px; overflow-x: auto; font-size: 13px; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .92em; }
details { margin-top: 14px; border-top: 1px solid var(--line); padding-top: 12px; }
summary { cursor: pointer; font-weight: 600; color: var(--accent); }
.sr { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
[hidden] { display: none !important; }
@media (max-width: 640px) {
  .wrap { padding: 0 12px; }
  .card { padding: 14px 14px 16px; }
  .grid2 { grid-template-columns: 1fr; }
  .tools, .tools input { width: 100%; }
  .badge { margin-left: 0; }
  th, td { padding: 6px 8px; }
  .count { min-width: 0; flex: 1 1 40%; }
}
"""

REVIEW_JS = r""""use strict";
// The review page. Every string that comes from the server (names, emails, messages) goes in
// as text (textContent, text nodes), never as HTML: a member's name is data, not markup.
(function () {
  const $ = (id) => document.getElementById(id);
  const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
  const count = (n) => Number(n).toLocaleString("en-US");
  const people = (n) => `${count(n)} ${n === 1 ? "person" : "people"}`;
  const sentence = (text) => String(text).charAt(0).toUpperCase() + String(text).slice(1);
  // As the terminal's prompt compares the name: trimmed, in any letter case. The tool checks
  // again with its own rule when the run is asked for; this only enables the button.
  const fold = (text) => String(text || "").trim().normalize("NFC").toLowerCase();
  const KEPT_HERE = "kept on the review page";

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key.startsWith("aria-")) node.setAttribute(key, value);
      else node[key] = value;
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  const state = {
    choices: null, plan: null, kept: new Set(), sort: { key: "email", dir: 1 }, filter: "",
    next: 0, started: false, finished: false, planning: false, tokenHeld: false, keepFile: null,
    done: {}, goOn: new Set(), checking: 0,
    workspace: null, total: 0, failures: 0, over: false, acted: null,
  };

  // The plan, the stops and the Next: line are the terminal's words; where they name a flag, a
  // note says which box of this page it is, for admins who never use the terminal.
  const PAGE_BOXES = [
    [/--exclude\b|exclude file/, "--exclude and the exclude file are \u201cEmails to keep\u201d " +
      "(or its CSV or TXT file)"],
    [/--transfer-to\b/, "--transfer-to is \u201cTransfer their work to\u201d"],
  ];

  function onThisPage(text) {
    const found = PAGE_BOXES.filter(([pattern]) => pattern.test(text)).map(([, words]) => words);
    return found.length ?
      el("p", { className: "hint page-note" }, `On this page: ${found.join("; ")}.`) : null;
  }

  class PageError extends Error {}

  // The page's key: the tool's redirect puts it in the fragment (never sent to any server). It
  // moves to sessionStorage, which is this origin's (this port's) and this tab's alone, and
  // leaves the address bar; every request to the tool carries it. A tab opened without the
  // printed address has none.
  const KEY = (() => {
    const given = window.location.hash.slice(1);
    try {
      if (given) window.sessionStorage.setItem("remove_users_key", given);
      if (window.location.hash) window.history.replaceState(null, "", window.location.pathname);
      return window.sessionStorage.getItem("remove_users_key") || "";
    } catch (error) {
      return given;  // storage turned off: this load still works, a reload asks for the address
    }
  })();

  async function call(path, body) {
    const init = {
      method: body === undefined ? "GET" : "POST", cache: "no-store", credentials: "same-origin",
      headers: { "X-Remove-Users": KEY },
      // The page's policy sends no Referer anywhere, and under it a browser that follows the
      // Fetch standard to the letter sends `Origin: null` with a POST; the server accepts a
      // POST only with this page's own origin, so this request names its referrer policy.
      referrerPolicy: "same-origin",
    };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    try {
      return await fetch(path, init);
    } catch (error) {
      throw new PageError("The tool does not answer: is it still running in the terminal?");
    }
  }

  async function callJson(path, body) {
    const response = await call(path, body);
    let data = null;
    try { data = await response.json(); } catch (error) { data = null; }
    if (!response.ok) {
      throw new PageError(sentence((data && data.error) || `the tool answered ${response.status}`));
    }
    return data;
  }

  function showError(id, error) {
    const box = $(id);
    box.textContent = error instanceof PageError ? error.message : `The page failed: ${error}`;
    box.hidden = false;
  }

  function gone(text) {
    const box = $("gone");
    box.textContent = text || "The review page has ended (the tool in the terminal stopped). " +
      "You can close this tab; start the tool again to go on.";
    box.hidden = false;
    for (const node of document.querySelectorAll("button, input, textarea")) node.disabled = true;
    window.scrollTo(0, 0);
  }

  // 1. Workspace, and what the flags already gave

  function selectedWorkspace() {
    const picked = document.querySelector("input[name=workspace]:checked");
    return picked && picked.value ? picked.value : null;
  }

  function renderChoices() {
    const c = state.choices;
    const list = $("ws-list");
    const picked = document.querySelector("input[name=workspace]:checked");
    const before = picked ? picked.value : undefined;  // "": another workspace, by its token
    list.replaceChildren();
    c.workspaces.forEach((name, index) => {
      const input = el("input", { type: "radio", name: "workspace", value: name });
      input.checked = before === undefined ? index === 0 : before === name;
      const status = name in state.done ?
        el("span", { className: "reason" }, state.done[name] === 0 ? "done" : "ended with " +
          `exit code ${state.done[name]}`) : null;
      list.append(el("label", { className: "choice" }, input, el("span", {}, name, " "), status));
    });
    if (c.workspaces.length && !c.token_given) {
      const other = el("input", { type: "radio", name: "workspace", value: "" });
      other.checked = before === "";
      list.append(el("label", { className: "choice" }, other,
        el("span", {}, "Another workspace: paste its token")));
    }
    for (const input of list.querySelectorAll("input")) {
      input.addEventListener("change", showTokenBox);
    }
    $("ws-choices").hidden = c.workspaces.length === 0;
    $("token-given").hidden = !c.token_given;
    $("add-ws").hidden = !c.config;
    showTokenBox();
  }

  function showTokenBox() {
    const c = state.choices;
    $("token-box").hidden = c.token_given || (c.workspaces.length > 0 && !!selectedWorkspace());
  }

  function currentAction() {
    return document.querySelector("input[name=action]:checked").value;
  }

  function showAction() {
    $("remove-extra").hidden = currentAction() !== "remove";
  }

  async function addWorkspace() {
    const message = $("add-msg");
    message.className = "hint";
    message.textContent = "Adding…";
    try {
      const name = $("add-name").value.trim();
      state.choices = await callJson("/api/add-workspace",
        { name: name, token_pair: $("add-pair").value });
      $("add-name").value = "";
      $("add-pair").value = "";
      message.className = "ok";
      message.textContent = `Added ${name}.`;
      renderChoices();
    } catch (error) {
      message.className = "banner error";
      message.textContent = error.message;
    }
  }

  // 2. Keep-list: a file is read here and parsed by the tool, with the code of --exclude-file

  function readKeepFile() {
    const file = $("keep-file").files[0];
    state.keepFile = null;
    if (!file) return;
    const reader = new FileReader();
    reader.onload = () => { state.keepFile = { name: file.name, text: String(reader.result) }; };
    reader.onerror = () => showError("plan-error", new PageError(`Cannot read ${file.name}.`));
    reader.readAsText(file);
  }

  // 3. The plan: a dry run, nothing changed

  async function showPlan() {
    $("plan-error").hidden = true;
    const tokenText = $("token").value.trim();
    const action = currentAction();
    const form = {
      token: null, token_pair: null, workspace: selectedWorkspace(),
      keep_text: $("keep-text").value, keep_file: state.keepFile,
      email_column: $("email-column").value.trim() || null, action: action,
      transfer_to: action === "remove" ? $("transfer-to").value.trim() || null : null,
    };
    if (tokenText.startsWith("{")) form.token_pair = tokenText;
    else if (tokenText) form.token = tokenText;
    const c = state.choices;
    if (!tokenText && !state.tokenHeld && !c.token_given && !form.workspace) {
      showError("plan-error", new PageError("Paste the access token (or the token pair) first."));
      $("token").focus();
      return;
    }
    const button = $("plan-go");
    button.disabled = true;
    button.textContent = "Reading the workspace…";
    state.planning = true;
    updateButton();  // the plan on show is being replaced: it is no longer the one to run
    try {
      const plan = await callJson("/api/plan", form);
      if (tokenText) {
        // Sent once: the tool holds it now, and this page forgets it.
        $("token").value = "";
        state.tokenHeld = true;
        $("token-held").hidden = false;
      }
      if (plan.token_note) {
        $("token-held").textContent = `${plan.token_note} Paste another token to change workspace.`;
      }
      const ids = new Set(plan.people.map((person) => person.id));
      state.kept = new Set([...state.kept].filter((id) => ids.has(id)));
      state.plan = plan;
      state.goOn = new Set();
      state.workspace = form.workspace;
      renderPlan();
      $("plan").scrollIntoView({ block: "start" });
    } catch (error) {
      // The plan shown before is not what the page asks for now: the tool forgot it too.
      state.plan = null;
      for (const id of ["plan", "confirm"]) $(id).hidden = true;
      showError("plan-error", error);
    } finally {
      state.planning = false;
      button.disabled = state.started;
      button.textContent = "Show the plan";
      $("reading").textContent = "";
      updateButton();
    }
  }

  function renderPlan() {
    const p = state.plan;
    $("plan").hidden = false;
    $("ws-label").textContent = p.workspace.name;
    $("plan-ws").replaceChildren(el("strong", {}, p.workspace.name),
      ` · workspace ${p.workspace.id} · ${count(p.counts.members)} members`);
    $("their-work").textContent = p.words.their_work || "";
    $("their-work").className = p.words.deletes_assets ? "warn" : "hint";
    $("warnings").replaceChildren(...p.warnings.map((text) => el("li", {}, text)));
    $("email-files").replaceChildren(...(p.email_files || []).map((f) => el("li", {},
      `Emails from ${f.path} (${f.flag}): ` + (f.column_label ||
        (f.column ? `column "${f.column}"` : "one per line")))));
    renderStops();
    renderTables();
    renderConfirm();
  }

  // The stops a real run would make: one that asks (a near miss) has its "go on anyway", as the
  // terminal asks; the others keep the button disabled. The tool checks them again on start.
  function renderStops() {
    const p = state.plan;
    const dry = state.choices.dry_run || p.dry_run_only;
    $("stops").replaceChildren(...p.stops.map((stop) => {
      const asks = stop.asks && !dry;
      const box = el("div", { className: asks ? "stop asks" : "stop" }, el("p", {},
        el("strong", {}, asks ? "Check this first: " : "A real run would stop here: "),
        stop.reason, ` (exit code ${stop.exit_code})`), onThisPage(stop.reason));
      if (asks) {
        const input = el("input", { type: "checkbox", checked: state.goOn.has(stop.reason),
          disabled: state.started });
        input.addEventListener("change", () => {
          if (input.checked) state.goOn.add(stop.reason);
          else state.goOn.delete(stop.reason);
          updateButton();
        });
        box.append(el("label", { className: "choice" }, input,
          el("span", {}, "Go on anyway: I have checked them")));
      }
      return box;
    }));
  }

  function goingOn() {
    return state.plan.stops.filter((stop) => stop.asks).every(
      (stop) => state.goOn.has(stop.reason));
  }

  // A cap counts whom the page will act on: the stops are the tool's, asked again on each tick.
  async function checkStops() {
    const asked = ++state.checking;
    updateButton();
    try {
      const data = await callJson("/api/stops",
        { keep_ids: [...state.kept], plan_id: state.plan.plan_id });
      if (asked === state.checking && state.plan) state.plan.stops = data.stops;
    } catch (error) {
      showError("plan-msg", error);
    } finally {
      if (asked === state.checking) {
        state.checking = 0;
        if (state.plan) renderStops();
        updateButton();
      }
    }
  }

  function compare(a, b) {
    const key = state.sort.key;
    const left = String(a[key] || "").toLowerCase();
    const right = String(b[key] || "").toLowerCase();
    return state.sort.dir * (left < right ? -1 : left > right ? 1 : a.id - b.id);
  }

  function matches(person) {
    const q = state.filter.trim().toLowerCase();
    return !q || String(person.email || "").toLowerCase().includes(q) ||
      String(person.name || "").toLowerCase().includes(q);
  }

  function keepBox(person, kept) {
    const box = el("input", { type: "checkbox", checked: kept, disabled: state.started,
      "aria-label": `keep ${person.email}` });
    box.dataset.id = String(person.id);
    box.addEventListener("change", () => toggle(person, box.checked));
    return box;
  }

  function emptyRow(text) {
    return el("tr", { className: "empty" }, el("td", { colSpan: 4 }, text));
  }

  function renderTables() {
    const p = state.plan;
    const verb = p.words.verb.toLowerCase();
    const acting = p.people.filter((person) => !state.kept.has(person.id));
    const keptHere = p.people.filter((person) => state.kept.has(person.id));
    const shown = acting.filter(matches).sort(compare);
    const body = $("act-table").tBodies[0];
    body.replaceChildren(...shown.map((person) => el("tr", {},
      el("td", { className: "c-keep" }, keepBox(person, false)),
      el("td", { className: "email" }, person.email),
      el("td", {}, person.name || ""),
      el("td", { className: "muted" }, person.last_login || "never"))));
    if (!shown.length) body.append(emptyRow(acting.length ? "Nobody matches the search." :
      `Nobody to ${verb}.`));
    // Once the run has begun the plan is its record, no longer what is about to happen.
    const planned = state.started ? `Planned to ${verb}` : `To ${verb}`;
    $("h-act").textContent = `${planned} (${count(acting.length)})`;
    $("shown").textContent = state.filter.trim() ?
      `Showing ${count(shown.length)} of ${count(acting.length)} to ${verb}.` : "";
    const keptRows = keptHere.filter(matches).sort(compare).map((person) =>
      el("tr", { className: "page-kept" },
        el("td", { className: "c-keep" }, keepBox(person, true)),
        el("td", { className: "email" }, person.email), el("td", {}, person.name || ""),
        el("td", {}, el("span", { className: "reason" }, KEPT_HERE))));
    for (const person of p.kept.filter(matches)) {
      keptRows.push(el("tr", {}, el("td", { className: "c-keep" }),
        el("td", { className: "email" }, person.email || ""), el("td", {}, person.name || ""),
        el("td", {}, el("span", { className: "reason" }, person.reason))));
    }
    $("kept-table").tBodies[0].replaceChildren(...keptRows);
    if (!keptRows.length) $("kept-table").tBodies[0].append(emptyRow("Nobody."));
    $("h-kept").textContent = `Kept (${count(p.kept.length + keptHere.length)})`;
    $("counts").replaceChildren(...[
      el("div", { className: "count" }, el("b", {}, count(p.counts.members)),
        el("span", {}, "members")),
      el("div", { className: state.started ? "count" : "count act" },
        el("b", {}, count(acting.length)), el("span", {}, `${planned.toLowerCase()}`)),
      el("div", { className: "count" }, el("b", {}, count(p.kept.length + keptHere.length)),
        el("span", {}, "kept")),
      p.counts.already ? el("div", { className: "count" }, el("b", {}, count(p.counts.already)),
        el("span", {}, `${p.words.already} (nothing to do)`)) : null,
    ].filter(Boolean));
    updateButton();
  }

  function toggle(person, keep) {
    if (keep) state.kept.add(person.id);
    else state.kept.delete(person.id);
    // Keyboard users stay where they were: the next box of the table the person left.
    const table = keep ? "act-table" : "kept-table";
    const boxes = () => Array.from($(table).querySelectorAll("input[type=checkbox]"));
    const index = boxes().findIndex((box) => box.dataset.id === String(person.id));
    renderTables();
    const after = boxes();
    if (after.length) after[Math.max(0, Math.min(index, after.length - 1))].focus();
    $("moved").textContent = keep ? `${person.email} moved to the kept list.` :
      `${person.email} moved back.`;
    checkStops();
  }

  function sortBy(key) {
    state.sort = { key: key, dir: state.sort.key === key ? -state.sort.dir : 1 };
    for (const button of document.querySelectorAll("#act-table th button")) {
      const on = button.dataset.sort === key;
      button.parentElement.setAttribute("aria-sort",
        on ? (state.sort.dir > 0 ? "ascending" : "descending") : "none");
    }
    renderTables();
  }

  // A download is fetched with the key like any request (a plain link could not carry it),
  // then saved from the answer's bytes under the name the tool gave.
  async function download(path, body, fallback, messageId) {
    $(messageId).hidden = true;
    try {
      const response = await call(path, body);
      if (!response.ok) {
        let data = null;
        try { data = await response.json(); } catch (error) { data = null; }
        throw new PageError(
          sentence((data && data.error) || `the tool answered ${response.status}`));
      }
      const header = response.headers.get("Content-Disposition") || "";
      const named = /filename="([^"]+)"/.exec(header);
      const url = URL.createObjectURL(await response.blob());
      const link = el("a", { href: url, download: named ? named[1] : fallback });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (error) {
      showError(messageId, error);
    }
  }

  function downloadPlan() {
    return download("/api/plan-file", { keep_ids: [...state.kept], plan_id: state.plan.plan_id },
      "plan.json", "plan-msg");
  }

  function downloadReport() {
    return download("/api/report", undefined, "report.csv", "report-msg");
  }

  // 4. Confirm: the workspace name, as the terminal asks for it

  function renderConfirm() {
    const p = state.plan;
    const dry = state.choices.dry_run || p.dry_run_only;
    $("confirm").hidden = false;
    $("dry-note").hidden = !dry;
    $("confirm-box").hidden = dry;
    $("confirm-what").replaceChildren(`To go on, type the ${p.confirm.what || "workspace name"}, `,
      el("strong", {}, p.confirm.expected), ", below.");
    updateButton();
  }

  function actingCount() {
    const p = state.plan;
    return p.people.filter((person) => !state.kept.has(person.id)).length;
  }

  function updateButton() {
    const p = state.plan;
    if (!p) return;
    const n = actingCount();
    const button = $("run-go");
    button.textContent = `${p.words.verb} ${people(n)}`;
    const typed = fold($("confirm-name").value);
    const stopped = p.stops.some((stop) => !stop.asks) || !goingOn();
    button.disabled = state.started || state.planning || n === 0 || stopped ||
      state.checking > 0 || !typed || typed !== fold(p.confirm.expected);
  }

  async function startRun() {
    if ($("run-go").disabled) return;
    $("start-error").hidden = true;
    $("run-go").disabled = true;
    try {
      // The plan this page shows, and what its button said: the tool refuses any other.
      const p = state.plan;
      await callJson("/api/start", { keep_ids: [...state.kept], plan_id: p.plan_id,
        action: p.action, count: actingCount(), typed_name: $("confirm-name").value,
        go_on: goingOn() });
      state.started = true;
      markPlan();
      for (const node of document.querySelectorAll(
        "#step-workspace input, #step-keep input, #step-keep textarea, #step-action input, " +
        "#plan-go, #plan input[type=checkbox], #confirm-name")) node.disabled = true;
      showProgress();
    } catch (error) {
      showError("start-error", error);
      updateButton();
    }
  }

  function markPlan() {
    const box = $("plan-over");
    box.hidden = !state.started;
    box.textContent = state.over ?
      "The run is over: see Progress below for what was done. This was its plan." :
      "The run is under way: see Progress below. This is the plan it carries out.";
    if (state.plan) renderTables();
  }

  // 5. Progress, from the run's events

  function showProgress() {
    const box = $("progress");
    if (box.hidden) {
      box.hidden = false;
      box.scrollIntoView({ block: "start" });
    }
  }

  function clock(seconds) {
    const s = Math.max(0, Math.round(seconds));
    const hours = Math.floor(s / 3600);
    const mm = String(Math.floor((s % 3600) / 60));
    const ss = String(s % 60).padStart(2, "0");
    return hours ? `${hours}:${mm.padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
  }

  function log(text, kind) {
    $("log-box").hidden = false;
    $("log").append(el("li", { className: kind || "" }, text));
  }

  const handlers = {
    reading(e) {
      if (!state.planning) return;  // a late one, after the plan came
      $("reading").textContent = `Reading ${e.what}: ${count(e.done)}` +
        (e.total === null || e.total === undefined ? "" : ` of ${count(e.total)}`);
    },
    info(e) { log(e.text); },
    warning(e) { log(`Warning: ${e.text}`, "warn-line"); },
    started(e) {
      showProgress();
      state.total = e.total;
      state.acted = e.action;
      $("bar").max = Math.max(1, e.total);
      $("bar").value = 0;
      $("progress-line").textContent = `0 of ${count(e.total)}`;
      if (e.report) $("report-path").textContent = `Every outcome goes to the report ${e.report}`;
    },
    outcome(e) {
      $("bar").value = Math.max($("bar").value, e.n);
      if (e.ok) return;
      const parts = [e.outcome];
      if (e.http_status) parts.push(`HTTP ${e.http_status}`);
      if (e.request_id) parts.push(`request id ${e.request_id}`);
      $("failures-box").hidden = false;
      $("failures").append(el("li", {}, el("span", { className: "email-inline" }, e.person.email),
        `: ${parts.join(", ")}` + (e.detail ? ` (${e.detail})` : "")));
    },
    progress(e) {
      $("bar").max = Math.max(1, e.total);
      $("bar").value = e.done;
      const parts = [`${count(e.done)} of ${count(e.total)} (${Math.floor(100 * e.done /
        Math.max(1, e.total))}%)`];
      if (e.rate) parts.push(`${e.rate.toFixed(1)} a second`);
      if (e.eta_seconds !== null && e.eta_seconds !== undefined) {
        parts.push(`ETA ${clock(e.eta_seconds)}`);
      }
      if (e.waiting_seconds) parts.push(`waiting ${Math.ceil(e.waiting_seconds)} s for the quota`);
      $("progress-line").textContent = parts.join(" · ");
    },
    summary(e) {
      showProgress();
      const box = $("summary");
      box.className = `summary ${e.exit_code === 0 ? "good" : "bad"}`;
      const lines = [];
      for (const line of e.lines) {
        const next = line.startsWith("Next:");
        lines.push(el("p", { className: next ? "next" : "" }, line));
        if (next && onThisPage(line)) lines.push(onThisPage(line));
      }
      if (state.acted === "suspend" && e.report) {
        // The page removes or suspends; the undo is the command line's (--review refuses it).
        lines.push(el("p", { className: "next" }, "To undo this suspension, run in a terminal ",
          el("code", {}, `python remove_users.py --unsuspend --from-report ${e.report}`),
          " (this page cannot undo it)."));
      }
      box.replaceChildren(el("h3", {},
        `${ending(e.exit_code, e.counts || {})} (exit code ${e.exit_code})`), ...lines);
      box.hidden = false;
      state.over = true;
      markPlan();
      $("report-link").hidden = !e.report;
      if (state.workspace) state.done[state.workspace] = e.exit_code;
      offerNextWorkspace();
    },
    error(e) {
      const target = state.started ? "summary" : "plan-error";
      const box = $(target);
      if (state.started) {
        box.className = "summary bad";
        box.append(el("p", {}, sentence(e.text)));
        box.hidden = false;
      } else {
        box.textContent = sentence(e.text);
        box.hidden = false;
      }
    },
    table(e) {
      $("table").textContent = e.lines.join("\n");
      $("table").hidden = false;
    },
  };

  function ending(code, counts) {
    // Exit code 3 is also a run where nothing failed but some outcomes could not be seen (unknown,
    // not verified): the heading must not say "failed" above "failed 0".
    const failed = (counts.failed || 0) + (counts["transfer-failed"] || 0);
    if (code === 3 && !failed) return "Finished with problems";
    const words = { 0: "Done", 3: "Finished, but some failed", 4: "Stopped by a safety check",
      129: "Stopped by SIGHUP", 130: "Stopped by Ctrl-C", 143: "Stopped by SIGTERM" };
    return words[code] || "Stopped by an error";
  }

  function offerNextWorkspace() {
    const left = state.choices.workspaces.filter((name) => !(name in state.done));
    const button = $("next-ws");
    button.hidden = !state.workspace || left.length === 0;
    if (!button.hidden) button.textContent = `Next workspace: ${left[0]}`;
    renderChoices();
  }

  function nextWorkspace() {
    const left = state.choices.workspaces.filter((name) => !(name in state.done));
    state.plan = null;
    state.kept = new Set();
    state.started = false;
    state.over = false;
    state.acted = null;
    $("ws-label").textContent = left[0] || "";  // the chosen one, until its plan names it
    for (const id of ["plan", "confirm", "progress", "failures-box", "summary", "report-link",
      "report-msg", "next-ws", "plan-over"]) $(id).hidden = true;
    $("failures").replaceChildren();
    $("confirm-name").value = "";
    for (const node of document.querySelectorAll("input, textarea, button")) node.disabled = false;
    for (const input of document.querySelectorAll("input[name=workspace]")) {
      input.checked = input.value === left[0];
    }
    showTokenBox();
    window.scrollTo(0, 0);
  }

  function onFinished() {
    if (state.finished) return;
    state.finished = true;
    $("close-go").hidden = false;
    showProgress();
  }

  async function closePage() {
    try {
      await callJson("/api/close", {});
      gone("You closed the review page. You can close this tab.");
    } catch (error) {
      showError("start-error", error);
    }
  }

  async function poll() {
    let misses = 0;
    for (;;) {
      try {
        const data = await callJson(`/api/events?since=${state.next}`);
        misses = 0;
        state.next = data.next;
        for (const event of data.events) {
          const known = Object.prototype.hasOwnProperty.call(handlers, event.kind);
          if (known) handlers[event.kind](event);
        }
        if (data.finished !== null && data.finished !== undefined) onFinished();
        if (!data.events.length) await sleep(state.finished ? 2000 : 400);
      } catch (error) {
        misses += 1;
        if (misses >= 3) {
          if ($("gone").hidden) gone();
          return;
        }
        await sleep(1000);
      }
    }
  }

  async function start() {
    $("plan-go").addEventListener("click", showPlan);
    $("run-go").addEventListener("click", startRun);
    $("confirm-name").addEventListener("input", updateButton);
    $("confirm-name").addEventListener("keydown", (e) => { if (e.key === "Enter") startRun(); });
    $("search").addEventListener("input", () => {
      state.filter = $("search").value;
      renderTables();
    });
    $("download-plan").addEventListener("click", downloadPlan);
    $("report-link").addEventListener("click", downloadReport);
    $("keep-file").addEventListener("change", readKeepFile);
    $("add-go").addEventListener("click", addWorkspace);
    $("next-ws").addEventListener("click", nextWorkspace);
    $("close-go").addEventListener("click", closePage);
    for (const input of document.querySelectorAll("input[name=action]")) {
      input.addEventListener("change", showAction);
    }
    for (const button of document.querySelectorAll("#act-table th button")) {
      button.addEventListener("click", () => sortBy(button.dataset.sort));
    }
    if (!KEY) {
      gone("This tab was not opened from the address the tool printed in the terminal: open " +
        "that address (it ends in ?k=...).");
      return;
    }
    try {
      state.choices = await callJson("/api/choices");
    } catch (error) {
      gone(error.message);
      return;
    }
    for (const input of document.querySelectorAll("input[name=action]")) {
      input.checked = input.value === state.choices.action;
    }
    showAction();
    renderChoices();
    poll();
  }

  start();
})();
"""

REVIEW_ICON = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="7" fill="#2457c5"/><circle cx="13" cy="12" r="5" fill="#fff"/>
<path d="M4 27c0-5 4-8 9-8s9 3 9 8z" fill="#fff"/>
<rect x="20" y="13" width="9" height="3" rx="1.5" fill="#fff"/></svg>
"""


# The headers on every answer, refusals included. No inline script or style (the page has none),
# nothing from another origin, no framing (clickjacking the confirm button), no sniffing a JSON
# answer into a script, nothing cached (plans list people), no Referer to anywhere.
REVIEW_HEADERS = (
    ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Cache-Control", "no-store"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
)
# The answer to the printed address: the cookie, and the page itself with its key in the fragment.
REVIEW_MOVE_ON = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url={url}">
<title>Review: remove_users.py</title></head>
<body><p><a href="{url}">Open the review page</a></p></body></html>
"""
REVIEW_KEY_HEADER = "X-Remove-Users"
REVIEW_NO_KEY = (
    "this tab does not have the review page's key: open the address the tool printed in the"
    " terminal"
)
REVIEW_FORM_TEXT = ("token", "token_pair", "workspace", "email_column", "transfer_to")
REVIEW_PAIR_SECRETS = ("access_token", "refresh_token", "id_token", "client_secret")


class _Refused(Exception):
    """A request the server itself turns away, before the session hears of it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _download_name(name: str) -> str:
    """A file name safe inside a Content-Disposition header whatever the session proposes."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", os.path.basename(str(name)))[:120] or "download"


def _pair_secrets(pair: str) -> list[str]:
    """The secrets inside a pasted token pair (JSON): its tokens and any client secret, as they
    would be used. Text that is not a JSON object has none: the session refuses it without
    quoting it (and its words as secrets would blank out whatever they also name)."""
    try:
        data = json.loads(pair)
    except (ValueError, RecursionError):
        return []
    if not isinstance(data, dict):
        return []
    found = (
        accepted_token(str(v), access=k == "access_token")
        for k, v in data.items()
        if k in REVIEW_PAIR_SECRETS
    )
    return [secret for secret in found if secret]


def _review_form(body: dict) -> dict:
    """The plan form with exactly the documented keys and types; anything else is a 400."""
    form: dict[str, Any] = {}
    for key in REVIEW_FORM_TEXT:
        value = body.get(key)
        if value is not None and not isinstance(value, str):
            raise _Refused(400, f"{key} must be text")
        form[key] = value or None
    form["keep_text"] = "" if body.get("keep_text") is None else body["keep_text"]
    if not isinstance(form["keep_text"], str):
        raise _Refused(400, "keep_text must be text")
    keep_file = body.get("keep_file")
    if keep_file is not None:
        named = isinstance(keep_file, dict) and isinstance(keep_file.get("name"), str)
        if not (named and isinstance(keep_file.get("text"), str)):
            raise _Refused(400, "keep_file must be {name, text}")
        keep_file = {"name": keep_file["name"], "text": keep_file["text"]}
    form["keep_file"] = keep_file
    form["action"] = body.get("action") or REMOVE.name
    if form["action"] not in (REMOVE.name, SUSPEND.name):
        raise _Refused(400, f"action must be {REMOVE.name} or {SUSPEND.name}")
    # Known before the session sees them, so no answer, log line or error can show them: what
    # would be used as a token, never the words of a paste the session will refuse (clean_token).
    register_secret(accepted_token(form["token"]))
    for secret in _pair_secrets(form["token_pair"] or ""):
        register_secret(secret)
    return form


def _keep_ids(body: dict) -> list[int]:
    ids = body.get("keep_ids", [])
    if not isinstance(ids, list) or not all(type(i) is int for i in ids):  # bool is not an id
        raise _Refused(400, "keep_ids must be a list of person ids")
    return ids


def _plan_id(body: dict) -> int | None:
    """The plan_id of the plan the page shows (None: the page sent none; the session refuses)."""
    plan_id = body.get("plan_id")
    if plan_id is not None and type(plan_id) is not int:
        raise _Refused(400, "plan_id must be the plan's number")
    return plan_id


class _ReviewHandler(http.server.BaseHTTPRequestHandler):
    """One request: the checks, in order, then one call to the session. HTTP/1.0, one request per
    connection: a browser that leaves a connection half open holds one thread until the timeout."""

    server: "ReviewServer"
    server_version = f"remove_users-review/{__version__}"

    def version_string(self) -> str:
        return self.server_version  # not Python's version: nothing for a prober to go on

    timeout = REVIEW_SOCKET_TIMEOUT  # every read and write on the connection: none waits for ever

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the first request line holds the secret (`/?k=...`), and the terminal belongs to
        the run's own lines."""

    def end_headers(self) -> None:
        for name, value in REVIEW_HEADERS:
            self.send_header(name, value)
        super().end_headers()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a malformed request, an unknown method) as JSON, not its
        HTML page that quotes the request."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self._send(code, {"error": http.HTTPStatus(code).phrase})

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        path = urllib.parse.urlsplit(self.path).path
        try:
            self._route(method, path)
        except _Refused as refused:
            self._answer(refused.status, {"error": str(refused)})
        except ReviewError as exc:  # the session refused: the page shows why and stays usable
            self._answer(http.HTTPStatus.UNPROCESSABLE_ENTITY, {"error": str(exc)})
        except OSError:  # the browser went away mid-answer: nothing left to tell it
            self.close_connection = True
        except Exception as exc:  # noqa: BLE001 - the page gets one line, never a traceback
            kind = type(exc).__name__
            self.server.log(f"the review page's {method} {path} failed: {kind}: {exc}")
            self._answer(500, {"error": f"the tool failed ({kind}); the terminal says more"})

    def _route(self, method: str, path: str) -> None:
        server = self.server
        host = server.checked_host(self.headers.get_all("Host") or [])
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        if method == "GET" and path == "/" and "k" in query:
            return self._trade_secret(query["k"])
        if not server.cookie_ok(self.headers.get_all("Cookie") or []):
            raise _Refused(403, "open the address the tool printed in the terminal")
        if method == "POST" or path.startswith("/api/"):
            # The cookie reaches every port of 127.0.0.1: whoever listens on another one has it.
            # The key it lacks is known only to this page's own tabs (the trade's fragment, then
            # sessionStorage), and a script can send it in this header only to its own origin:
            # from elsewhere the header needs a CORS preflight, which this server never answers.
            if not server.key_ok(self.headers.get_all(REVIEW_KEY_HEADER) or []):
                raise _Refused(403, REVIEW_NO_KEY)
        if method == "POST":
            # Cross-site request forgery: a form on another site can POST here (the browser would
            # not send the SameSite=Strict cookie, but one rule short is one rule short). It can
            # set neither the custom header nor a JSON content type, and its Origin is its own.
            if self.headers.get_all("Origin") != [f"http://{host}"]:
                raise _Refused(403, "the request does not come from this page")
        route = _REVIEW_ROUTES.get((method, path))
        if route is None:
            known = any(p == path for _, p in _REVIEW_ROUTES)
            if known:
                raise _Refused(405, "not a thing this page does")
            raise _Refused(404, "no such page")
        if path.startswith("/api/") and path != "/api/events":
            server.used()  # a poll is not use: an open, forgotten tab must not keep the server up
        route(self, self._body() if method == "POST" else {})

    def _trade_secret(self, values: list[str]) -> None:
        secret = self.server.secret.encode()
        if len(values) != 1 or not hmac.compare_digest(values[0].encode(), secret):
            raise _Refused(403, "this address's secret is wrong: open the address the tool printed")
        self.server.used()
        # The secret leaves the address bar (history, screen sharing) for two things kept apart:
        # a cookie that scripts cannot read, and the page's key in the fragment, which the
        # browser never sends (the page moves it to sessionStorage and clears the address). An
        # /api request needs both. The cookie is kept, though other ports of 127.0.0.1 receive
        # it, because it is what the page's own files need (a navigation or a <script src> can
        # carry no header): without it the port serves nothing, not even the page; and a key
        # seen on a screen before the page clears it is no use in another browser.
        #
        # A page that moves on, not a 303: the browser is started on the tool's redirect file
        # (see _opener_file), and a navigation begun from a file:// page is cross-site, so
        # through an HTTP redirect the browser would not send the SameSite=Strict cookie it has
        # just been given. A navigation this page begins is same-site, and carries it.
        cookie = f"{self.server.cookie_name}={self.server.cookie}"
        cookie += "; Path=/; HttpOnly; SameSite=Strict"
        page = REVIEW_MOVE_ON.format(url=html.escape(f"/#{self.server.key}", quote=True))
        self._send(200, page.encode(), "text/html", extra=(("Set-Cookie", cookie),))

    def _body(self) -> dict:
        """JSON bodies only, of a known length under the limit: a body read blindly would let a
        client hold a thread or the memory."""
        if self.headers.get("Transfer-Encoding"):
            raise _Refused(411, "send a Content-Length")
        kind = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise _Refused(415, "send JSON")
        length = self.headers.get("Content-Length")
        if length is None:
            raise _Refused(411, "send a Content-Length")
        if not length.isdigit():
            raise _Refused(400, "the Content-Length is not a number")
        if int(length) > REVIEW_MAX_BODY:
            self.close_connection = True  # the unread body must not be taken for the next request
            raise _Refused(413, f"the request is over {REVIEW_MAX_BODY // 2**20} MiB")
        data = self.rfile.read(int(length))
        if len(data) != int(length):
            raise _Refused(400, "the request body ended early")
        try:
            body = json.loads(data.decode("utf-8"))
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            raise _Refused(400, "the request body is not JSON") from None
        if not isinstance(body, dict):
            raise _Refused(400, "the request body is not a JSON object")
        return body

    def _answer(self, status: int, doc: Any) -> None:
        """A JSON answer from the session's words: redacted, whatever the session put in it."""
        with contextlib.suppress(OSError):
            self._send(status, redact(json.dumps(doc)).encode("utf-8"), "application/json")

    def _download(self, name: str, data: bytes, kind: str) -> None:
        """The file as it is on disk, byte for byte: a downloaded report is the report. One that
        holds a token (it never should) is refused, not altered: blanking by substring would
        change what it says of people, and a changed copy would pass for the record."""
        if holds_secret(data):
            self.server.log(f"the review page did not send {name}: it holds a token")
            raise _Refused(
                500, f"{_download_name(name)} holds a token, so the page does not send it"
            )
        disposition = f'attachment; filename="{_download_name(name)}"'
        self._send(200, data, kind, extra=(("Content-Disposition", disposition),))

    def _send(
        self,
        status: int,
        data: Any,
        kind: str = "application/json",
        extra: Sequence[tuple[str, str]] = (),
    ) -> None:
        if not isinstance(data, bytes):
            data = json.dumps(data).encode("utf-8")
        self.send_response(int(status))
        charset = "" if kind.startswith("image/") else "; charset=utf-8"
        self.send_header("Content-Type", kind + charset)
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    # The routes: each checks its body and makes one call to the session.

    def _file(self, body: dict) -> None:
        kind, text = _REVIEW_FILES[urllib.parse.urlsplit(self.path).path]
        self._send(200, text.encode(), kind)

    def _choices(self, body: dict) -> None:
        self._answer(200, {**self.server.session.choices(), "tool_version": __version__})

    def _plan(self, body: dict) -> None:
        form = _review_form(body)
        with self.server.one_at_a_time():  # answered after: the next step may follow at once
            plan = self.server.session.plan(form)
        self._answer(200, plan)

    def _plan_file(self, body: dict) -> None:
        name, data = self.server.session.plan_file(_keep_ids(body), _plan_id(body))
        self._download(name, data, "application/json")

    def _stops(self, body: dict) -> None:
        self._answer(200, {"stops": self.server.session.stops(_keep_ids(body), _plan_id(body))})

    def _start(self, body: dict) -> None:
        typed, go_on = body.get("typed_name"), body.get("go_on", False)
        if not isinstance(typed, str):
            raise _Refused(400, "typed_name must be text")
        if not isinstance(go_on, bool):
            raise _Refused(400, "go_on must be true or false")
        action, count = body.get("action"), body.get("count")
        button = None
        if action is not None or count is not None:
            if not isinstance(action, str) or type(count) is not int:
                raise _Refused(400, "action must be text and count a whole number")
            button = (action, count)
        with self.server.one_at_a_time():
            self.server.session.start(_keep_ids(body), typed, go_on, _plan_id(body), button)
        self._answer(200, {"started": True})

    def _events(self, body: dict) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        since = (query.get("since") or ["0"])[0]
        if not since.isdigit():
            raise _Refused(400, "since must be an event index")
        self.server.polled()
        # Asked before the events: the work ends after its last event, so an answer that says it
        # is over carries every event (the summary too).
        finished = self.server.session.finished()
        events, upto = self.server.session.events(int(since))
        self.server.polled()
        self._answer(200, {"events": events, "next": upto, "finished": finished})
        if finished is not None:
            self.server.told_over.set()

    def _report(self, body: dict) -> None:
        report = self.server.session.report()
        if report is None:
            raise _Refused(404, "there is no audit report yet")
        self._download(report[0], report[1], "text/csv")

    def _add_workspace(self, body: dict) -> None:
        name, pair = body.get("name"), body.get("token_pair")
        if not (isinstance(name, str) and name.strip() and isinstance(pair, str)):
            raise _Refused(400, "give the workspace's name and its token pair")
        for secret in _pair_secrets(pair):
            register_secret(secret)
        with self.server.one_at_a_time():
            choices = self.server.session.add_workspace(name.strip(), pair)
        self._answer(200, choices)

    def _close(self, body: dict) -> None:
        if self.server.session.finished() is None:
            raise _Refused(409, "the work is not over: Ctrl-C in the terminal ends it")
        self.server.closed_by_page.set()
        self._answer(200, {"closing": True})


# GET never changes anything: what changes the session is a POST, and passes the POST checks.
_REVIEW_FILES = {
    "/": ("text/html", REVIEW_HTML),
    "/app.css": ("text/css", REVIEW_CSS),
    "/app.js": ("text/javascript", REVIEW_JS),
    "/favicon.svg": ("image/svg+xml", REVIEW_ICON),
}
_REVIEW_ROUTES: dict[tuple[str, str], Callable[[_ReviewHandler, dict], None]] = {
    **{("GET", path): _ReviewHandler._file for path in _REVIEW_FILES},
    ("GET", "/api/choices"): _ReviewHandler._choices,
    ("GET", "/api/events"): _ReviewHandler._events,
    ("GET", "/api/report"): _ReviewHandler._report,
    ("POST", "/api/plan"): _ReviewHandler._plan,
    ("POST", "/api/plan-file"): _ReviewHandler._plan_file,
    ("POST", "/api/stops"): _ReviewHandler._stops,
    ("POST", "/api/start"): _ReviewHandler._start,
    ("POST", "/api/add-workspace"): _ReviewHandler._add_workspace,
    ("POST", "/api/close"): _ReviewHandler._close,
}


class ReviewServer(http.server.ThreadingHTTPServer):
    """The review page's server, on 127.0.0.1 only: there is no parameter for another address."""

    daemon_threads = True  # a poll waiting on the session does not hold up the end
    # Windows lets a second process bind a port that is held with SO_REUSEADDR: another local user
    # could then take the page's port over. Elsewhere it only lets a restart reuse --review-port.
    allow_reuse_address = os.name != "nt"

    def __init__(
        self, session: ReviewSession, port: int = 0, log: Callable[[str], None] | None = None
    ) -> None:
        self.session = session
        self.log = log or (lambda text: None)
        self.secret = secrets.token_urlsafe(32)  # 256 bits: the address is the key
        self.cookie = secrets.token_urlsafe(32)  # another: the address is not the cookie
        self.key = secrets.token_urlsafe(32)  # and a third: the cookie is not the page's key
        self._busy = threading.Lock()
        self.closed_by_page = threading.Event()
        self.told_over = threading.Event()  # the page has had every event of the finished work
        self.last_used = self.last_polled = time.monotonic()
        super().__init__(("127.0.0.1", port), _ReviewHandler)
        self.port = int(self.server_address[1])
        # Cookies are per host, not per port: two review pages open at once need two names.
        self.cookie_name = f"remove_users_{self.port}"
        self.hosts = {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}

    def server_bind(self) -> None:
        """Without HTTPServer's socket.getfqdn(), which can wait seconds for DNS: no name needed."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?k={self.secret}"

    def checked_host(self, hosts: list[str]) -> str:
        """DNS rebinding: a site whose name is made to point at 127.0.0.1 reaches this port with
        its own name in Host; only the loopback names with this port are this page."""
        host = hosts[0].strip().lower() if len(hosts) == 1 else ""
        if host not in self.hosts:
            raise _Refused(403, "this page answers only as 127.0.0.1 or localhost")
        return host

    def cookie_ok(self, headers: list[str]) -> bool:
        # Any cookie of the name may be ours: another port of 127.0.0.1 can set one of the same
        # name (with a longer Path, sent first) to lock the page out, but not learn ours.
        found = False
        for part in "; ".join(headers).split(";"):
            name, sep, value = part.strip().partition("=")
            if sep and name == self.cookie_name:
                given = value.strip().encode("utf-8", "replace")
                found = hmac.compare_digest(given, self.cookie.encode()) or found
        return found

    def key_ok(self, headers: list[str]) -> bool:
        if len(headers) != 1:
            return False
        return hmac.compare_digest(headers[0].strip().encode("utf-8", "replace"), self.key.encode())

    @contextlib.contextmanager
    def one_at_a_time(self) -> Iterator[None]:
        """One change at a time: a double click must not plan twice at once or start two runs."""
        if not self._busy.acquire(blocking=False):
            raise _Refused(409, "the page is still busy with the previous step: wait for it")
        try:
            yield
        finally:
            self._busy.release()

    def used(self) -> None:
        self.last_used = time.monotonic()

    def polled(self) -> None:
        self.last_polled = time.monotonic()

    def wait(self, idle: float, signals: Signals | None = None) -> tuple[int, str]:
        """Until the work is over and the page has gone (so the summary and the report download
        still work while it is open), or idle seconds without use, or the end of a run a signal
        stopped (once the page has its summary, or REVIEW_LAST_WORD later): (exit code, why)."""
        over_since = None
        while True:
            self.closed_by_page.wait(0.1)
            code, now = self.session.finished(), time.monotonic()
            over_since = None if code is None else over_since or now
            if code is not None and signals is not None and signals.count:
                if self.told_over.is_set() or now - over_since > REVIEW_LAST_WORD:
                    return code, Signals.NAMES.get(signals.name, signals.name)
            if code is not None and self.closed_by_page.is_set():
                return code, "closed on the page"
            if code is not None and now - self.last_polled > REVIEW_PAGE_GONE:
                return code, "the work is over and the page is closed"
            if now - self.last_used > idle:
                code = self.session.stop(None)
                if code is not None:
                    spent = f"{idle / 60:g} minutes" if idle >= 60 else f"{idle:g} s"
                    return code, f"{spent} without use"
                self.last_used = now  # a run is under way: it ends the server when it is over


def serve_review(
    session: ReviewSession,
    console: Console,
    *,
    port: int = 0,
    open_browser: bool = True,
    idle: float | None = None,
) -> int:
    """Serves the page until the work is over, a signal, or REVIEW_IDLE without use; returns the
    exit code."""
    try:
        server = ReviewServer(session, port, log=console.error)
    except OSError as exc:
        raise UsageError(
            f"--review-port {port}: cannot listen on 127.0.0.1:{port} ({exc.strerror or exc}); "
            "leave --review-port out to take any free port"
        ) from None
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), name="review", daemon=True)
    opener: str | None = None
    try:
        with Signals(threading.Event()) as signals:
            session.serving(signals)  # before the first request: a run acts under them
            thread.start()
            console.raw(f"The review page is at {server.url}")
            forward = f"{server.port}:127.0.0.1:{server.port}"
            console.raw(
                f"(from another computer: ssh -L {forward} THIS-HOST, then open the address "
                "there). Ctrl-C here ends it."
            )
            if open_browser:
                opener = _opener_file(server.url)  # known before a signal can come in the open
            try:
                if opener is not None:
                    # Inside the try: webbrowser.open waits for a browser that BROWSER names to
                    # exit, and a signal meanwhile ends the page as one during the wait does.
                    with contextlib.suppress(webbrowser.Error, OSError):
                        webbrowser.open(pathlib.Path(opener).as_uri())
                code, why = server.wait(REVIEW_IDLE if idle is None else idle, signals)
            except KeyboardInterrupt as exc:  # Interrupted carries SIGTERM and SIGHUP too
                signum = int(getattr(exc, "signum", signal.SIGINT))
                signals.counting = True  # from here a signal only counts, as during removals
                stopped = session.stop(signum)
                code = 128 + signum if stopped is None else stopped
                why = Signals.NAMES.get(signal.Signals(signum).name, signal.Signals(signum).name)
        console.raw(f"The review page has ended ({why}).")
        return int(code)
    finally:
        if thread.is_alive():
            server.shutdown()
        server.server_close()
        if opener is not None:
            _remove_opener(opener)


# What the browser is started on: a file that sends it to the address. A browser's command line
# is readable by every local user (`ps`), and the address holds the secret; the file is the
# owner's alone. Jupyter opens its page the same way.
REVIEW_OPENER = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<meta http-equiv="refresh" content="0;url={url}"><title>Opening the review page</title></head>
<body><p><a href="{url}">Open the review page</a></p></body></html>
"""


def _opener_file(url: str) -> str | None:
    """An owner-only redirect file to url (mkdtemp: a 0700 folder; mkstemp: a 0600 file), for the
    browser; removed when the server ends. None if it cannot be made: the printed address is the
    way in."""
    try:
        folder = tempfile.mkdtemp(prefix="remove_users-review-")
    except OSError:
        return None
    try:
        fd, path = tempfile.mkstemp(prefix="review-", suffix="-open.html", dir=folder)
    except OSError:
        with contextlib.suppress(OSError):
            os.rmdir(folder)
        return None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(REVIEW_OPENER.format(url=html.escape(url, quote=True)))
    except OSError:
        _remove_opener(path)
        return None
    return path


def _remove_opener(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)
    with contextlib.suppress(OSError):
        os.rmdir(os.path.dirname(path))


def _browser_here(environ: Mapping[str, str]) -> bool:
    """Over SSH a Linux host has no display, and webbrowser would start a text browser (lynx,
    w3m) in this terminal instead: there the printed address is the way in."""
    if sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return any(environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"))
    return True


def wants_review(args: argparse.Namespace) -> bool:
    return bool(args.review or args.review_port is not None or args.no_browser)


def run_review(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    console: Console,
    argv: Sequence[str] | None = None,
) -> int:
    if not args.review:
        raise UsageError("--review-port and --no-browser go with --review")
    port = 0 if args.review_port is None else args.review_port
    if not 0 <= port <= 65535:
        raise UsageError(
            f"--review-port must be a port number (1 to 65535, or 0 for any free port), not {port}"
        )
    # The session behind the page, from the same flags, environment and config file as a run.
    session = EngineSession(args, environ, console, argv)
    browser = not args.no_browser and _browser_here(environ)
    return serve_review(session, console, port=port, open_browser=browser)


# ---------------------------------------------------------------------------------------------
# Command line: arguments, environment, validation before any request
# ---------------------------------------------------------------------------------------------


HELP_EXAMPLES = """examples:
  the dry run first: the plan, nothing changed (the token from AAC_TOKEN_FILE)
    python remove_users.py --exclude-file keep.txt --dry-run
  the real run: the same plan, then it asks you to type the workspace name
    python remove_users.py --exclude-file keep.txt
  from cron (one line in the crontab): no prompt, at most 400 removed, one at a
  time, a mail unless it ends with 0 (see the README's "Running it from cron")
    0 18 20 12 * cd /opt/aac && flock -n /tmp/aac.lock
        .venv/bin/python remove_users.py --yes -q --token-file token.json
        --exclude-file keep.txt --max-remove 400 >> /var/log/aac-remove.log 2>&1
        || echo "remove_users exit $?" | mail -s "AAC clear-out" admin@uni.edu
"""


PROTECTS, NARROWS = "protects", "narrows"


@dataclass(frozen=True)
class Source:
    """One way to say who is kept (PROTECTS) or who may go at all (NARROWS)."""

    name: str  # the flag or variable, as messages and --help name it
    role: str
    dest: str | None  # the argparse dest that gives it; None: an environment variable

    def given(self, args: argparse.Namespace) -> bool:
        value = getattr(args, self.dest) if self.dest else None
        return value is not None and value is not False and value != []


# Every source of protection and every selection that narrows a run, in one table: the stop for a
# run that protects nothing, the prompt for protected emails, the undo's "whom?", the flags a
# saved plan refuses, and --help all read it, so that none of them can drift from the others.
SOURCES = (
    Source("--exclude", PROTECTS, "exclude"),
    Source("--exclude-file", PROTECTS, "exclude_file"),
    Source("AAC_EXCLUDED_EMAILS", PROTECTS, None),
    Source("--exclude-group", PROTECTS, "exclude_group"),
    Source("--only", NARROWS, "only"),
    Source("--only-file", NARROWS, "only_file"),
    Source("--only-group", NARROWS, "only_group"),
    Source("--inactive-days", NARROWS, "inactive_days"),
    Source("--only-suspended", NARROWS, "only_suspended"),
    Source("--suspended-days", NARROWS, "suspended_days"),
    Source("--from-report", NARROWS, "from_report"),
)
# Besides the selections, these change who a plan holds: a saved plan (--plan) refuses them all.
REPLANS = ("--include-admins", "--transfer-to")


def source_names(role: str) -> list[str]:
    return [source.name for source in SOURCES if source.role == role]


def narrowed_by(args: argparse.Namespace) -> list[str]:
    """The selections given, by name: then not everyone would go."""
    return [source.name for source in SOURCES if source.role == NARROWS and source.given(args)]


def listed(names: Sequence[str], last: str = "or") -> str:
    """`a, b or c`."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {last} {names[-1]}"


class _ArgumentError(Exception):
    """An argument argparse refused; main() reports it (as JSON too, with --json)."""


class _Parser(argparse.ArgumentParser):
    terminal: Terminal | None = None  # where --help, --version and the usage line go (main sets it)

    def error(self, message: str) -> Any:  # argparse would print and exit; main() decides instead
        raise _ArgumentError(message)

    def _print_message(self, message: str, file: Any = None) -> None:
        # Through the terminal, so that --help into a closed pipe (`| head`) ends quietly: argparse
        # would only swallow the error, and Python's last flush would then fail instead.
        terminal = self.terminal or Terminal()
        if message:
            terminal.write(terminal.stdout if file is sys.stdout else terminal.stderr, message)


def _help_formatter(prog: str) -> argparse.HelpFormatter:
    import shutil

    width = min(HELP_WIDTH, shutil.get_terminal_size((HELP_WIDTH, 24)).columns)
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=30, width=width)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="remove_users.py",
        usage="%(prog)s [--exclude EMAIL] [--exclude-file PATH] [--dry-run] [...]",
        add_help=False,  # -h goes with the output flags, so that the help opens on who goes
        description=(
            "Remove people from an Alteryx Analytics Cloud (AAC) workspace, keeping a\n"
            "protected few.\n\n"
            "Who goes and who stays: everyone goes except the protected emails (--exclude,\n"
            "--exclude-file), you, and the workspace admins (unless --include-admins);\n"
            "--only and --inactive-days narrow who goes.\n\n"
            "WARNING: removal deletes a person's flows, datasets and connections unless\n"
            "they were transferred first (--transfer-to). Run with --dry-run first.\n\n"
            "--suspend suspends them instead, keeping their assets (--unsuspend undoes it);\n"
            "--only-suspended --suspended-days N later removes those suspended long enough."
        ),
        epilog=EXIT_CODES_HELP
        + "\nenvironment variables (flags override them):\n"
        "  AAC_BASE_URL, AAC_ACCESS_TOKEN, AAC_TOKEN_FILE, AAC_TOKEN_URL, AAC_CLIENT_ID,\n"
        "  AAC_EXCLUDED_EMAILS (comma-separated). Behind a private CA, set\n"
        "  REQUESTS_CA_BUNDLE.\n"
        "  Directory groups: AAC_GRAPH_TENANT, AAC_GRAPH_CLIENT_ID,\n"
        "  AAC_GRAPH_CLIENT_SECRET(_FILE), AAC_GRAPH_URL, AAC_GRAPH_LOGIN_URL;\n"
        "  AAC_LDAP_URL, AAC_LDAP_BIND_DN, AAC_LDAP_PASSWORD(_FILE), AAC_LDAP_BASE,\n"
        "  AAC_LDAP_MAIL_ATTRIBUTE, AAC_LDAP_CA_FILE.\n\n"
        + HELP_EXAMPLES,
        formatter_class=_help_formatter,
    )
    # Shown in this order: who goes first.
    who = parser.add_argument_group("who goes and who stays")
    act = parser.add_argument_group("running")
    conn = parser.add_argument_group("connection")
    many = parser.add_argument_group("many workspaces (one config file)")
    out = parser.add_argument_group("output")
    what = parser.add_argument_group("suspend instead of remove (reversible)")
    conn.add_argument(
        "--base-url",
        metavar="URL",
        help=f"The AAC host (env AAC_BASE_URL; default {DEFAULT_BASE_URL}; also eu1 and au1).",
    )
    conn.add_argument(
        "--token",
        metavar="TOKEN",
        help=(
            "The access token (env AAC_ACCESS_TOKEN). On the command line other local users can see"
            " it in the process list: prefer the environment variable or --token-file."
        ),
    )
    conn.add_argument(
        "--token-file",
        metavar="PATH",
        help=(
            "A JSON token file (access_token, refresh_token, optional client_id and token_url) or a"
            " file holding only an access token (env AAC_TOKEN_FILE). With a refresh token the tool"
            " renews the access token and writes the new pair back to this file."
        ),
    )
    conn.add_argument(
        "--init-token-file",
        metavar="PATH",
        help=(
            "Ask (input hidden) for the access and refresh tokens, Client ID and Token Endpoint URL"
            " that AAC's token dialog shows, write them to a new token file readable only by you,"
            " and exit."
        ),
    )
    conn.add_argument(
        "--token-url",
        metavar="URL",
        help=(
            "The OAuth token endpoint (env AAC_TOKEN_URL; default: the access token's iss claim +"
            " /token)."
        ),
    )
    conn.add_argument(
        "--client-id",
        metavar="ID",
        help=(
            "The OAuth client id (env AAC_CLIENT_ID; default: the access token's client_id claim)."
        ),
    )
    conn.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=(
            "The most one request may take, answer included, in seconds (default"
            f" {DEFAULT_TIMEOUT:g})."
        ),
    )
    who.add_argument(
        "--exclude",
        metavar="EMAIL",
        action="append",
        default=[],
        help=(
            "A protected email that is never removed; repeatable, and each value may be a"
            " comma-separated list. Adds to AAC_EXCLUDED_EMAILS."
        ),
    )
    who.add_argument(
        "--exclude-file",
        metavar="PATH",
        action="append",
        default=[],
        help=(
            "Protected emails from a file: one per line (blank lines and # comments ignored), or a"
            " spreadsheet export (comma, semicolon or tab separated) whose header names an email"
            " column (Email, Work Email, E-mail 1 - Value). Repeatable."
        ),
    )
    who.add_argument(
        "--include-admins",
        action="store_true",
        help="Also remove workspace admins other than you. By default admins stay.",
    )
    who.add_argument(
        "--allow-unknown-admins",
        action="store_true",
        help=(
            "Go on when the workspace's admin list cannot be read or is visibly incomplete (empty,"
            " or without you) (by default the run stops, exit 1): only people whose record says"
            " isAdmin are then kept as admins, so protect your other admins with --exclude."
        ),
    )
    who.add_argument(
        "--only",
        metavar="EMAIL",
        action="append",
        default=[],
        help=(
            "Remove only these people (leavers, say); repeatable, comma lists allowed. Protections"
            " still win. Entries that match no member are listed as not a member."
        ),
    )
    who.add_argument(
        "--only-file",
        metavar="PATH",
        action="append",
        default=[],
        help="Like --only, from a file in the --exclude-file formats.",
    )
    who.add_argument(
        "--only-group",
        metavar="SOURCE",
        action="append",
        default=[],
        help=(
            "Remove only the members of this directory group, read live: entra:<group object id>"
            " (Microsoft Graph) or ldap:<group DN>; nested groups count. Repeatable; adds to"
            " --only. A group that cannot be read completely stops the run (exit 1); an empty one"
            " selects nobody. The README lists the AAC_GRAPH_* and AAC_LDAP_* settings."
        ),
    )
    who.add_argument(
        "--exclude-group",
        metavar="SOURCE",
        action="append",
        default=[],
        help=(
            "Protect every member of this directory group (entra:<id> or ldap:<DN>), read live,"
            " nested groups included. Repeatable. A group that cannot be read completely, or reads"
            " as empty, stops the run (exit 1)."
        ),
    )
    who.add_argument(
        "--email-column",
        metavar="COLUMN",
        action="append",
        default=[],
        help=(
            "The column that holds the emails in --exclude-file and --only-file spreadsheets, by"
            " its header or by the column's number counting from 1 (--email-column 4): needed when"
            " several columns could hold them, when two are headed alike, or when the only one"
            " reads as someone else's or a personal address (Manager Email, E-Mail Vorgesetzter,"
            " Email - Personal) or has a word the tool does not know. A header applies to every"
            " file; a number only when the run reads one file, and never to a column whose header"
            " reads as someone else's or a personal address. FILE=COLUMN (leavers.csv=4) applies"
            " to that file alone, exactly as given. Repeatable: each file uses the first it has; a"
            " file with none of them is an error."
        ),
    )
    who.add_argument(
        "--allow-empty-email-cells",
        action="store_true",
        help=(
            "Go on when an --exclude-file row has an empty cell in the email column while another"
            " of its cells holds an address (Entra's userPrincipalName where mail is empty): that"
            " person is then not protected. Without it such a row stops the run (exit 2),"
            " naming it."
        ),
    )
    who.add_argument(
        "--inactive-days",
        metavar="N",
        type=int,
        help=(
            "Remove only members whose last login is more than N days ago. People who never logged"
            " in are kept unless --include-never-logged-in. Combines with --only: both must hold."
        ),
    )
    who.add_argument(
        "--include-never-logged-in",
        action="store_true",
        help="With --inactive-days: also remove people who never logged in.",
    )
    who.add_argument(
        "--transfer-to",
        metavar="EMAIL",
        help=(
            "Before removing each person, transfer their flows, datasets and connections to this"
            " member (who is then protected). A person whose transfer fails is kept. Without it,"
            " removal deletes their assets."
        ),
    )
    who.add_argument(
        "--no-protected-emails",
        action="store_true",
        help=(
            "Say that removing everyone but you (and the admins) is intended. Without it, a run"
            f" with no protected email ({listed(source_names(PROTECTS))}) and no"
            f" {listed(source_names(NARROWS))} stops (exit 2) before sending anything."
        ),
    )
    verbs = what.add_mutually_exclusive_group()
    for action in ACTIONS.values():
        if action.flag:
            verbs.add_argument(action.flag, action="store_true", help=action.help)
    what.add_argument(
        "--from-report",
        metavar="PATH",
        help=(
            "With --unsuspend: exactly the people that this audit report shows as suspended by its"
            " run (their last row says suspended); people who were already suspended before that"
            " run are left alone."
        ),
    )
    what.add_argument(
        "--only-suspended",
        action="store_true",
        help=(
            "Remove (or unsuspend) only members who are suspended now; the second step of suspend"
            " first, remove later. Combines with --only, --inactive-days, --transfer-to and"
            " --max-remove."
        ),
    )
    what.add_argument(
        "--suspended-days",
        metavar="N",
        type=int,
        help=(
            "With --only-suspended (implied): only members suspended more than N days ago, dated by"
            " this tool's report rows first (the --report in use and this workspace's default"
            " reports) and by lastStateChange second (only where `state` shows the suspension);"
            " anyone suspended less than N days ago by either, or whose suspension time is unknown,"
            " is kept."
        ),
    )
    act.add_argument("--dry-run", action="store_true", help="Show the plan and change nothing.")
    act.add_argument(
        "-y",
        "--yes",
        action="store_true",
        help=(
            "Do not ask for confirmation (for unattended runs). Dangerous: check a --dry-run first."
        ),
    )
    act.add_argument(
        "--concurrency",
        metavar="N",
        type=int,
        default=DEFAULT_CONCURRENCY,
        help=(
            f"Requests in flight at once, 1 to {MAX_CONCURRENCY} (default {DEFAULT_CONCURRENCY})."
            " Raise it for thousands of people; once the server answers 429, its quota sets the"
            " pace whatever this says."
        ),
    )
    act.add_argument(
        "--max-remove",
        metavar="N",
        type=int,
        help=(
            "Stop before any change (exit 4) if the plan removes (or suspends, or unsuspends) more"
            " than N people."
        ),
    )
    act.add_argument(
        "--no-verify",
        action="store_true",
        help=(
            "Do not list the workspace again after the removals to check the report against it"
            " (saves one listing; the report then holds what the server answered, unchecked)."
        ),
    )
    act.add_argument(
        "--plan-out",
        metavar="PATH",
        help="With --dry-run: write the plan as JSON for review, to apply later with --plan.",
    )
    act.add_argument(
        "--plan",
        metavar="PATH",
        help=(
            "Apply a plan written by --plan-out, and nothing else: stops (exit 4) if the workspace"
            " is another, a planned person is now protected or has another email, or the plan is"
            " for another action (a --suspend plan is applied with --suspend). People who left"
            " meanwhile count as already gone. A plan more than 7 days old is applied with a"
            " warning."
        ),
    )
    act.add_argument(
        "--report",
        metavar="PATH",
        help=(
            "The CSV audit report, appended to if it exists (default: remove_users-<workspace"
            " id>-<UTC time>.csv here; a run with the default also settles what a killed earlier"
            " run left in its default-named report). Give one for scheduled runs."
        ),
    )
    many.add_argument(
        "--config",
        metavar="PATH",
        help=(
            "An INI file with a [workspace NAME] section per workspace (token_file, workspace_id"
            " and any setting, keyed by long flag name) and shared settings in [DEFAULT] (env"
            " AAC_CONFIG). Flags override the file."
        ),
    )
    many.add_argument(
        "--workspace",
        metavar="NAME",
        action="append",
        default=[],
        help="Run this section of the config file; repeatable, run in the order given.",
    )
    many.add_argument(
        "--all",
        action="store_true",
        help="Run every workspace in the config file, one after another.",
    )
    many.add_argument(
        "--stop-on-error",
        action="store_true",
        help=(
            "With several workspaces: stop after the first that does not end with exit code 0. By"
            " default the others still run."
        ),
    )
    many.add_argument(
        "--add-workspace",
        metavar="NAME",
        help=(
            "Ask (input hidden) for a workspace's token pair, save it beside the --config file"
            " (mode 0600), read the workspace from AAC and append a [workspace NAME] section to the"
            " file, and exit."
        ),
    )
    out.add_argument("-h", "--help", action="help", help="Show this help and exit.")
    out.add_argument(
        "--json",
        action="store_true",
        help=(
            "Print the plan (with --dry-run) or the summary as one JSON document on stdout; the"
            " human-readable lines go to stderr. The shape is described in the README."
        ),
    )
    out.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="Also log every request (tokens are never shown).",
    )
    out.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="Only the counts, the summary, warnings and failures.",
    )
    out.add_argument(
        "--debug", action="store_true", help="On an error, show the traceback (tokens redacted)."
    )
    out.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {__version__}",
        help="Print the version and exit.",
    )
    page = parser.add_argument_group("the review page (in the browser)")
    page.add_argument(
        "--review",
        action="store_true",
        help=(
            "Start a page on this computer (127.0.0.1 only) for the same run: it asks for what"
            " the flags did not give (the token, whom to keep, the action), shows the plan to tick"
            " and confirm by typing the workspace name, then the run, with a terminal run's report"
            " and exit code. It opens in the browser and its address (with a secret: do not share"
            f" it) is printed. Ctrl-C ends it. Not with {review_refused()}."
        ),
    )
    page.add_argument(
        "--review-port",
        metavar="N",
        type=int,
        help=(
            "With --review: listen on this port (default: any free one), e.g. for an SSH "
            "forward. Always on 127.0.0.1."
        ),
    )
    page.add_argument(
        "--no-browser", action="store_true", help="With --review: only print the address."
    )
    return parser


def collect_emails(
    values: list[str],
    flag: str,
    files: list[str],
    columns: Sequence[str],
    console: Console,
    read: list[EmailFile] | None = None,
    every_file: Sequence[str] = (),
    texts: Mapping[str, str] | None = None,
) -> list[str]:
    """A flag's values (each maybe a comma list) and its files' entries, every one checked. A file
    with no email at all is an error: a keep-list whose export failed must not mean "keep nobody".
    Each file read is added to `read`, so the plan can say which column each one's emails came from.
    every_file: all the run's files of emails, which `--email-column FILE=COLUMN` may name.
    texts: files already read, by name (a keep file chosen on the review page), read as files are.
    """
    emails = check_emails(split_emails(values), flag)
    targets = [email_column_target(choice, every_file or files) for choice in columns]
    for path in files:
        here = [column for target, column in targets if target == path]
        anywhere = [column for target, column in targets if target is None]
        text = (texts or {}).get(path)
        found = read_email_file(path, anywhere, f"{flag}-file", here, text)
        if read is not None:
            read.append(found)
        if not found.emails:
            raise UsageError(
                f"{path} ({flag}-file) holds no email at all; nothing was sent. Check the export"
                " that made it"
            )
        emails += found.emails
        if found.empty_rows:
            lines = ", ".join(map(str, found.empty_rows[:8])) + (
                ", ..." if len(found.empty_rows) > 8 else ""
            )
            effect = "they protect nobody" if flag == "--exclude" else "they select nobody"
            rows = (
                "1 row has" if len(found.empty_rows) == 1 else f"{len(found.empty_rows)} rows have"
            )
            console.warn(f"{path}: {rows} an empty email cell (line {lines}); {effect}")
    return emails


def email_column_target(choice: str, files: Sequence[str]) -> tuple[str | None, str]:
    """(the file, the column) of `--email-column FILE=COLUMN`, where FILE is one of the run's
    files of emails as given (or the same path written another way); (None, choice) for a header
    or a number meant for every file."""
    for equals in (m.start() for m in re.finditer("=", choice)):
        named = choice[:equals].strip()
        for path in files:
            if named == path or os.path.normcase(os.path.abspath(named)) == os.path.normcase(
                os.path.abspath(path)
            ):
                return path, choice[equals + 1 :]
    return None, choice


def check_keep_rows(files: Sequence[EmailFile], protected: Iterable[str]) -> None:
    """A keep file fails closed: a row with no address in its column, but one in another cell
    (Entra's `userPrincipalName` where `mail` is empty), would leave that person unprotected, so it
    stops the run unless another source protects the address. An --only-file's such row only
    selects one person fewer, which is safe: it stays a warning.

    The advice is for those rows only (--exclude, or a second --exclude-file), never another column
    for the whole file: where the other column is a personal address, or an Entra UPN that differs
    from `mail` on every other row, reading it for everyone would protect nobody."""
    kept = {normalize_email(entry) for entry in protected}
    for file in files:
        missed = [row for row in file.unread if normalize_email(row[2]) not in kept]
        if file.flag != "--exclude-file" or not missed:
            continue
        one = len(missed) == 1
        rows = "1 row has" if one else f"{len(missed)} rows have"
        named = "; ".join(
            f"line {n}, {column!r}{_kind_of(column)}: {address}"
            for n, column, address in missed[:3]
        )
        named += ", ..." if len(missed) > 3 else ""
        addresses = ",".join(address for _, _, address in missed)
        keep = (
            f"--exclude {addresses} or a second --exclude-file"
            if len(missed) <= 3
            else "a second --exclude-file listing them, one a line"
        )
        if_theirs = (
            "If that is the address this person has in AAC, keep it"
            if one
            else "If those are the addresses they have in AAC, keep them"
        )
        raise UsageError(
            f"{file.path} (--exclude-file): {rows} no address in column {file.column!r} but one in "
            f"another column ({named}), so {'it' if one else 'they'} would protect nobody. "
            f"{if_theirs} with {keep}; or give --allow-empty-email-cells to go on without them;"
            " nothing was sent"
        )


def _kind_of(column: str) -> str:
    """` (a personal address)` for a column whose address may not be the one the person has in
    AAC; empty for one that reads as theirs."""
    meaning = _not_theirs(column)
    return f" ({meaning} address)" if meaning else ""


def check_something_protected(
    args: argparse.Namespace, protections: Protections, action: Action
) -> str | None:
    """Refuses a run that would remove everyone but you and the admins when nothing says who to
    keep.

    Returns the refusal as a warning for a dry run; raises it (exit 2) for a real run. Every
    protection source counts here, in this one list; so does every selection that narrows the
    run. An undo needs no protection from itself."""
    # The emails of --exclude, --exclude-file, AAC_EXCLUDED_EMAILS and the prompt are all here.
    protected = bool(protections.emails) or bool(args.exclude_group)
    if protected or narrowed_by(args) or args.plan or args.no_protected_emails or action.undoes:
        return None
    text = (
        f"no protected email was given ({', '.join(source_names(PROTECTS))}) and no selection"
        f" narrows the run ({', '.join(source_names(NARROWS))}): everyone but you and the admins"
        f" would be {action.past}. Give --no-protected-emails if that is intended"
    )
    if args.dry_run:
        return text
    raise UsageError(text + "; nothing was sent")


def resolve_config(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    console: Console,
    *,
    workspace_id: int | None = None,
    label: str | None = None,
    email_texts: Mapping[str, str] | None = None,
) -> Config:
    """Every check that needs no network: nothing is sent until all of this passes. The flags are
    checked first, then the files and variables they name are read, and only then does anyone get
    asked anything: a typo in --max-remove is reported before the token is typed, not after.
    email_texts: --exclude-file files already read, by the name given (the review page's keep
    file, which the browser read)."""

    def env(name: str) -> str | None:
        value = environ.get(name, "").strip()
        return value or None

    # The flags, alone and together.
    if args.verbose and args.quiet:
        raise UsageError("--verbose and --quiet contradict each other; give one")
    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        raise UsageError(
            f"--concurrency must be between 1 and {MAX_CONCURRENCY}, not {args.concurrency}"
        )
    if not args.timeout > 0:
        raise UsageError(f"--timeout must be a positive number of seconds, not {args.timeout:g}")
    for flag, value in (
        ("--max-remove", args.max_remove),
        ("--inactive-days", args.inactive_days),
        ("--suspended-days", args.suspended_days),
    ):
        if value is not None and value < 0:
            raise UsageError(f"{flag} must be 0 or more, not {value}")
    if args.plan_out and not args.dry_run:
        raise UsageError("--plan-out writes the plan of a dry run: add --dry-run")
    if args.include_never_logged_in and args.inactive_days is None:
        raise UsageError("--include-never-logged-in goes with --inactive-days")
    if args.plan:
        replanning = {"--include-admins": args.include_admins, "--transfer-to": args.transfer_to}
        changes = [flag for flag in REPLANS if replanning[flag]] + narrowed_by(args)
        if changes:
            raise UsageError(
                f"{', '.join(changes)} would change who is planned; a saved plan (--plan) is"
                " applied as it was reviewed"
            )
    action = action_of(args)
    check_action_flags(args, action)
    base_url = check_url(
        args.base_url or env("AAC_BASE_URL") or DEFAULT_BASE_URL,
        "--base-url / AAC_BASE_URL",
        host_only=True,
    )
    transfer_to = check_emails([args.transfer_to], "--transfer-to")[0] if args.transfer_to else None
    email_files_given = list(dict.fromkeys([*args.exclude_file, *args.only_file]))
    for choice in args.email_column:
        target, column = email_column_target(choice, email_files_given)
        if _is_number(column) and int(column) < 1:
            raise UsageError(
                f"--email-column {choice.strip()}: columns are numbered from 1 (the first column)"
            )
        # A number is a position in one file: across files it would pick unrelated columns (the
        # advice for a twin-headed keep file's column 4 is the leavers file's Manager Email).
        if target is None and _is_number(column) and len(email_files_given) > 1:
            raise UsageError(
                f"--email-column {column.strip()}: a column number means one file's column, and"
                f" this run reads {len(email_files_given)} files of emails"
                f" ({', '.join(email_files_given)}); say which file it is for: --email-column"
                f" {shlex.quote(f'{email_files_given[0]}={column.strip()}')}"
            )

    # What they name: the plan, the directory settings, the files of emails, the report to undo.
    saved_plan = load_plan(args.plan) if args.plan else None
    if saved_plan and saved_plan.action != action.name:
        how = ACTIONS[saved_plan.action].flag or f"neither {' nor '.join(ACTION_FLAGS)}"
        raise SafetyStop(
            f"the plan {args.plan} is a plan to {saved_plan.action}, but this command would"
            f" {action.name}; nothing was changed. Apply it with {how}"
        )
    groups, group_settings = resolve_groups(args, env, saved_plan)
    email_files: list[EmailFile] = []
    emails = collect_emails(
        args.exclude,
        "--exclude",
        args.exclude_file,
        args.email_column,
        console,
        email_files,
        email_files_given,
        email_texts,
    )
    emails += check_emails(split_emails([env("AAC_EXCLUDED_EMAILS") or ""]), "AAC_EXCLUDED_EMAILS")
    if not args.allow_empty_email_cells:
        check_keep_rows(email_files, emails)
    only = None
    if args.only or args.only_file:
        only = collect_emails(
            args.only,
            "--only",
            args.only_file,
            args.email_column,
            console,
            email_files,
            email_files_given,
        )
    from_report = read_report_rows(args.from_report) if args.from_report else None

    # Last, what only a person at the terminal can give: the token, then whom to keep.
    tokens = resolve_tokens(args, env, args.timeout, console)
    if (
        not emails
        and not args.exclude_group
        and not args.yes
        and not args.plan
        and not action.undoes
        and console.terminal.interactive
    ):
        emails = ask_protected_emails(console.terminal, narrowed_by(args), action)
    # Admins that a --include-admins suspension caught come back with the undo too.
    include_admins = args.include_admins or action.undoes
    protections = Protections(emails=emails, include_admins=include_admins, transfer_to=transfer_to)
    unprotected = check_something_protected(args, protections, action)
    only_suspended = args.only_suspended or args.suspended_days is not None
    report = undo_report(args, action, console)
    selection = Selection(
        only,
        args.inactive_days,
        args.include_never_logged_in,
        only_suspended=only_suspended,
        suspended_days=args.suspended_days,
    )
    return Config(
        base_url=base_url,
        tokens=tokens,
        protections=protections,
        dry_run=args.dry_run,
        yes=args.yes,
        concurrency=args.concurrency,
        timeout=args.timeout,
        report=report,
        max_remove=args.max_remove,
        plan_out=args.plan_out,
        saved_plan=saved_plan,
        selection=selection,
        groups=groups,
        group_settings=group_settings,
        action=action,
        from_report=from_report,
        verify=not args.no_verify,
        allow_unknown_admins=args.allow_unknown_admins,
        unprotected=unprotected,
        email_files=email_files,
        workspace_id=workspace_id,
        label=label,
    )


def undo_report(args: argparse.Namespace, action: Action, console: Console) -> str | None:
    """The report a run appends to. An undo's rows say who was reactivated, which a later grace
    removal must read: `--from-report` without `--report` appends to the report it undoes, and
    another undo without `--report` is warned that its rows go to a file of their own."""
    if args.report or not action.undoes or args.dry_run:
        return args.report
    if args.from_report:
        return args.from_report
    console.warn(
        "--unsuspend without --report writes its rows to a new default-named report in this"
        " folder; a later --suspended-days run reads them only from this folder or its own"
        " --report's. Give the term's report with --report so that it knows who was reactivated"
    )
    return None


def check_action_flags(args: argparse.Namespace, action: Action) -> None:
    """Flags that make no sense with the chosen action are refused before any request."""
    # argparse catches it on the command line, not from a config file
    given = [action.flag for action in actions_given(args)]
    if len(given) > 1:
        raise UsageError(f"give {' or '.join(given)}, not both")
    if args.transfer_to and not action.deletes_assets:
        raise UsageError(
            f"--transfer-to moves assets before a removal; {action.flag} keeps every asset, so"
            " leave it out"
        )
    if getattr(args, "no_verify", False) and action.on_record:
        # A suspension shows only on the records, and a bulk route may answer 200 and change
        # nobody: without the check, `suspended` rows would date suspensions that never happened.
        raise UsageError(
            f"--no-verify would leave the {action.noun} unchecked: it shows only on the records,"
            " and a server may answer 200 and change nobody, so the listing after the run is its"
            " only proof. Leave --no-verify out"
        )
    if args.from_report and not action.undoes:
        raise UsageError("--from-report chooses whom --unsuspend reactivates: add --unsuspend")
    if args.from_report and (args.only or args.only_file):
        raise UsageError("give --from-report or --only/--only-file, not both")
    if not action.on_suspended and (args.only_suspended or args.suspended_days is not None):
        raise UsageError(
            "--only-suspended and --suspended-days choose among suspended members;"
            f" {action.flag} would have nothing to do"
        )
    if action.undoes and not narrowed_by(args) and not args.plan:
        others = [
            name
            for name in source_names(NARROWS)
            if "suspended" not in name and name != "--from-report"
        ]
        raise UsageError(
            "--unsuspend needs to know whom: give --from-report PATH (the people a --suspend run"
            " suspended), --only-suspended for everyone suspended now, or a selection"
            f" ({listed(others)})"
        )


def resolve_tokens(
    args: argparse.Namespace, env: Callable[[str], str | None], timeout: float, console: Console
) -> Tokens:
    register_secret(accepted_token(env("AAC_ACCESS_TOKEN")))  # a secret even when --token wins
    token, path = clean_token(args.token, "--token"), args.token_file
    if token and path:
        raise UsageError("give either --token or --token-file, not both")
    if not token and not path:
        token, path = clean_token(env("AAC_ACCESS_TOKEN"), "AAC_ACCESS_TOKEN"), env(
            "AAC_TOKEN_FILE"
        )
        if token and path:
            raise UsageError(
                "both AAC_ACCESS_TOKEN and AAC_TOKEN_FILE are set; unset one, or choose with"
                " --token or --token-file"
            )
    if not token and not path and console.terminal.interactive:
        prompt = f"AAC access token (from {TOKEN_HELP_PATH}; input hidden): "
        token = clean_token(console.terminal.ask_hidden(prompt), "the prompt")
    if not token and not path:
        raise UsageError(
            "no access token: give --token or --token-file, or set AAC_ACCESS_TOKEN or"
            f" AAC_TOKEN_FILE (make one in AAC at {TOKEN_HELP_PATH}; --init-token-file saves"
            " a token pair that renews itself)"
        )
    if token:
        return Tokens(strip_bearer(token), timeout=timeout, console=console)
    token_file = TokenFile.read(path)
    mode = os.stat(path).st_mode
    # Windows reports every file as 0o666: there the folder's access list decides who reads it.
    if os.name != "nt" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        console.warn(
            f"the token file {path} is readable by other users (mode {stat.S_IMODE(mode):o}); run:"
            f" chmod 600 {path}"
        )
    data = token_file.data
    access = data.get("access_token") or None
    if not data.get("refresh_token"):
        if not access:
            raise UsageError(
                f"the token file {path} holds neither an access_token nor a refresh_token"
            )
        return Tokens(access, token_file=token_file, timeout=timeout, console=console)
    claimed_client, claimed_url = claimed_by(access)
    client_id = args.client_id or env("AAC_CLIENT_ID") or data.get("client_id") or claimed_client
    token_url = args.token_url or env("AAC_TOKEN_URL") or data.get("token_url") or claimed_url
    if not client_id:
        raise UsageError(
            "the token file has a refresh token but no client id is known: give --client-id (or"
            " AAC_CLIENT_ID), the Client ID AAC showed with the token pair"
        )
    if not token_url:
        raise UsageError(
            "the token file has a refresh token but no token endpoint is known: give --token-url"
            " (or AAC_TOKEN_URL), the Token Endpoint URL AAC showed with the token pair"
        )
    token_url = check_url(token_url, "the token endpoint (--token-url / AAC_TOKEN_URL)")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.access(folder, os.W_OK | os.X_OK) or not os.access(path, os.R_OK):
        raise UsageError(
            f"the token file's folder {folder} is not writable: a refreshed token pair could not be"
            " saved, and the old refresh token dies with each refresh. Move the token file to a"
            " folder you can write"
        )
    return Tokens(
        access,
        token_file=token_file,
        client_id=str(client_id),
        token_url=token_url,
        timeout=timeout,
        console=console,
    )


def main(
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
    terminal: Terminal | None = None,
) -> int:
    """The one error boundary: every failure becomes one redacted line on stderr and an exit
    code."""
    if signal.getsignal(signal.SIGINT) is _interrupted_at_start:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    environ = os.environ if environ is None else environ
    terminal = terminal or Terminal()
    safe_console_streams()
    try:
        return _main(argv, environ, terminal)
    except KeyboardInterrupt:  # before the run started, or after it ended and was reported
        terminal.write(terminal.stderr, f"{PROG}: interrupted\n")
        return ExitStatus.INTERRUPTED


def _main(argv: Sequence[str] | None, environ: Mapping[str, str], terminal: Terminal) -> int:
    parser = build_parser()
    parser.terminal = terminal
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help or --version, already printed
        return int(exc.code or 0) if isinstance(exc.code, int) else ExitStatus.USAGE
    except _ArgumentError as exc:
        if not _wants_json(argv):
            parser.print_usage(terminal.stderr)
        doc: dict[str, Any] = {"format": RESULT_FORMAT, "tool_version": __version__}
        console = faces(doc, 0, True, terminal)
        _failed(console, str(exc), ExitStatus.USAGE)
        if _wants_json(argv):
            _print_json(doc, ExitStatus.USAGE, console)
        return ExitStatus.USAGE
    doc = {"format": RESULT_FORMAT, "tool_version": __version__, "dry_run": bool(args.dry_run)}
    console = faces(doc, 1 if args.verbose else -1 if args.quiet else 0, args.json, terminal)
    status = _run_guarded(args, environ, console, argv=argv, doc=doc)
    if args.json:
        _print_json(doc, status, console)
    return int(status)


def faces(doc: dict[str, Any], verbosity: int, json_mode: bool, terminal: Terminal) -> Console:
    """A run's console with its two sinks: the terminal, and the --json document `doc`."""
    console = Console(verbosity, json_mode, terminal)
    console.sinks = [TerminalSink(console), JsonSink(doc, everyone=json_mode)]
    return console


def _print_json(doc: dict[str, Any], status: int, console: Console) -> None:
    console.tell("finished", status, console.warnings)
    console.muted = False
    # Nobody may be left to read it (see Terminal.write); the exit code still says how it went.
    console.terminal.write(console.terminal.stdout, redact(json.dumps(doc, indent=2)) + "\n")


def _wants_json(argv: Sequence[str]) -> bool:
    """--json among arguments argparse refused (it accepts unambiguous prefixes such as --js)."""
    words = list(argv)[: list(argv).index("--")] if "--" in argv else list(argv)
    return any(len(word) >= 3 and "--json".startswith(word) for word in words)


def quiet_broken_pipes() -> None:
    """Points a stdout or stderr that cannot be written any more (its reader has gone, `| head`; a
    hung-up terminal; a full disk) at the null device, so that the run goes on and neither later
    writes nor Python's final flush raise."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, stream.fileno())
                os.close(null)
        except ValueError:  # closed
            pass


def safe_console_streams() -> None:
    """A legacy code page (a Windows console redirected to a file, cp1252 or cp437) cannot show
    every name: print `?` for what it cannot show rather than crash halfway through a run."""
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            with contextlib.suppress(ValueError, OSError, AttributeError):
                stream.reconfigure(errors="replace")


def _run_guarded(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    console: Console,
    *,
    argv: Sequence[str] | None = None,
    config: Config | None = None,
    doc: dict[str, Any] | None = None,
    story: Callable[[Config, Console], int] = run,
) -> int:
    """The error boundary: around the whole invocation, or (given its config) one workspace of
    many, or the part of a run a face tells (story: the review page acts past its own
    confirmation)."""
    try:
        if config is None and args.init_token_file:
            return int(init_token_file(args.init_token_file, console))
        if config is None and args.add_workspace:
            return int(add_workspace(args.add_workspace, args, environ, console))
        if config is None and wants_review(args):
            return run_review(args, environ, console, argv)
        if config is None and wants_workspaces(args, environ):
            return run_workspaces(args, argv, environ, console, doc if doc is not None else {})
        config = config or resolve_config(args, environ, console)
        return int(story(config, console))
    except KeyboardInterrupt as exc:
        # Signals only count once removals start, so an interrupt that gets here came before any.
        signum = getattr(exc, "signum", signal.SIGINT)
        if config is not None:
            # a refresh under way in another thread saves its new pair first
            config.tokens.wait_idle()
        name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        action = config.action if config is not None else action_of(args)
        return _failed(
            console,
            f"interrupted by {name} before any {action.noun}; nobody was {action.past}",
            ExitStatus(128 + int(signum)),
        )
    except RemoveUsersError as exc:
        return _failed(console, str(exc), exc.exit_status, args.debug)
    except Exception as exc:  # noqa: BLE001 - the last resort still keeps tokens out of the output
        return _failed(
            console,
            f"unexpected {type(exc).__name__}: {exc} (run with --debug for details)",
            ExitStatus.ERROR,
            args.debug,
        )


def _failed(console: Console, message: str, status: ExitStatus, debug: bool = False) -> int:
    """One line on stderr per problem (the traceback first with --debug), the same in the --json
    document (problems joined with "; ")."""
    if debug:
        console.terminal.write(console.terminal.stderr, redact(traceback.format_exc()))
    console.muted = False  # a run that ended by a signal muted its late workers, not this
    lines = message.splitlines() or [message]
    for line in lines:
        console.error(line)
    console.tell("error", "; ".join(lines))
    return int(status)


if __name__ == "__main__":
    sys.exit(main())
