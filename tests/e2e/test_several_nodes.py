"""Several `reminder run` on one store, as real subprocesses: one per SQLite file; on
PostgreSQL one leader that plans, every node dispatching, a standby that takes over, a standby
woken by the leader's plan long before its next poll, and two nodes opening an old schema at
once that migrate it once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, text

from reminder.store import migrate
from tests.e2e.test_cli_subprocess import copy_sample
from tests.e2e.test_daemon_recovery import FAMILIES, one_push
from tests.e2e.test_daemon_subprocess import wait_for
from tests.support.databases import PG_URL_VARIABLE, fresh_database
from tests.support.servers import AUTH_TOKEN, TwilioLikeServer

#: The simulated start: a minute before the sample's 10:00 family greeting.
START = datetime.fromisoformat("2027-01-30T09:59:00+08:00")

needs_postgresql = pytest.mark.skipif(
    not os.environ.get(PG_URL_VARIABLE), reason=f"{PG_URL_VARIABLE} is not set"
)


def start(root: Path, log: str, *run_args: str, language: str = "en") -> subprocess.Popen[str]:
    """`reminder run RUN_ARGS` in `root`, its output written to `log` in `root`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REMINDER_", "TWILIO_"))}
    env["TWILIO_AUTH_TOKEN"] = AUTH_TOKEN
    env["REMINDER_LANGUAGE"] = language
    with (root / log).open("a") as out:  # the child keeps its own copy of the handle
        return subprocess.Popen(
            [sys.executable, "-m", "reminder", "run", *run_args],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )


def stop(*daemons: subprocess.Popen[str]) -> None:
    for daemon in daemons:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait(timeout=30)


def test_a_second_daemon_on_one_sqlite_file_refuses_and_a_crash_does_not_block(
    tmp_path: Path,
) -> None:
    root = copy_sample(tmp_path)
    (root / "config.yaml").write_text("gateway: file\n", encoding="utf-8")
    clock = ("--clock-start", "2027-01-30T07:00:00+08:00")
    first = start(root, "first.log", *clock)
    try:
        wait_for(lambda: "running:" in (root / "first.log").read_text(), "the first daemon")
        second = start(root, "second.log", *clock)
        assert second.wait(timeout=60) == 1
        said = (root / "second.log").read_text()
        assert "another `reminder run` is already running on this SQLite database" in said
        assert "reminder.db.run.lock" in said and "Traceback" not in said
        chinese = start(root, "chinese.log", *clock, language="zh-CN")
        assert chinese.wait(timeout=60) == 1
        assert "SQLite" in (root / "chinese.log").read_text()
        assert "another" not in (root / "chinese.log").read_text()
        assert first.poll() is None, "the first daemon runs on"
        first.kill()  # a crash: no clean exit releases anything
        first.wait(timeout=30)
        again = start(root, "again.log", *clock)
        try:
            wait_for(lambda: "running:" in (root / "again.log").read_text(), "the restart")
        finally:
            stop(again)
    finally:
        stop(first)


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    with fresh_database("postgresql", tmp_path) as url:
        yield url


def pg_counts(url: str) -> Counter[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("select status, count(*) from message group by status")
            ).all()
    except Exception:  # no schema yet
        return Counter()
    finally:
        engine.dispose()
    return Counter({status: n for status, n in rows})


class Nodes:
    """Daemons on one simulated clock: each starts where the first one's clock is now."""

    def __init__(self, root: Path, begin: datetime = START) -> None:
        self.root = root
        self.begin = begin
        self.began = time.monotonic()
        self.started: list[subprocess.Popen[str]] = []

    def start(self, log: str) -> subprocess.Popen[str]:
        now = self.begin + timedelta(seconds=time.monotonic() - self.began)
        self.started.append(start(self.root, log, "--clock-start", now.isoformat()))
        return self.started[-1]

    def kill_leader(self) -> None:
        """SIGKILL the first node, and reap it as init would (a zombie looks alive)."""
        self.started[0].kill()
        self.started[0].wait(timeout=30)

    def log(self, name: str) -> str:
        return (self.root / name).read_text()

    def stop(self) -> None:
        stop(*self.started)


def two_nodes(tmp_path: Path, server: TwilioLikeServer, url: str) -> Nodes:
    """A leader (a.log) and a standby (b.log) on the PostgreSQL store at `url`."""
    root = copy_sample(tmp_path)
    one_push(root, server, "{segments_per_second: null, concurrency: 1}")
    with (root / "config.yaml").open("a", encoding="utf-8") as config:
        config.write(f"database_url: '{url}'\n")
    nodes = Nodes(root)
    nodes.start("a.log")
    wait_for(lambda: "this node leads" in nodes.log("a.log"), "the first node to lead")
    wait_for(lambda: "running:" in nodes.log("a.log"), "the leader's start")
    nodes.start("b.log")
    wait_for(lambda: "standing by" in nodes.log("b.log"), "the second node to stand by")
    return nodes


def assert_each_accepted_once(server: TwilioLikeServer, url: str) -> None:
    recipients = Counter(request["To"] for request in server.recorded.accepted)
    assert len(recipients) == FAMILIES, "nobody was lost"
    assert max(recipients.values()) == 1, "nobody got it twice"
    assert pg_counts(url) == Counter({"sent": FAMILIES})


