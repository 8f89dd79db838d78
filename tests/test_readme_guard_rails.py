"""Issue 17, item 8: the README's "Guard rails" list exactly the stops in the code, in order."""

from __future__ import annotations

import re

from conftest import ROOT
from remove_users import GATES


def test_the_guard_rails_are_the_gates_in_their_order():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Guard rails\n", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"(?m)^\d+\. \*\*(.+?)\*\*", section)
    assert listed == [title for title, _ in GATES]
