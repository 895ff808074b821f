"""Gateways: adapters that send one message (ARCHITECTURE.md invariant 4)."""

from reminder.gateways.base import Accepted, Gateway, OutgoingMessage

__all__ = ["Accepted", "Gateway", "OutgoingMessage"]
