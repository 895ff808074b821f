"""Reconciliation: what became of messages whose outcome no one recorded.

A message is `sending` from its claim until its outcome is written. When the process that
claimed it dies (its owner is gone: see `reminder.delivery.owner`), or when the provider's answer
was lost (`unknown`), the next dispatch asks the provider before anything is sent again: a
message the provider has is marked `sent`, one it never received goes back to `planned`. A
gateway that cannot be asked leaves the message `unknown` for an operator; nothing is ever
resent blindly (ARCHITECTURE.md invariant 9).

Each message is asked about at the provider that carried it (its `gateway` column, written at
the claim): after a failover, a message of the first gateway is resolved by the first, never by
the next (a second provider cannot say the first does not have it). When that gateway cannot
be reached from here (`peers` does not know it), the message is left as it is, or, abandoned
`sending`, made `unknown`.

Whether a claim's owner is gone: on this host its process tells (`reminder.delivery.owner`);
on another, the node's heartbeat (`heartbeats`): a node that has not beat for the claim lease
is dead, and its messages are asked about; a node that beats is at work, however long a
message of it takes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeAlias

from reminder.clock import Clock
from reminder.delivery import owner
from reminder.delivery.gateways.base import Accepted, Gateway, OutgoingMessage
from reminder.errors import GatewayError
from reminder.status import Status
from reminder.store import Message, Selection, Store

#: Finds a configured gateway by name (None: not configured, or not buildable here).
GatewayFinder: TypeAlias = Callable[[str], Gateway | None]
#: Whether a node (its owner text) beat within a lease of now: True, False, or None when it
#: keeps no heartbeat here (`reminder.store.nodes.NodeBoard.beating`).
Heartbeats: TypeAlias = Callable[[str, datetime, timedelta], bool | None]


#: The columns of a stored message a gateway sees.
_OUTGOING_COLUMNS = (
    "id",
    "campaign",
    "push",
    "occurrence",
    "contact_id",
    "recipient",
    "body",
    "segments",
    "template",
    "variables",
)
_OUTGOING_SET = frozenset(_OUTGOING_COLUMNS)


def outgoing(message: Message) -> OutgoingMessage:
    """The gateway's view of a stored message."""
    # Read from the instance's dict: each attribute read through the ORM's descriptor costs
    # ~0.2 µs, and the dispatcher builds thousands of these a second. A message read from the
    # store holds every column there; one that does not is read attribute by attribute.
    values = message.__dict__
    if not values.keys() >= _OUTGOING_SET:
        values = {name: getattr(message, name) for name in _OUTGOING_COLUMNS}
    assert values["id"] is not None
    return OutgoingMessage(
        message_id=values["id"],
        campaign=values["campaign"],
        push=values["push"],
        occurrence=values["occurrence"],
        contact_id=values["contact_id"],
        to=values["recipient"],
        body=values["body"],
        segments=values["segments"],
        template=values["template"],
        variables=dict(values["variables"]),
    )


def owner_alive(claimed_by: str | None) -> bool | None:
    """Whether the process that claimed a message still runs (None: this machine cannot tell,
    e.g. another host; then the claim lease decides). See `reminder.delivery.owner`."""
    return owner.alive(claimed_by)


class Reconciler:
    """Asks the provider about the unfinished messages of a selection; `on_found` hears of each
    message found sent."""

    def __init__(
        self,
        store: Store,
        gateway: Gateway,
        clock: Clock,
        on_found: Callable[[Message], None] = lambda _message: None,
        peers: GatewayFinder | None = None,
        heartbeats: Heartbeats | None = None,
    ) -> None:
        self.store = store
        self.gateway = gateway
        self.clock = clock
        self.policy = gateway.settings.delivery
        self.on_found = on_found
        self.peers = peers
        self.heartbeats = heartbeats

    def carrier(self, message: Message) -> Gateway | None:
        """The gateway that carried `message` (this one when the message names none)."""
        name = message.gateway
        if name is None or name == self.gateway.name:
            return self.gateway
        return self.peers(name) if self.peers is not None else None

    async def run(self, selection: Selection) -> int:
        """Resolve what can be resolved; returns how many messages the provider was asked
        about and answered for."""
        resolved = 0
        for message in self.abandoned(selection) + self.unknown(selection):
            resolved += await self._one(message)
        return resolved

    def abandoned(self, selection: Selection) -> list[Message]:
        """Messages `sending` whose owner is gone: this host's process no longer runs, another
        host's node has not beat for the lease (or, keeping no heartbeat, the message is
        older than the lease)."""
        now = self.clock.now()
        lease = timedelta(seconds=self.policy.claim_lease_seconds)
        found = []
        for message in self.store.claims(selection, [Status.sending]):
            alive = owner_alive(message.claimed_by)
            if alive is None and self.heartbeats is not None and message.claimed_by:
                alive = self.heartbeats(message.claimed_by, now, lease)
            if alive is False or (alive is None and message.updated_at < now - lease):
                found.append(message)
        return found

    def unknown(self, selection: Selection) -> list[Message]:
        """Messages of unknown fate, where the provider that carried them can be asked."""
        found = []
        for message in self.store.claims(selection, [Status.unknown]):
            carrier = self.carrier(message)
            if carrier is not None and carrier.can_lookup:
                found.append(message)
        return found

    def lookup_since(self, message: Message, margin: float | None = None) -> datetime:
        """Where a provider lookup of `message` starts: its claim time by the claiming machine's
        own clock, less a margin for the provider's clock skew. Never the engine's clock, which
        a rehearsal simulates; a message claimed before claim times were kept uses the engine's
        last update."""
        claimed = message.claimed_at or message.updated_at
        if margin is None:
            margin = self.policy.lookup_margin_seconds
        return claimed - timedelta(seconds=margin)

    async def _one(self, message: Message) -> int:
        assert message.id is not None
        now = self.clock.now()
        carrier = self.carrier(message)
        if carrier is None or not carrier.can_lookup:
            cannot = (
                "the provider cannot be asked"
                if carrier is not None
                else f"its gateway {message.gateway} cannot be asked from here"
            )
            self.store.transition(
                message.id,
                Status.unknown,
                now,
                source="reconcile",
                detail=f"the process sending it stopped; {cannot}: resolve with "
                "`reminder retry --unknown`",
            )
            return 0
        since = self.lookup_since(message, carrier.settings.delivery.lookup_margin_seconds)
        try:
            found = await carrier.lookup(outgoing(message), since)
        except GatewayError as exc:
            if message.status == Status.sending.value:
                self.store.transition(
                    message.id,
                    Status.unknown,
                    now,
                    source="reconcile",
                    error_code=exc.code,
                    detail=f"lookup failed: {exc.text}",
                )
            return 0
        if found is None:
            # Only while the claim it looked at holds it: another node's reconciliation may
            # have put it back and a third claimed and sent it since.
            self.store.requeue(
                message.id,
                now,
                source="reconcile",
                detail="the provider never received it",
                owner=message.claimed_by,
            )
        else:
            self._sent(message, found)
        return 1

    def _sent(self, message: Message, accepted: Accepted) -> None:
        """Record a message the provider has as `sent` (no attempt is counted)."""
        assert message.id is not None
        now = self.clock.now()
        how = "reconciled: the provider has it"
        self.store.transition(
            message.id,
            Status.sent,
            now,
            source="reconcile",
            fields={
                "provider_id": accepted.provider_id,
                "sent_at": now,
                "error_code": None,
                "error_text": None,
            },
            detail=f"{how} ({accepted.status})" if accepted.status else how,
        )
        self.on_found(message)
