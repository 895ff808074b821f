"""Users and roles: who may look, draft, approve and administer.

Roles are ordered — `viewer` < `drafter` < `approver` < `admin` — and a role may do what the ones
below it may. Passwords are hashed with Argon2 (argon2-cffi); a hash made with older parameters
is re-hashed at the next login. Every change is in the audit trail.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from reminder.errors import PermissionDeniedError, UsageError
from reminder.i18n import _
from reminder.store import User

if TYPE_CHECKING:
    from reminder.core.app import App

ROLES = ("viewer", "drafter", "approver", "admin")
MIN_PASSWORD = 8

_hasher = PasswordHasher()


def allows(role: str, needed: str) -> bool:
    """Whether `role` may do what `needed` may."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UsageError(
            _("unknown role {role!r}; roles: {roles}").format(role=role, roles=", ".join(ROLES))
        )


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UsageError(_("a password has at least {count} characters").format(count=MIN_PASSWORD))


def add_user(app: App, name: str, role: str, password: str, *, actor: str) -> User:
    """Add a user with a role and a password (hashed)."""
    _check_role(role)
    _check_password(password)
    if not name.strip() or name != name.strip():
        raise UsageError(_("a user name is not empty and has no surrounding spaces"))
    user = User(
        name=name, role=role, password_hash=_hasher.hash(password), created_at=app.clock.now()
    )
    if not app.store.add_user(user):
        raise UsageError(_("there is already a user {name!r}").format(name=name))
    app.audit(actor, "user.added", f"user/{name}", role=role)
    return user


def _keep_an_admin(app: App, name: str) -> None:
    """Refuse to take away the last enabled admin: nobody could give the role back."""
    user = app.store.user(name)
    if user is None or user.role != "admin" or user.disabled:
        return
    others = [u for u in app.store.users() if u.role == "admin" and not u.disabled]
    if [u.name for u in others] == [name]:
        raise UsageError(
            _("{name} is the last admin; make another user admin first").format(name=name)
        )


def set_disabled(app: App, name: str, disabled: bool, *, actor: str) -> None:
    """Disable (or enable again) a user: a disabled user cannot log in or approve."""
    if disabled:
        _keep_an_admin(app, name)
    if not app.store.update_user(name, disabled=disabled):
        raise UsageError(_("no user {name!r}").format(name=name))
    app.audit(actor, "user.disabled" if disabled else "user.enabled", f"user/{name}")


def set_role(app: App, name: str, role: str, *, actor: str) -> None:
    """Give a user another role (not the last admin another than admin)."""
    _check_role(role)
    if role != "admin":
        _keep_an_admin(app, name)
    if not app.store.update_user(name, role=role):
        raise UsageError(_("no user {name!r}").format(name=name))
    app.audit(actor, "user.role", f"user/{name}", role=role)


def set_password(app: App, name: str, password: str, *, actor: str) -> None:
    """Set a user's password."""
    _check_password(password)
    if not app.store.update_user(name, password_hash=_hasher.hash(password)):
        raise UsageError(_("no user {name!r}").format(name=name))
    app.audit(actor, "user.password", f"user/{name}")


def authenticate(app: App, name: str, password: str) -> User | None:
    """The user if `password` is theirs and they are not disabled; None otherwise (the same
    work is done for an unknown name, so timing does not tell which names exist)."""
    user = app.store.user(name)
    stored = user.password_hash if user is not None else _DUMMY
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    if _hasher.check_needs_rehash(stored):
        app.store.update_user(name, password_hash=_hasher.hash(password))
    return user


def require(app: App, name: str, needed: str) -> User:
    """The enabled user `name`, who must have a role allowing `needed`."""
    user = app.store.user(name)
    if user is None or user.disabled:
        raise PermissionDeniedError(_("no enabled user {name!r}").format(name=name))
    if not allows(user.role, needed):
        raise PermissionDeniedError(
            _("{name} is a {role}; this needs the role {needed}").format(
                name=name, role=user.role, needed=needed
            )
        )
    return user


_DUMMY = _hasher.hash("not anyone's password")
