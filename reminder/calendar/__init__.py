"""Dates: festivals, official holiday periods, and campaign windows resolved for a year."""
