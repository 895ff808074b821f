"""Who claimed a message: the identity of a dispatching process, and whether it still runs.

A message is marked `sending` with its owner before the request leaves. After a crash the next
process must tell a claim whose owner is gone (recover it) from one whose owner is still at work
(leave it alone). A process id alone cannot tell: after a container restart an unrelated process
often has the dead one's pid. So the owner is the host, the pid, the process's start time (in
clock ticks since boot, from /proc) and the boot id; a claim is alive only when all four match a
running process. Where /proc cannot say (another host, another OS, a claim written by an older
version), the answer is "unknown" and the claim lease decides.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None


def boot_id() -> str:
    """This boot of this machine ('-' where the system does not say)."""
    found = _read(PROC / "sys" / "kernel" / "random" / "boot_id")
    return found.replace("-", "")[:12] if found else "-"


def start_ticks(pid: int) -> str | None:
    """When process `pid` started, in clock ticks since boot (None: no such process, or no
    /proc). Field 22 of /proc/PID/stat; the command name before it may hold spaces and ')'."""
    stat = _read(PROC / str(pid) / "stat")
    if stat is None:
        return None
    fields = stat.rpartition(")")[2].split()
    # fields[0] is field 3 (state), so field 22 is fields[19].
    return fields[19] if len(fields) > 19 else None


@dataclass(frozen=True)
class Owner:
    """One dispatching process: host, pid, start time and boot id."""

    host: str
    pid: int
    started: str
    boot: str

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.started}:{self.boot}"

    @classmethod
    def parse(cls, text: str) -> Owner | None:
        """The owner written by `str()`; None for any other text (an older format)."""
        parts = text.rsplit(":", 3)
        if len(parts) != 4 or not parts[1].isdigit():
            return None
        host, pid, started, boot = parts
        if not (started.isdigit() or started == "-"):
            return None
        return cls(host, int(pid), started, boot)


_current: Owner | None = None


def current() -> Owner:
    """This process (worked out again in a forked child, which has a pid of its own)."""
    global _current
    pid = os.getpid()
    if _current is None or _current.pid != pid:
        _current = Owner(socket.gethostname(), pid, start_ticks(pid) or "-", boot_id())
    return _current


def alive(claimed_by: str | None, me: Owner | None = None) -> bool | None:
    """Whether the process that wrote `claimed_by` still runs: True, False, or None when this
    machine cannot tell (another host, no /proc, an older format): then the lease decides."""
    if not claimed_by:
        return False
    me = me or current()
    owner = Owner.parse(claimed_by)
    if owner is None:
        return _alive_legacy(claimed_by, me)
    if owner.host != me.host:
        return None
    if owner == me:
        return True
    if owner.boot != "-" and me.boot != "-" and owner.boot != me.boot:
        return False  # the machine restarted since: every process of that boot is gone
    if owner.started == "-":
        return None
    return start_ticks(owner.pid) == owner.started


def _alive_legacy(claimed_by: str, me: Owner) -> bool | None:
    """A claim written as `host:pid:nonce` by an older version: a pid that no longer exists is
    gone; one that exists may be another process by now, so the lease decides."""
    host, _, rest = claimed_by.partition(":")
    pid = rest.partition(":")[0]
    if host != me.host or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return None
    return None
