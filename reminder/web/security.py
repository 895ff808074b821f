"""The console's guards: server-side sessions with expiry, CSRF tokens, login throttling and the
security headers of every response.

Sessions live in the store (`web_session`), so a restart logs no one out and several console
processes share them. The cookie carries only a random token, and the store only its SHA-256:
a forged or guessed token names no session, and reading the table opens none. Expiry is
checked here, on the server, at every request; logging out deletes the row. Each session has
its own CSRF token, which every state-changing form carries; a login form gets an anonymous
session for its token. Time comes from the App's clock, so tests move it to expire a session.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from reminder.clock import Clock
from reminder.store import Store, WebSession

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


#: A session's idle end is written again only once it has moved on this much (not at every
#: request: a page view stays a read).
RENEW_STEP = timedelta(minutes=1)
#: How often a process deletes the sessions that are over (anonymous ones of login forms too).
PURGE_EVERY = timedelta(minutes=10)


def token_hash(token: str) -> str:
    """What the store keeps of a session's token."""
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    """Every live session, in the store, by the hash of its token."""

    def __init__(self, store: Store, clock: Clock, idle: timedelta) -> None:
        self.store = store
        self.clock = clock
        self.idle = idle
        self._purged: datetime | None = None
        self._lock = threading.Lock()

    def start(self, user: str | None) -> Session:
        """A new session (a new token: no fixation of a token from before login)."""
        now = self.clock.now()
        self._purge(now)
        session = Session(
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(32),
            user,
            now + self.idle,
            now + SESSION_MAX,
        )
        self.store.add_session(
            WebSession(
                token_hash=token_hash(session.token),
                csrf=session.csrf,
                user=user,
                idle_until=session.idle_until,
                ends=session.ends,
            )
        )
        return session

    def get(self, token: str | None) -> Session | None:
        """The live session of `token`, its idle time renewed; None if there is none."""
        if not token:
            return None
        now = self.clock.now()
        key = token_hash(token)
        found = self.store.web_session(key)
        if found is None:
            return None
        if now >= found.idle_until or now >= found.ends:
            self.store.end_session(key)
            return None
        idle_until = now + self.idle
        if idle_until - found.idle_until >= RENEW_STEP:
            self.store.renew_session(key, idle_until)
        return Session(token, found.csrf, found.user, idle_until, found.ends)

    def end(self, token: str | None) -> None:
        """Log out."""
        if token:
            self.store.end_session(token_hash(token))

    def _purge(self, now: datetime) -> None:
        with self._lock:
            if self._purged is not None and now - self._purged < PURGE_EVERY:
                return
            self._purged = now
        self.store.end_sessions_before(now)


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
