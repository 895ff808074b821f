"""What the application core owns — config, clock, project, store and gateways — each loaded
when first needed, and closed by whoever opened it (`reminder.core.app.App` is built on it).

`pause` needs the store but not the campaign files, `validate` the files but not the store.
Project and gateways load together, so every problem with either is reported at once. Tests
inject a project, a gateway or a store; only what was opened here is closed here. A gateway
whose provider answers on its own connection (SMPP's receipts and replies) is given the store
to write them to (`StoreSink`) when a dispatch begins (`give_sinks`).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Self

from reminder.clock import Clock
from reminder.delivery.gateways.base import Gateway
from reminder.delivery.gateways.registry import build_gateway
from reminder.delivery.sink import StoreSink
from reminder.errors import (
    CredentialError,
    InputError,
    OperationalError,
    Problem,
    ReminderError,
)
from reminder.inputs.config import Config
from reminder.inputs.project import Project, load_project
from reminder.store import Store, open_store
from reminder.store.nodes import NodeBoard, node_board

log = logging.getLogger("reminder.run")


class Resources:
    """Config, clock, project, store and gateways, loaded on first use (see the module doc)."""

    def __init__(
        self,
        config: Config,
        clock: Clock,
        *,
        project: Project | None = None,
        gateway: Gateway | None = None,
        store: Store | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self._project = project
        self._gateway = gateway
        #: Gateways other than the config's that pushes name (failover), built at `load`.
        self._gateways: dict[str, Gateway] = {}
        self._store = store
        self._owns_store = store is None
        self._nodes: NodeBoard | None = None
        #: Occurrence fingerprints of one loaded project, by (campaign, date) (`core.approval`).
        self.fingerprints: tuple[object, dict[tuple[str, date], str]] = (None, {})
        #: Messages this process sent (accepted by a provider): the heartbeat's throughput.
        self.sent_messages = 0
        #: Set to stop: dispatches finish the message in flight, runs of what is due stop.
        self.stopping = threading.Event()
        #: Held by a run of what is due and by a reload, so a run sees one set of files.
        self.lock = threading.Lock()

    # --- what it owns ---------------------------------------------------------------------

    @property
    def project(self) -> Project:
        """The checked campaign files (loaded with the gateway on first use)."""
        if self._project is None:
            self.load()
        assert self._project is not None
        return self._project

    @property
    def gateway(self) -> Gateway:
        """The configured gateway (loaded with the project on first use)."""
        if self._gateway is None:
            self.load()
        assert self._gateway is not None
        return self._gateway

    @property
    def store(self) -> Store:
        """The store, opened (created and migrated if need be) on first use."""
        if self._store is None:
            self._store = open_store(self.config.database_url)
        return self._store

    @property
    def nodes(self) -> NodeBoard | None:
        """The heartbeats and shared rates of the store's nodes (None: an in-memory store)."""
        if self._nodes is None:
            self._nodes = node_board(self.store)
        return self._nodes

    def wake_nodes(self, due: datetime | None = None) -> None:
        """Tell the idle nodes of a shared store that messages are planned (`due`: deferred
        ones falling due then), so they send at once rather than at their next poll
        (`reminder.store.wakeup`). A failure only costs them that poll: logged, not raised."""
        board = self.nodes
        if board is None or not board.shared:
            return
        try:
            board.wake(due.isoformat() if due is not None else "")
        except OperationalError as exc:
            log.warning("%s", exc)

    def load(self) -> None:
        """Load and check every file and the gateway settings; raise one `InputError` with every
        problem of both, else the first `CredentialError` (a credential not in the environment)."""
        problems: list[Problem] = []
        unset: list[CredentialError] = []
        project, gateway = self._project, self._gateway
        if project is None:
            try:
                project = load_project(self.config)
            except InputError as exc:
                problems.extend(exc.problems)
        if gateway is None:
            gateway = _built(lambda: build_gateway(self.config), problems, unset)
        others: dict[str, Gateway] = {}
        for name in project.gateway_names() if project is not None else ():
            if gateway is None or name == gateway.name or name in self._gateways:
                continue
            built = _built(functools.partial(build_gateway, self.config, name), problems, unset)
            if built is not None:
                others[name] = built
        if problems:
            raise InputError(problems)
        if unset:
            raise unset[0]
        self._project, self._gateway = project, gateway
        self._gateways.update(others)

    def gateway_named(self, name: str) -> Gateway:
        """A configured gateway by name (the config's `gateway`, or one a push names), built
        once."""
        if name == self.gateway.name:
            return self.gateway
        if name not in self._gateways:
            self._gateways[name] = build_gateway(self.config, name)
        return self._gateways[name]

    def give_sinks(self) -> None:
        """Let every gateway built so far write what arrives on its own connection (SMPP's
        receipts and replies) to the store; called where a dispatch begins."""
        region = self.config.settings.default_region
        for gateway in (self.gateway, *self._gateways.values()):
            if gateway.sink is None:
                gateway.attach(StoreSink(self.store, self.clock, region))

    def find_gateway(self, name: str) -> Gateway | None:
        """`gateway_named`, or None when it cannot be built here (reconciliation then leaves
        that gateway's messages alone)."""
        try:
            return self.gateway_named(name)
        except ReminderError:
            return None

    def reload(self) -> Project:
        """Read the campaign files again; on a problem raise `InputError` and keep the old ones."""
        project = load_project(self.config)
        with self.lock:
            self._project = project
        return project

    @contextmanager
    def existing_store(self) -> Iterator[Store | None]:
        """The store if it exists already, neither created nor migrated (a dry run writes
        nothing); None if there is none yet."""
        if self._store is not None:
            yield self._store
            return
        store = _open_existing(self.config.database_url)
        try:
            yield store
        finally:
            if store is not None:
                store.close()

    def close(self) -> None:
        """Close the store if this App opened it."""
        if self._owns_store and self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request_stop(self) -> None:
        """Stop: the messages in flight finish, nothing new is claimed (see `stopping`)."""
        self.stopping.set()


def _open_existing(url: str) -> Store | None:
    """The store at `url` if it exists with a schema, else None; it is neither created nor
    migrated. (A SQLite URL names a file, which opening would create.)"""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not Path(url[len(prefix) :]).exists():
        return None
    try:
        return open_store(url, migrate_schema=False)
    except OperationalError:
        return None


def _built(
    build: Callable[[], Gateway], problems: list[Problem], unset: list[CredentialError]
) -> Gateway | None:
    """`build()`, or None with its input problems or missing credential collected."""
    try:
        return build()
    except InputError as exc:
        problems.extend(exc.problems)
    except CredentialError as exc:
        unset.append(exc)
    return None
