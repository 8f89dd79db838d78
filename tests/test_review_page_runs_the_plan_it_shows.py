"""Attack 22, F3: the review page's run button carries out the plan its page shows, or nothing.
Two tabs share one session, and a re-plan answers after the old plan is on show: a start names
its plan (plan_id) and what its button said (action, count), and a stale one changes nothing."""

from __future__ import annotations

from review_stub import Client, on_the_engine, plan_form, pressed

WORKSPACE = "Fall 2026 Data Science"


def test_a_start_from_an_older_plan_is_refused_and_nobody_is_removed(make_fake):
    fake = make_fake(people=2)
    fake.add_person("ta@example.edu", "Terry Assistant")
    with on_the_engine("--base-url", fake.base_url, "--no-protected-emails") as (server, session):
        page = Client(server)
        page.log_in()
        token = fake.issue_access_token()
        # Tab 1: suspend, keeping ta. Tab 2 (the same cookie): remove, nobody kept.
        tab1 = page.post("/api/plan", plan_form(token=token, keep_text="ta@example.edu",
                                                action="suspend")).json()
        tab2 = page.post("/api/plan", plan_form(keep_text="", action="remove")).json()
        assert tab1["plan_id"] != tab2["plan_id"]
        members = fake.emails()
        # Back in tab 1, "Suspend 2 people" is pressed.
        answer = page.post("/api/start", pressed(tab1))
        assert answer.status == 422
        assert answer.json()["error"].startswith("the plan changed since this page showed it")
        assert "show the plan again; nothing was changed" in answer.json()["error"]
        # Its ticks and its download name that plan too: refused, not answered from tab 2's.
        for path in ("/api/stops", "/api/plan-file"):
            refused = page.post(path, {"keep_ids": [], "plan_id": tab1["plan_id"]})
            assert refused.status == 422 and "the plan changed" in refused.json()["error"]
        # A start that names no plan at all is refused the same way.
        assert page.post("/api/start", {"keep_ids": [], "typed_name": WORKSPACE}).status == 422
        assert fake.emails() == members and fake.suspended_emails() == set()
        assert fake.writes() == [] and session.running is None


def test_a_re_plan_makes_the_old_id_stale_and_the_button_must_match(make_fake):
    fake = make_fake(people=3)
    with on_the_engine("--base-url", fake.base_url, "--no-protected-emails") as (server, session):
        page = Client(server)
        page.log_in()
        first = page.post("/api/plan", plan_form(token=fake.issue_access_token(),
                                                 keep_text="")).json()
        second = page.post("/api/plan", plan_form(keep_text="")).json()
        stale = page.post("/api/start", pressed(first))
        assert stale.status == 422 and "the plan changed" in stale.json()["error"]
        # The right plan, but a button that named another action or another count.
        for wrong in ({"action": "suspend"}, {"count": 1}):
            answer = page.post("/api/start", {**pressed(second), **wrong})
            assert answer.status == 422, answer.body
            assert answer.json()["error"].startswith("the button said")
            assert answer.json()["error"].endswith("show the plan again; nothing was changed")
        assert fake.writes() == []
        # The plan on show, as its button named it: carried out.
        assert page.post("/api/start", pressed(second)).status == 200
        session.running.done.wait(20)
        assert fake.emails() == {"admin@example.edu", "coadmin1@example.edu"}
