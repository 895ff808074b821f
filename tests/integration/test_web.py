"""The web console's guards, by requests that must be refused: no session, the wrong role, no
CSRF token, too many wrong passwords, a forged or expired cookie. And the pages a drafter and
an approver use, through the same application core as the CLI."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from reminder.clock import FixedClock
from reminder.core.app import App
from reminder.errors import PermissionDeniedError
from reminder.inputs.config import load_config
from reminder.web.routes import ROUTES, create_app
from reminder.web.security import COOKIE, token_hash

SHANGHAI = ZoneInfo("Asia/Shanghai")
CAMPAIGN = "spring-festival"
DAY = date(2027, 2, 1)
PASSWORD = "correct horse battery"
NOW = datetime.combine(DAY, time(7, 0), SHANGHAI)


@pytest.fixture
def core(sample: Path) -> Iterator[App]:
    config = sample / "config.yaml"
    config.write_text(config.read_text("utf-8") + "approval:\n  required: true\n", "utf-8")
    app = App(load_config(config), FixedClock(NOW))
    for name, role in (("li", "drafter"), ("wang", "approver"), ("zhao", "viewer")):
        app.add_user(name, role, PASSWORD, actor="setup")
    yield app
    app.close()


@pytest.fixture
def client(core: App) -> TestClient:
    return TestClient(create_app(core), base_url="https://testserver", follow_redirects=False)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def log_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Log in; the CSRF token of the new session."""
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"name": name, "password": password, "csrf": token})
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/").text)


def test_every_route_without_a_session_goes_to_the_login(client: TestClient) -> None:
    for path, method, _handler, role in ROUTES:
        if role is None:
            continue
        url = path.format(campaign=CAMPAIGN, day=DAY, approval=1)
        answer = client.request(method, url, data={"csrf": "x"})
        if method == "POST":
            assert answer.status_code in (303, 403), (method, url)
        assert answer.status_code != 200, (method, url)
        if method == "GET":
            assert (answer.status_code, answer.headers["location"]) == (303, "/login"), url


def test_pages_carry_the_security_headers_and_a_strict_cookie(client: TestClient) -> None:
    answer = client.get("/login")
    assert "script-src 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["x-frame-options"] == "DENY"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "secure" in cookie and "samesite=strict" in cookie
    assert "<script" not in answer.text


def test_a_viewer_cannot_approve_and_the_attempt_is_audited(client: TestClient, core: App) -> None:
    asked = core.request_approval(CAMPAIGN, day=DAY, actor="li")
    token = log_in(client, "zhao")
    answer = client.post(f"/approvals/{asked.id}/approve", data={"csrf": token})
    assert answer.status_code == 403
    assert core.approvals()[0].status == "requested"
    denied = core.audit_entries(action="access.denied")
    assert [(e.actor, e.subject) for e in denied] == [("zhao", f"/approvals/{asked.id}/approve")]


def test_a_drafter_cannot_approve_their_own_request(client: TestClient, core: App) -> None:
    token = log_in(client, "li")
    asked = client.post(f"/campaigns/{CAMPAIGN}/{DAY}/request", data={"csrf": token})
    assert asked.status_code == 303
    approval = core.approvals()[0]
    assert (approval.status, approval.requested_by) == ("requested", "li")
    answer = client.post(f"/approvals/{approval.id}/approve", data={"csrf": token})
    assert answer.status_code == 403 and core.approvals()[0].status == "requested"


def test_an_approver_cannot_approve_their_own_request_either(client: TestClient, core: App) -> None:
    token = log_in(client, "wang")
    client.post(f"/campaigns/{CAMPAIGN}/{DAY}/request", data={"csrf": token})
    approval = core.approvals()[0]
    answer = client.post(f"/approvals/{approval.id}/approve", data={"csrf": token})
    assert answer.status_code == 403 and "must not be" in answer.text
    assert core.approvals()[0].status == "requested"


