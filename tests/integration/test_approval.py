"""Approval before sending (ARCHITECTURE.md invariant 11), on the sample Spring Festival
campaign through the file gateway with approval required: nothing goes unapproved, an approval
binds the content, four eyes, and the daemon holds what is not approved."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from reminder.clock import FixedClock
from reminder.core.app import App
from reminder.errors import NotApprovedError, PermissionDeniedError
from reminder.inputs.config import load_config
from reminder.store import SqlStore

SHANGHAI = ZoneInfo("Asia/Shanghai")
CAMPAIGN = "spring-festival"
DAY = date(2027, 2, 1)
PASSWORD = "correct horse battery"


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), SHANGHAI)


def make_app(sample: Path, clock: FixedClock, required: bool | None = True) -> App:
    config = sample / "config.yaml"
    if required is not None:
        config.write_text(
            config.read_text("utf-8") + f"approval:\n  required: {str(required).lower()}\n",
            encoding="utf-8",
        )
    app = App(load_config(config), clock)
    for name, role in (
        ("li", "drafter"),
        ("wang", "approver"),
        ("zhao", "viewer"),
        ("chen", "approver"),
    ):
        app.add_user(name, role, PASSWORD, actor="setup")
    return app


def outbox(sample: Path) -> list[dict[str, object]]:
    path = sample / "outbox.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def approved(app: App, day: date = DAY) -> None:
    asked = app.request_approval(CAMPAIGN, day=day, actor="li", comment="请审批")
    assert asked.id is not None
    app.decide_approval(asked.id, actor="wang", grant=True, comment="同意")


def test_nothing_is_sent_unapproved_and_an_approval_lets_it_go(sample: Path) -> None:
    app = make_app(sample, FixedClock(at(9)))
    with pytest.raises(NotApprovedError, match="none was requested"):
        app.send_occurrence(CAMPAIGN, DAY)
    assert outbox(sample) == [] and app.store.messages() == []
    asked = app.request_approval(CAMPAIGN, day=DAY, actor="li")
    assert asked.id is not None
    with pytest.raises(NotApprovedError, match="awaiting an approver"):
        app.send_occurrence(CAMPAIGN, DAY)
    with pytest.raises(PermissionDeniedError):
        app.decide_approval(asked.id, actor="zhao", grant=True)  # a viewer
    with pytest.raises(PermissionDeniedError, match="needs the role approver"):
        app.decide_approval(asked.id, actor="li", grant=True)  # a drafter
    own = app.request_approval(CAMPAIGN, year=2027, actor="chen")
    assert own.id is not None
    with pytest.raises(PermissionDeniedError, match="must not be the person"):
        app.decide_approval(own.id, actor="chen", grant=True)  # four eyes
    assert app.approval_by_id(asked.id).status == "requested"
    app.decide_approval(asked.id, actor="wang", grant=True, comment="同意")
    result = app.send_occurrence(CAMPAIGN, DAY)
    assert sum(p.sent for p in result.pushes) == len(outbox(sample)) > 0
    actions = [e.action for e in app.audit_entries()]
    assert actions.count("access.denied") == 3
    assert actions[-3:] == ["approval.granted", "occurrence.planned", "occurrence.sent"]
    assert {"approval.requested", "approval.granted", "occurrence.planned", "occurrence.sent"} <= (
        set(actions)
    )
    assert app.verify_audit().broken is None
    app.close()


def test_a_template_changed_after_approval_blocks_until_approved_again(sample: Path) -> None:
    app = make_app(sample, FixedClock(at(9)))
    approved(app)
    template = sample / "templates" / "spring_daily.j2"
    template.write_text(template.read_text("utf-8").replace("廉洁提醒", "廉洁提示"), "utf-8")
    app.reload()
    with pytest.raises(NotApprovedError, match="changed since they were approved"):
        app.send_occurrence(CAMPAIGN, DAY)
    assert outbox(sample) == []
    approved(app)
    app.send_occurrence(CAMPAIGN, DAY)
    assert outbox(sample) and all("廉洁提示" in str(m["body"]) for m in outbox(sample))
    app.close()


def test_a_contact_changed_after_a_year_approval_blocks_it(sample: Path) -> None:
    app = make_app(sample, FixedClock(at(9)))
    asked = app.request_approval(CAMPAIGN, year=2027, actor="li")
    assert asked.id is not None
    app.decide_approval(asked.id, actor="wang", grant=True)
    assert app.approval_verdict(CAMPAIGN, DAY).may_send
    cadres = sample / "contacts" / "cadres.yaml"
    text_before = cadres.read_text("utf-8")
    first_phone = next(w for w in text_before.split() if w.strip('"').startswith("13"))
    cadres.write_text(text_before.replace(first_phone, '"13912345678"', 1), "utf-8")
    app.reload()
    assert app.approval_verdict(CAMPAIGN, DAY).reason == "changed"
    app.close()


def test_the_daemon_holds_an_unapproved_occurrence_then_expires_it(sample: Path) -> None:
    clock = FixedClock(at(8, 31))
    app = make_app(sample, clock)
    held = [o for o in app.run_due(CAMPAIGN, "daily-leading") if o.occurrence.day == DAY]
    assert [o.action for o in held] == ["awaiting_approval"]
    assert app.store.messages(occurrence=DAY) == [] and outbox(sample) == []
    clock.set(at(8, 31) + timedelta(hours=3))  # past the grace period (120 min)
    late = [o for o in app.run_due(CAMPAIGN, "daily-leading") if o.occurrence.day == DAY]
    assert [o.action for o in late] == ["expired"]
    assert {m.status for m in app.store.messages(occurrence=DAY)} == {"expired"}
    assert outbox(sample) == []
    app.close()


def test_the_daemon_sends_an_approved_occurrence(sample: Path) -> None:
    clock = FixedClock(at(8, 0))
    app = make_app(sample, clock)
    approved(app)
    clock.set(at(8, 31))
    outcomes = [o for o in app.run_due(CAMPAIGN, "daily-leading") if o.occurrence.day == DAY]
    assert [o.action for o in outcomes] == ["sent"] and outcomes[0].sent == len(outbox(sample))
    app.close()


def test_a_gateway_without_phones_needs_no_approval_unless_configured(sample: Path) -> None:
    app = make_app(sample, FixedClock(at(9)), required=None)
    assert not app.approval_required()
    assert sum(p.sent for p in app.send_occurrence(CAMPAIGN, DAY).pushes) > 0
    app.close()


@pytest.mark.parametrize("tamper", ["delete", "edit", "insert"])
def test_audit_verify_names_the_first_bad_entry(sample: Path, cli, tamper: str) -> None:  # type: ignore[no-untyped-def]
    app = make_app(sample, FixedClock(at(9)))
    approved(app)
    app.send_occurrence(CAMPAIGN, DAY)
    store = app.store
    assert isinstance(store, SqlStore)
    config = str(sample / "config.yaml")
    good = cli("--config", config, "audit", "verify")
    assert good.exit_code == 0 and "intact" in good.stdout
    statement = {
        "delete": "DELETE FROM audit_entry WHERE id = 3",
        "edit": "UPDATE audit_entry SET actor = 'someone' WHERE id = 3",
        "insert": "UPDATE audit_entry SET id = id + 1 WHERE id >= 3",
    }[tamper]
    with store.engine.begin() as connection:
        if tamper == "insert":
            for row_id in sorted(
                (r.id for r in connection.execute(text("SELECT id FROM audit_entry"))),
                reverse=True,
            ):
                if row_id >= 3:
                    connection.execute(
                        text("UPDATE audit_entry SET id = :n WHERE id = :o"),
                        {"n": row_id + 1, "o": row_id},
                    )
            connection.execute(
                text(
                    "INSERT INTO audit_entry (id, at, actor, action, subject, details, prev_hash,"
                    " hash) SELECT 3, at, 'someone', 'approval.granted', subject, details,"
                    " hash, hash FROM audit_entry WHERE id = 2"
                )
            )
        else:
            connection.execute(text(statement))
    app.close()
    bad = cli("--config", config, "audit", "verify")
    assert bad.exit_code == 1
    expected = 4 if tamper == "delete" else 3
    assert f"broken at entry {expected}" in bad.stdout


def test_the_cli_requests_approves_and_lists(
    sample: Path,
    cli,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.factories import DAYTIME

    app = make_app(sample, FixedClock(at(9)))
    app.close()
    config = str(sample / "config.yaml")
    monkeypatch.setenv("REMINDER_PASSWORD", PASSWORD)
    run = cli.at(DAYTIME)
    refused = run("--config", config, "send", CAMPAIGN, "--date", "2027-02-01", "--yes")
    assert refused.exit_code == 1 and "none was requested" in refused.output
    asked = run("--config", config, "approve", CAMPAIGN, "--date", "2027-02-01", "--as", "li",
                "--request")  # fmt: skip
    assert asked.exit_code == 0, asked.output
    self_approved = run("--config", config, "approve", CAMPAIGN, "--date", "2027-02-01",
                        "--as", "li")  # fmt: skip
    assert self_approved.exit_code == 1 and "needs the role approver" in self_approved.output
    granted = run("--config", config, "approve", CAMPAIGN, "--date", "2027-02-01", "--as", "wang")
    assert granted.exit_code == 0 and "approved" in granted.output
    listed = run("--config", config, "approvals", "--json")
    assert [a["status"] for a in json.loads(listed.stdout)] == ["approved"]
    sent = run("--config", config, "send", CAMPAIGN, "--date", "2027-02-01", "--yes")
    assert sent.exit_code == 0, sent.output
    assert outbox(sample)
    monkeypatch.setenv("REMINDER_PASSWORD", "wrong password!")
    wrong = run("--config", config, "approve", CAMPAIGN, "--date", "2027-02-01", "--as", "wang",
                "--revoke")  # fmt: skip
    assert wrong.exit_code == 1 and "wrong user name or password" in wrong.output
    trail = run("--config", config, "audit", "show", "--json")
    assert "login.failed" in [e["action"] for e in json.loads(trail.stdout)]


def test_roles_change_at_the_cli_audited_and_the_last_admin_stays(
    sample: Path,
    cli,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_app(sample, FixedClock(at(9))).close()
    config = str(sample / "config.yaml")
    monkeypatch.setenv("REMINDER_PASSWORD", PASSWORD)
    assert cli("--config", config, "users", "add", "sun", "--role", "admin").exit_code == 0
    promoted = cli("--config", config, "users", "role", "li", "approver")
    assert promoted.exit_code == 0 and "li" in promoted.output, promoted.output
    unknown = cli("--config", config, "users", "role", "li", "boss")
    assert unknown.exit_code != 0 and "unknown role" in unknown.output
    nobody = cli("--config", config, "users", "role", "nobody", "viewer")
    assert nobody.exit_code != 0 and "no user" in nobody.output
    last = cli("--config", config, "users", "role", "sun", "viewer")
    assert last.exit_code != 0 and "last admin" in last.output
    disabled = cli("--config", config, "users", "disable", "sun")
    assert disabled.exit_code != 0 and "last admin" in disabled.output
    # With a second admin the first may step down.
    assert cli("--config", config, "users", "role", "wang", "admin").exit_code == 0
    assert cli("--config", config, "users", "role", "sun", "viewer").exit_code == 0
    app = App(load_config(sample / "config.yaml"), FixedClock(at(9)))
    try:
        roles = {u.name: (u.role, u.disabled) for u in app.users()}
        assert roles["li"] == ("approver", False) and roles["sun"] == ("viewer", False)
        assert roles["wang"] == ("admin", False)
        changed = [(e.actor, e.subject, e.details) for e in app.audit_entries(action="user.role")]
        assert [(subject, details["role"]) for _a, subject, details in changed] == [
            ("user/li", "approver"),
            ("user/wang", "admin"),
            ("user/sun", "viewer"),
        ]
        assert all(actor.startswith("cli") for actor, _s, _d in changed)
    finally:
        app.close()


def test_a_campaign_file_may_require_approval_on_a_gateway_without_phones(sample: Path) -> None:
    path = sample / "campaigns" / "spring-festival.yaml"
    path.write_text(path.read_text("utf-8") + "approval:\n  required: true\n", "utf-8")
    app = make_app(sample, FixedClock(at(8, 31)), required=None)
    try:
        assert not app.approval_required() and app.approval_required(CAMPAIGN)
        assert not app.approval_required("mid-autumn"), "other campaigns as the config says"
        with pytest.raises(NotApprovedError, match="none was requested"):
            app.send_occurrence(CAMPAIGN, DAY)
        assert outbox(sample) == []
        held = app.occurrence_board(CAMPAIGN, DAY, DAY)
        assert [r.state for r in held] == ["awaiting_approval"]
        outcomes = [o for o in app.run_due(CAMPAIGN, "daily-leading") if o.occurrence.day == DAY]
        assert outbox(sample) == [] and [o.action for o in outcomes] != ["sent"]
        approved(app)
        assert (
            sum(p.sent for p in app.send_occurrence(CAMPAIGN, DAY).pushes)
            == len(outbox(sample))
            > 0
        )
    finally:
        app.close()


def test_the_consoles_view_of_the_chain_checks_new_entries_and_the_whole_every_five_minutes(
    sample: Path,
) -> None:
    clock = FixedClock(at(9))
    app = make_app(sample, clock)
    store = app.store
    assert isinstance(store, SqlStore)
    try:
        first = app.audit_state()
        assert first.broken is None and first.entries == app.store.audit_count() == 4
        approved(app)
        assert (app.audit_state().entries, app.audit_state().broken) == (6, None)
        with store.engine.begin() as connection:  # the newest entry, edited
            connection.execute(text("UPDATE audit_entry SET actor = 'someone' WHERE id = 6"))
        broken = app.audit_state().broken
        assert broken is not None and broken.id == 6
        with store.engine.begin() as connection:
            connection.execute(text("UPDATE audit_entry SET actor = 'wang' WHERE id = 6"))
        assert app.audit_state().broken is None
        with store.engine.begin() as connection:  # an older one: seen at the next whole check
            connection.execute(text("UPDATE audit_entry SET actor = 'someone' WHERE id = 2"))
        assert app.audit_state().broken is None, "between whole checks, only new entries"
        assert app.verify_audit().broken is not None, "`reminder audit verify` checks it whole"
        clock.set(at(9, 6))
        late = app.audit_state().broken
        assert late is not None and late.id == 2
    finally:
        app.close()
