"""Issue 18: the plan file is one document, whether a dry run writes it (--plan-out) or the review
page offers it as a download; people ticked `keep` on the page are not in it."""

from __future__ import annotations

import json
import threading

from remove_users import (
    AacClient,
    Console,
    Signals,
    build_parser,
    kept_by_id,
    load_plan,
    plan_document,
    prepare,
    resolve_config,
)


def test_the_plan_file_is_one_document_written_or_downloaded(run, fake, tmp_path):
    keep = ["--exclude", "student00001@example.edu"]
    path = tmp_path / "plan.json"
    assert run(fake, "--dry-run", "--plan-out", str(path), *keep).code == 0
    token = fake.issue_access_token()
    argv = ["--base-url", fake.base_url, "--token", token, "--dry-run", *keep]
    console = Console(-1)
    config = resolve_config(build_parser().parse_args(argv), {}, console)
    client = AacClient(config.base_url, config.tokens, console=console)
    planned, _ = prepare(config, client, console, Signals(threading.Event()))

    def same(document: dict) -> dict:
        return {key: value for key, value in document.items() if key != "created"}

    assert same(json.loads(plan_document(planned))) == same(json.loads(path.read_text()))
    ticked = fake.id_of("student00002@example.edu")
    path.write_bytes(plan_document(kept_by_id(planned, [ticked])))
    saved = load_plan(str(path))
    assert ticked not in [p.id for p in saved.remove]
    assert len(saved.remove) == len(planned.plan.remove) - 1
