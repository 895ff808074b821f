"""Delivery: gateways, dispatch under rate limits, claims and recovery, receipts."""
