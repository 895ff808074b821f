"""The console's guards: server-side sessions with expiry, CSRF tokens, login throttling and the
security headers of every response.

Sessions live in the web process (a restart logs everyone out): the cookie carries only a
random token, so a forged or guessed one names no session. Each session has its own CSRF token,
which every state-changing form carries; a login form gets an anonymous session for its token.
Time comes from the App's clock, so tests move it to expire a session.
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from reminder.clock import Clock

COOKIE = "reminder_session"
#: After this many failed logins of one name, or from one address, within `THROTTLE_WINDOW`,
#: logins are refused without checking the password until the window has passed.
THROTTLE_LIMIT = 10
THROTTLE_WINDOW = timedelta(minutes=15)
#: A session ends after this long whatever its activity.
SESSION_MAX = timedelta(hours=12)

#: Scripts from nowhere, styles and images from the console itself only.
CSP = (
    "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
#: The coverage report page is one self-contained document with its own inline styles.
CSP_REPORT = CSP.replace("style-src 'self'", "style-src 'unsafe-inline'")
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@dataclass
class Session:
    """One browser's session: who logged in (None before login), its CSRF token, and when it
    ends (`idle_until`, pushed on by each request, and `ends`)."""

    token: str
    csrf: str
    user: str | None
    idle_until: datetime
    ends: datetime


class Sessions:
    """Every live session, by token."""

    def __init__(self, clock: Clock, idle: timedelta) -> None:
        self.clock = clock
        self.idle = idle
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def start(self, user: str | None) -> Session:
        """A new session (a new token: no fixation of a token from before login)."""
        now = self.clock.now()
        session = Session(
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(32),
            user,
            now + self.idle,
            now + SESSION_MAX,
        )
        with self._lock:
            self._sessions[session.token] = session
        return session

    def get(self, token: str | None) -> Session | None:
        """The live session of `token`, its idle time renewed; None if there is none."""
        if not token:
            return None
        now = self.clock.now()
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return None
            if now >= session.idle_until or now >= session.ends:
                del self._sessions[token]
                return None
            session.idle_until = now + self.idle
            return session

    def end(self, token: str | None) -> None:
        """Log out."""
        with self._lock:
            self._sessions.pop(token or "", None)


@dataclass
class Throttle:
    """Failed logins by name and by address, for `THROTTLE_WINDOW`."""

    clock: Clock
    failures: dict[str, deque[datetime]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, key: str) -> deque[datetime]:
        found = self.failures.setdefault(key, deque())
        horizon = self.clock.now() - THROTTLE_WINDOW
        while found and found[0] < horizon:
            found.popleft()
        return found

    def blocked(self, *keys: str) -> bool:
        """Whether logins for any of `keys` (a name, an address) are refused now."""
        with self.lock:
            return any(len(self._recent(k)) >= THROTTLE_LIMIT for k in keys)

    def failed(self, *keys: str) -> None:
        """Count one failed login against each of `keys`."""
        with self.lock:
            for key in keys:
                self._recent(key).append(self.clock.now())


def same_token(given: object, expected: str) -> bool:
    """Whether a form's CSRF token is the session's (compared in constant time)."""
    return isinstance(given, str) and secrets.compare_digest(given, expected)
