"""A throwaway OpenLDAP slapd on 127.0.0.1 for the ldap: group tests: temporary database, the
memberof overlay, a reader account and a `limited` account whose searches stop after 3 entries.

Loaded through slapd (not slapadd), so the memberof overlay writes memberOf as a real server would.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import warnings
from pathlib import Path

SUFFIX = "dc=example,dc=org"
ADMIN_DN, ADMIN_PW = f"cn=admin,{SUFFIX}", "admin-pw-not-real"
READER_DN, READER_PW = f"cn=reader,{SUFFIX}", "reader-pw-Xq7-not-real"
LIMITED_DN, LIMITED_PW = f"cn=limited,{SUFFIX}", "limited-pw-not-real"
SIZE_LIMIT = 3

CONFIG = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile {dir}/slapd.pid
argsfile {dir}/slapd.args
database mdb
maxsize 10485760
suffix "{suffix}"
rootdn "{admin}"
rootpw {admin_pw}
directory {dir}/db
limits dn.exact="{limited}" size={size}
overlay memberof
"""


def find_slapd() -> str | None:
    return shutil.which("slapd") or next((p for p in ("/usr/sbin/slapd", "/usr/local/libexec/slapd") if os.path.exists(p)), None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Slapd:
    def __init__(self, folder: Path, binary: str) -> None:
        self.folder = folder
        self.binary = binary
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self, timeout: float = 15.0) -> None:
        (self.folder / "db").mkdir(parents=True)
        conf = self.folder / "slapd.conf"
        conf.write_text(
            CONFIG.format(dir=self.folder, suffix=SUFFIX, admin=ADMIN_DN, admin_pw=ADMIN_PW, limited=LIMITED_DN, size=SIZE_LIMIT)
        )
        log = open(self.folder / "slapd.log", "wb")  # noqa: SIM115 - kept open for slapd's lifetime
        for _ in range(5):  # a port picked free can be taken before slapd binds it: try another
            port = _free_port()
            self.url = f"ldap://127.0.0.1:{port}"
            # -d 0 keeps slapd in the foreground, so this process handle is slapd itself.
            self.process = subprocess.Popen([self.binary, "-f", str(conf), "-h", f"{self.url}/", "-d", "0"], stdout=log, stderr=log)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.process.poll() is None:
                with socket.socket() as sock:
                    sock.settimeout(0.2)
                    if sock.connect_ex(("127.0.0.1", port)) == 0:
                        return
                time.sleep(0.05)
            self.stop()
        raise RuntimeError(f"slapd did not start: {(self.folder / 'slapd.log').read_text(errors='replace')[-2000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def admin(self):  # -> ldap3.Connection
        with warnings.catch_warnings():  # ldap3 2.9 imports names pyasn1 has deprecated
            warnings.simplefilter("ignore", DeprecationWarning)
            import ldap3

        host, port = self.url[len("ldap://") :].split(":")
        server = ldap3.Server(host, port=int(port), get_info=ldap3.NONE, connect_timeout=5)
        return ldap3.Connection(server, ADMIN_DN, ADMIN_PW, auto_bind=True, receive_timeout=10, raise_exceptions=True)

    def add(self, conn, dn: str, classes: list[str], **attrs) -> None:
        conn.add(dn, classes, {k: v for k, v in attrs.items() if v is not None})


def person(n: int) -> str:
    return f"uid=s{n},ou=people,{SUFFIX}"


def group(name: str) -> str:
    return f"cn={name},ou=groups,{SUFFIX}"


def load_directory(slapd: Slapd) -> None:
    """s1..s8 are student0000N@example.edu (the fake AAC's students); s9 has no mail.
    leavers = s1 s2 s3 + nested (s4 s5 + leavers again: a cycle); staff = s6 (groupOfUniqueNames);
    nomail = s1 s9; dangling = s1 + a DN that does not exist."""
    conn = slapd.admin()
    try:
        slapd.add(conn, SUFFIX, ["dcObject", "organization"], o="Example", dc="example")
        for name, pw in (("reader", READER_PW), ("limited", LIMITED_PW)):
            slapd.add(conn, f"cn={name},{SUFFIX}", ["simpleSecurityObject", "organizationalRole"], cn=name, userPassword=pw)
        slapd.add(conn, f"ou=people,{SUFFIX}", ["organizationalUnit"], ou="people")
        slapd.add(conn, f"ou=groups,{SUFFIX}", ["organizationalUnit"], ou="groups")
        for n in range(1, 10):
            mail = f"Student{n:05d}@Example.edu" if n < 9 else None
            slapd.add(conn, person(n), ["inetOrgPerson"], uid=f"s{n}", cn=f"S {n}", sn="S", mail=mail)
        slapd.add(conn, group("leavers"), ["groupOfNames"], cn="leavers", member=[person(1), person(2), person(3)])
        slapd.add(conn, group("nested"), ["groupOfNames"], cn="nested", member=[person(4), person(5), group("leavers")])
        conn.modify(group("leavers"), {"member": [("MODIFY_ADD", [group("nested")])]})
        slapd.add(conn, group("staff"), ["groupOfUniqueNames"], cn="staff", uniqueMember=[person(6)])
        slapd.add(conn, group("nomail"), ["groupOfNames"], cn="nomail", member=[person(1), person(9)])
        slapd.add(conn, group("dangling"), ["groupOfNames"], cn="dangling", member=[person(1), f"uid=ghost,ou=people,{SUFFIX}"])
        slapd.add(conn, group("empty"), ["groupOfNames"], cn="empty", member=[""])
    finally:
        conn.unbind()
