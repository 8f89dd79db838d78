"""--plan says which plan file it applies and when it was made, and warns when it is over a week old:
last semester's plan would remove the returning students still listed in it."""

from __future__ import annotations

import json
import re

from conftest import plan_file
from remove_users import ExitStatus


def test_the_applied_plan_is_named_with_its_age(run, make_fake, tmp_path):
    fake = make_fake(people=3)
    plan = plan_file(run, fake, tmp_path, "--exclude", "student00001@example.edu", name="fall.json")
    fresh = run(fake, "--plan", str(plan), "--dry-run")
    assert fresh.code == ExitStatus.OK, fresh.err
    assert re.search(rf"^Applying the saved plan {re.escape(str(plan))}, made \d{{4}}-\d\d-\d\d \d\d:\d\d UTC \(today\)$", fresh.out, re.M)
    assert "days old" not in fresh.err

    doc = json.loads(plan.read_text())
    doc["created"] = "2025-01-02T10:00:00Z"
    plan.write_text(json.dumps(doc))
    old = run(fake, "--plan", str(plan), "--dry-run")
    assert old.code == ExitStatus.OK
    assert f"Applying the saved plan {plan}, made 2025-01-02 10:00 UTC (" in old.out
    assert re.search(rf"remove_users: warning: the plan {re.escape(str(plan))} is \d+ days old: people in it who are members", old.err)