@needs_postgresql
def test_the_standby_takes_over_a_dead_leader_and_fires_once(tmp_path: Path, pg_url: str) -> None:
    with TwilioLikeServer() as server:
        nodes = two_nodes(tmp_path, server, pg_url)
        try:
            assert pg_counts(pg_url) == Counter(), "nothing due before 10:00"
            nodes.kill_leader()  # its session, and so its lock, dies with it
            wait_for(lambda: "this node leads" in nodes.log("b.log"), "the takeover", 30)
            wait_for(lambda: pg_counts(pg_url)["sent"] == FAMILIES, "the 10:00 occurrence", 120)
            # The acceptances are written before the node says it has sent: stopping it as soon
            # as the store shows them could end it between the two.
            said = "family-greeting 2027-01-30: sent"
            wait_for(lambda: said in nodes.log("b.log"), "the new leader's report of it", 30)
        finally:
            nodes.stop()
        assert_each_accepted_once(server, pg_url)


@needs_postgresql
def test_a_leader_killed_mid_dispatch_loses_and_doubles_nothing(
    tmp_path: Path, pg_url: str
) -> None:
    with TwilioLikeServer(delay=0.3) as server:
        nodes = two_nodes(tmp_path, server, pg_url)
        try:
            wait_for(lambda: len(server.recorded.accepted) >= 5, "the dispatch to start", 120)
            nodes.kill_leader()
            wait_for(lambda: "this node leads" in nodes.log("b.log"), "the takeover", 30)
            wait_for(lambda: pg_counts(pg_url)["sent"] == FAMILIES, "the rest", 120)
        finally:
            nodes.stop()
        assert_each_accepted_once(server, pg_url)
    assert "+86138" not in nodes.log("a.log") + nodes.log("b.log")


#: The standbys' poll in the test below: far longer than one occurrence takes to send.
LONG_POLL = 20


@needs_postgresql
def test_a_standby_is_woken_by_the_leaders_plan_before_its_next_poll(
    tmp_path: Path, pg_url: str
) -> None:
    """The leader plans at 10:00 and notifies; the standby, which polls only every 20 s, claims
    messages before its first poll could have come: it was woken."""
    root = copy_sample(tmp_path)
    with TwilioLikeServer() as server:
        # Two messages a second shared by both nodes: the occurrence takes ~15 s, and each
        # node claims two messages at a time (concurrency 1), so the standby finds some left.
        one_push(
            root, server, "{messages_per_second: 2, segments_per_second: null, concurrency: 1}"
        )
        with (root / "config.yaml").open("a", encoding="utf-8") as config:
            config.write(
                f"database_url: '{pg_url}'\nscheduler: {{node_poll_seconds: {LONG_POLL}}}\n"
            )
        # The standby starts 15 s or less before 10:00 (its first poll comes after 10:00), and
        # listens by then.
        nodes = Nodes(root, datetime.fromisoformat("2027-01-30T09:59:45+08:00"))
        try:
            nodes.start("a.log")
            wait_for(lambda: "running:" in nodes.log("a.log"), "the leader's start")
            before_standby = datetime.now(UTC)
            standby = nodes.start("b.log")
            wait_for(lambda: "standing by" in nodes.log("b.log"), "the standby")
            assert pg_counts(pg_url)["sent"] == 0, "started before the 10:00 occurrence"
            wait_for(lambda: pg_counts(pg_url)["sent"] == FAMILIES, "the occurrence", 120)
        finally:
            nodes.stop()
        assert_each_accepted_once(server, pg_url)
    claims = claim_times(pg_url, standby.pid)
    assert claims, "the standby sent part of the occurrence"
    first_poll = before_standby + timedelta(seconds=LONG_POLL)
    assert min(claims) < first_poll, "the standby claimed before its first poll: it was woken"


def claim_times(url: str, pid: int) -> list[datetime]:
    """When the node with `pid` claimed the messages it holds (its machine's clock)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("select claimed_by, claimed_at from message")).all()
    finally:
        engine.dispose()
    return [at for by, at in rows if by and by.split(":")[1] == str(pid)]


#: A node opening the store: the schema brought up to date, alembic's log on stderr.
OPEN_STORE = (
    "import logging, sys; logging.basicConfig(level=logging.INFO, stream=sys.stderr); "
    "from reminder.store import open_store; open_store(sys.argv[1]).close()"
)


@needs_postgresql
def test_two_nodes_starting_on_an_old_schema_at_once_migrate_it_once(pg_url: str) -> None:
    """Both wait on the store's migration lock (held here until both are queued on it); the
    first to get it migrates, the other then finds the schema at head and changes nothing."""
    schema = pg_url.rsplit("%3D", 1)[1]
    engine = create_engine(pg_url)
    try:
        with engine.connect() as holder:
            holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": migrate._lock_key(schema)})
            holder.commit()
            opening = [
                subprocess.Popen(
                    [sys.executable, "-c", OPEN_STORE, pg_url],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
                for _node in range(2)
            ]
            wait_for(lambda: _waiting_on_advisory_locks(engine) == 2, "both nodes to queue")
            holder.execute(text("SELECT pg_advisory_unlock_all()"))
            holder.commit()
            outputs = [node.communicate(timeout=120)[0] for node in opening]
        assert [node.returncode for node in opening] == [0, 0], outputs
        ran = [output.count("Running upgrade") for output in outputs]
        revisions = len(list(ScriptDirectory(str(migrate.MIGRATIONS)).walk_revisions()))
        assert sorted(ran) == [0, revisions], "one node ran every migration, the other none"
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()


def _waiting_on_advisory_locks(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                    "WHERE l.locktype = 'advisory' AND NOT l.granted "
                    "AND d.datname = current_database()"
                )
            ).scalar_one()
        )
