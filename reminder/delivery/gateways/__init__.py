"""Gateways: adapters that send one message (ARCHITECTURE.md invariant 4)."""

from reminder.delivery.gateways.base import Accepted, Gateway, OutgoingMessage

__all__ = ["Accepted", "Gateway", "OutgoingMessage"]
