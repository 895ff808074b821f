"""The functions APScheduler calls, importable by reference (`reminder.daemon.jobs:fire`).

A persistent APScheduler job store keeps jobs as a textual reference plus arguments, and
silently drops a job whose function cannot be imported; so the job function lives here, takes
only plain ids, and finds the running daemon's `Runtime` through `install()`.
"""

from __future__ import annotations

import logging

from reminder.daemon.runner import Runtime, run_due

log = logging.getLogger("reminder.run")

_runtime: Runtime | None = None


def install(runtime: Runtime | None) -> None:
    """Make `runtime` the one the jobs use (None to uninstall)."""
    global _runtime
    _runtime = runtime


def fire(campaign_id: str, push_id: str) -> None:
    """Handle the due occurrences of one push; errors are logged, never raised into APScheduler."""
    runtime = _runtime
    if runtime is None:
        log.error("job %s/%s fired without a running daemon", campaign_id, push_id)
        return
    try:
        run_due(runtime, campaign_id, push_id)
    except Exception:
        log.exception("%s/%s: the occurrence could not be run", campaign_id, push_id)


def sweep() -> None:
    """Run every push of every campaign once: recovers what a dead process left unfinished, and
    sends or expires what is due (the same as the catch-up at start)."""
    runtime = _runtime
    if runtime is None:
        log.error("the sweep fired without a running daemon")
        return
    for campaign_id, source in sorted(runtime.project.campaigns.items()):
        for push in source.campaign.pushes:
            if runtime.stopping.is_set():
                return
            fire(campaign_id, push.id)
