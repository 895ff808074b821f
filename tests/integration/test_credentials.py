"""`reminder send` with a gateway's credential missing from the environment, or wrong, for every
real gateway (twilio, aliyun, tencent, smpp) against its fake or test peer: exit 1, one line
naming the gateway and the environment variable (never its value), nothing marked sent — the
messages a refused credential left behind wait as planned and go once it is fixed."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import aliyun_fake, tencent_fake
from tests.support.servers import ACCOUNT_SID, TwilioLikeServer
from tests.support.smsc import PASSWORD, SYSTEM_ID, Smsc

WRONG = "wr0ngVal"  # 8 characters: what an SMPP password may hold


@dataclass
class Peer:
    """A gateway's peer, running: the config that reaches it, the environment it reads, and
    how many messages it accepted."""

    config: str
    env: dict[str, str]
    accepted: Callable[[], int]


@contextmanager
def twilio(tmp: Path) -> Iterator[Peer]:
    with TwilioLikeServer() as server:
        server.auth_token = "the-right-token"
        config = (
            "gateway: twilio\ngateways:\n  twilio:\n"
            f"    account_sid: {ACCOUNT_SID}\n    auth_token: ${{TWILIO_AUTH_TOKEN}}\n"
            f"    from_number: '+15005550006'\n    base_url: {server.url}\n"
            "    delivery: {segments_per_second: null}\n"
        )
        yield Peer(
            config,
            {"TWILIO_AUTH_TOKEN": "the-right-token"},
            lambda: len(server.recorded.accepted),
        )


@contextmanager
def aliyun(tmp: Path) -> Iterator[Peer]:
    with aliyun_fake.sample_fake() as fake:
        config = aliyun_fake.sample_config(fake.url, head="")
        yield Peer(config, aliyun_fake.sample_env(), lambda: len(fake.seen.accepted))


@contextmanager
def tencent(tmp: Path) -> Iterator[Peer]:
    with tencent_fake.TencentFake() as fake:
        env = {
            "TENCENT_SECRET_ID": tencent_fake.SECRET_ID,
            "TENCENT_SECRET_KEY": tencent_fake.SECRET_KEY,
        }
        yield Peer(tencent_fake.sample_config(fake.url), env, lambda: len(fake.recorded.accepted))


@contextmanager
def smpp(tmp: Path) -> Iterator[Peer]:
    with Smsc(tmp / "smsc.jsonl") as smsc:
        config = (
            "gateway: smpp\ngateways:\n  smpp:\n"
            f"    host: 127.0.0.1\n    port: {smsc.port}\n    system_id: {SYSTEM_ID}\n"
            "    password: ${SMPP_PASSWORD}\n    source_addr: '10690001'\n"
            "    delivery: {messages_per_second: null}\n"
        )
        yield Peer(config, {"SMPP_PASSWORD": PASSWORD}, lambda: len(smsc.messages()))


PEERS: dict[str, Callable[[Path], AbstractContextManager[Peer]]] = {
    "twilio": twilio,
    "aliyun": aliyun,
    "tencent": tencent,
    "smpp": smpp,
}
#: (gateway, the variable made wrong or unset, what the line names to check, provider's code)
CASES = [
    pytest.param("twilio", "TWILIO_AUTH_TOKEN", "TWILIO_AUTH_TOKEN", "20003", id="twilio"),
    pytest.param(
        "aliyun",
        "ALIYUN_ACCESS_KEY_SECRET",
        "ALIYUN_ACCESS_KEY_SECRET",
        "SignatureDoesNotMatch",
        id="aliyun-secret",
    ),
    pytest.param(
        "aliyun",
        "ALIYUN_ACCESS_KEY_ID",
        "ALIYUN_ACCESS_KEY_ID",
        "InvalidAccessKeyId.NotFound",
        id="aliyun-id",
    ),
    pytest.param(
        "tencent",
        "TENCENT_SECRET_KEY",
        "TENCENT_SECRET_KEY",
        "AuthFailure.SignatureFailure",
        id="tencent-key",
    ),
    pytest.param(
        "tencent",
        "TENCENT_SECRET_ID",
        "TENCENT_SECRET_ID",
        "AuthFailure.SecretIdNotFound",
        id="tencent-id",
    ),
    pytest.param(
        "smpp",
        "SMPP_PASSWORD",
        "SMPP_PASSWORD",
        "ESME_RINVPASWD",
        id="smpp",
        marks=pytest.mark.smsc,
    ),
]


@pytest.fixture
def peer(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Peer]:
    with PEERS[request.param](tmp_path) as running:
        yield running


def configure(sample: Path, peer: Peer, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key, value in peer.env.items():
        monkeypatch.setenv(key, value)
    config = sample / "config.yaml"
    head = "database_url: sqlite:///reminder.db\napproval: {required: false}\n"
    head += "per_number_cap: null\n"
    body = "\n".join(
        line for line in peer.config.splitlines() if not line.startswith(("approval:", "per_"))
    )
    config.write_text(head + body + "\n", encoding="utf-8")
    return config


def send(cli: Any, config: Path) -> Any:
    return cli(
        "--config",
        config,
        "send",
        "spring-festival",
        "--date",
        "2027-01-30",
        "--yes",
        "--ignore-quiet-hours",
    )


def statuses(sample: Path) -> Counter[str]:
    if not (sample / "reminder.db").exists():
        return Counter()
    with sqlite3.connect(sample / "reminder.db") as db:
        return Counter(row[0] for row in db.execute("select status from message"))


def one_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    return lines[0]


@pytest.mark.parametrize(("peer", "variable", "named", "code"), CASES, indirect=["peer"])
def test_an_unset_credential_is_exit_1_naming_gateway_and_variable(
    cli: Any,
    sample: Path,
    peer: Peer,
    variable: str,
    named: str,
    code: str,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    config = configure(sample, peer, monkeypatch)
    monkeypatch.delenv(variable)
    result = send(cli, config)
    assert result.exit_code == 1, result.output
    gateway = request.node.callspec.id.split("-")[0]
    line = one_line(result.output)
    assert f"the {gateway} gateway cannot send: environment variable {variable} is not set" in line
    assert "config.yaml" in line and "Traceback" not in result.output
    assert peer.accepted() == 0 and statuses(sample) == Counter()


@pytest.mark.parametrize(("peer", "variable", "named", "code"), CASES, indirect=["peer"])
def test_a_refused_credential_is_exit_1_and_nothing_is_marked_sent(
    cli: Any,
    sample: Path,
    peer: Peer,
    variable: str,
    named: str,
    code: str,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    config = configure(sample, peer, monkeypatch)
    right = peer.env[variable]
    monkeypatch.setenv(variable, WRONG)
    result = send(cli, config)
    assert result.exit_code == 1, result.output
    gateway = request.node.callspec.id.split("-")[0]
    line = result.output.strip().splitlines()[-1]
    assert f"the {gateway} gateway's credential was refused ([{code}]" in line
    assert f"check {named}" in line or f", {named};" in line, line
    assert WRONG not in result.output and right not in result.output
    assert "Traceback" not in result.output
    assert peer.accepted() == 0
    held = statuses(sample)
    assert set(held) == {"planned"} and held["planned"] > 0, held
    # Fixed, the same command sends what waited, once.
    monkeypatch.setenv(variable, right)
    again = send(cli, config)
    assert again.exit_code == 0, again.output
    assert peer.accepted() == held["planned"]
    assert statuses(sample)["planned"] == 0