def test_a_post_without_the_csrf_token_is_refused(client: TestClient, core: App) -> None:
    asked = core.request_approval(CAMPAIGN, day=DAY, actor="li")
    log_in(client, "wang")
    for data in ({}, {"csrf": "forged"}):
        answer = client.post(f"/approvals/{asked.id}/approve", data=data)
        assert answer.status_code == 403
    assert core.approvals()[0].status == "requested"
    login = client.post("/login", data={"name": "wang", "password": PASSWORD})
    assert login.status_code == 403, "the login form needs its token too"


def test_twenty_wrong_passwords_are_throttled(client: TestClient, core: App) -> None:
    token = csrf_of(client.get("/login").text)
    codes = [
        client.post(
            "/login", data={"name": "wang", "password": f"guess {i}", "csrf": token}
        ).status_code
        for i in range(20)
    ]
    assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}
    right = client.post("/login", data={"name": "wang", "password": PASSWORD, "csrf": token})
    assert right.status_code == 429, "throttled even with the right password"
    assert len(core.audit_entries(action="login.failed")) == 10
    assert isinstance(core.clock, FixedClock)
    core.clock.set(NOW + timedelta(minutes=16))
    token = csrf_of(client.get("/login").text)
    late = client.post("/login", data={"name": "wang", "password": PASSWORD, "csrf": token})
    assert late.status_code == 303


def test_a_forged_or_expired_session_goes_to_the_login(client: TestClient, core: App) -> None:
    log_in(client, "zhao")
    assert client.get("/").status_code == 200
    real = client.cookies.get(COOKIE)
    client.cookies.set(COOKIE, "forged-token", domain="testserver.local")
    client.cookies.clear()
    client.cookies.set(COOKIE, "forged-token")
    assert client.get("/").headers.get("location") == "/login"
    client.cookies.clear()
    client.cookies.set(COOKIE, real or "")
    assert client.get("/").status_code == 200
    assert isinstance(core.clock, FixedClock)
    core.clock.set(NOW + timedelta(minutes=31))  # idle past session_minutes (30)
    assert client.get("/").headers.get("location") == "/login"


def test_the_drafter_and_approver_pages(client: TestClient, core: App) -> None:
    token = log_in(client, "li")
    page = client.get(f"/campaigns/{CAMPAIGN}/{DAY}")
    assert page.status_code == 200 and "****" in page.text
    assert not re.search(r"\+86 1\d{10}|1[3-9]\d{9}", page.text), "a number shown in full"
    client.post(f"/campaigns/{CAMPAIGN}/{DAY}/request", data={"csrf": token, "comment": "请审批"})
    client.post("/logout", data={"csrf": token})
    token = log_in(client, "wang")
    approval = core.approvals()[0]
    answer = client.post(
        f"/approvals/{approval.id}/approve", data={"csrf": token, "comment": "同意"}
    )
    assert answer.status_code == 303
    assert core.approval_verdict(CAMPAIGN, DAY).may_send
    for path in ("/", f"/campaigns/{CAMPAIGN}", "/approvals", "/audit", "/suppressions"):
        assert client.get(path).status_code == 200, path
    report = client.get(f"/campaigns/{CAMPAIGN}/report")
    assert (
        report.status_code == 200
        and "script-src 'none'" in report.headers["content-security-policy"]
    )


FULL_NUMBER = re.compile(r"\+861[3-9]\d{9}")


def test_an_approver_sees_full_numbers_by_a_form_and_it_is_audited(
    client: TestClient, core: App
) -> None:
    token = log_in(client, "wang")
    page = client.get(f"/campaigns/{CAMPAIGN}/{DAY}")
    assert 'id="show-numbers"' in page.text and not FULL_NUMBER.search(page.text)
    assert client.get(f"/campaigns/{CAMPAIGN}/{DAY}/numbers").status_code == 405
    assert client.post(f"/campaigns/{CAMPAIGN}/{DAY}/numbers", data={}).status_code == 403
    assert core.audit_entries(action="numbers.") == [], "no CSRF token: nothing shown"
    full = client.post(f"/campaigns/{CAMPAIGN}/{DAY}/numbers", data={"csrf": token})
    assert full.status_code == 200 and FULL_NUMBER.search(full.text)
    assert full.headers["cache-control"] == "no-store"
    report = client.post(f"/campaigns/{CAMPAIGN}/report/numbers", data={"csrf": token})
    assert report.status_code == 200
    shown = core.audit_entries(action="numbers.shown")
    assert [(e.actor, e.subject, e.details["what"]) for e in shown] == [
        ("wang", f"{CAMPAIGN}/{DAY}", "occurrence"),
        ("wang", CAMPAIGN, "report"),
    ]
    assert all(e.at == NOW for e in shown)
    assert core.verify_audit().broken is None


@pytest.mark.parametrize("name", ["zhao", "li"])
def test_a_viewer_or_drafter_asking_for_full_numbers_gets_403_audited(
    client: TestClient, core: App, name: str
) -> None:
    token = log_in(client, name)
    page = client.get(f"/campaigns/{CAMPAIGN}/{DAY}")
    assert 'id="show-numbers"' not in page.text
    for path in (f"/campaigns/{CAMPAIGN}/{DAY}/numbers", f"/campaigns/{CAMPAIGN}/report/numbers"):
        answer = client.post(path, data={"csrf": token})
        assert answer.status_code == 403 and not FULL_NUMBER.search(answer.text), path
    assert core.audit_entries(action="numbers.shown") == []
    denied = core.audit_entries(action="access.denied")
    named = [(e.actor, e.subject, e.details.get("campaign"), e.details.get("day")) for e in denied]
    assert named == [
        (name, f"/campaigns/{CAMPAIGN}/{DAY}/numbers", CAMPAIGN, str(DAY)),
        (name, f"/campaigns/{CAMPAIGN}/report/numbers", CAMPAIGN, None),
    ]


def test_the_core_refuses_full_numbers_to_a_drafter_and_records_it(core: App) -> None:
    with pytest.raises(PermissionDeniedError):
        core.show_numbers("occurrence", CAMPAIGN, DAY, user="li", via="web")
    refused = core.audit_entries(action="numbers.")
    assert [(e.actor, e.action, e.subject) for e in refused] == [
        ("li", "numbers.refused", f"{CAMPAIGN}/{DAY}")
    ]


def test_sessions_live_in_the_store_hashed_shared_and_deleted_at_logout(
    client: TestClient, core: App, sample: Path
) -> None:
    token = log_in(client, "wang")
    cookie = client.cookies.get(COOKIE)
    assert cookie
    kept = core.store.web_session(token_hash(cookie))
    assert kept is not None and kept.user == "wang"
    assert core.store.web_session(cookie) is None, "the token itself is not stored"
    # Another console process on the same store (or this one after a restart).
    assert isinstance(core.clock, FixedClock)
    other = App(load_config(sample / "config.yaml"), core.clock)
    try:
        second = TestClient(
            create_app(other), base_url="https://testserver", follow_redirects=False
        )
        second.cookies.set(COOKIE, cookie)
        assert second.get("/").status_code == 200, "still logged in"
        assert second.post("/logout", data={"csrf": token}).status_code == 303
        assert core.store.web_session(token_hash(cookie)) is None, "logout deletes it"
        assert client.get("/").headers.get("location") == "/login"
    finally:
        other.close()


def test_the_occurrence_page_renders_only_its_sample_and_counts_the_rest(core: App) -> None:
    full = core.preview(CAMPAIGN, DAY, limit=5)
    glance = core.preview(CAMPAIGN, DAY, limit=5, only_sample=True)
    assert [r.audience for r in glance.results] == [r.audience for r in full.results]
    assert all(r.audience > 5 for r in glance.results)
    assert [[d.body for d in r.sample] for r in glance.results] == [
        [d.body for d in r.sample] for r in full.results
    ]
