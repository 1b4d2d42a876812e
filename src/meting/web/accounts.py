"""Accounts, sessions and API tokens: argon2 password hashes, random keys of which only
their SHA-256 is stored, and login failures counted per account and per address."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import NamedTuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker
from zxcvbn import zxcvbn

from meting.store import Store, StoreError
from meting.store.models import Organisation
from meting.store.web_models import (
    ROLES,
    ApiToken,
    LoginFailure,
    User,
    UserOrganisation,
    WebSession,
)
from meting.web.texts import LANGUAGES

SESSION_HOURS = 12
FAILURE_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_ACCOUNT = 5  # in the window, then that account's logins are refused
MAX_FAILURES_ADDRESS = 20  # in the window, from one address (many accounts)
MIN_PASSWORD = 12
# zxcvbn's score of how hard a password is to guess (0-4); 3: about 10^8 guesses or more.
# Length alone let "aaaaaaaaaaaa" and "123456789012" through.
MIN_STRENGTH = 3
PUBLIC = "public"

_hasher = PasswordHasher()


class AccountError(StoreError):
    """A request about accounts that cannot be done; the message says why."""


class PasswordRefused(AccountError):
    def __init__(self, code: str, message: str) -> None:
        self.code = code  # the text key the dashboard shows
        super().__init__(message)


class LoginRefused(Exception):
    def __init__(self, limited: bool) -> None:
        self.limited = limited  # too many failures (else: wrong email or password)
        super().__init__("too many failed logins" if limited else "wrong email or password")


@dataclass(frozen=True)
class Viewer:
    """Who asks: an account (via a session or an API token), or the public."""

    role: str = PUBLIC
    user_id: int | None = None
    email: str = ""
    umbrella: str | None = None
    organisation_ids: frozenset[int] = field(default_factory=frozenset)
    csrf: str | None = None  # of the session; None for tokens and the public
    must_change_password: bool = False  # signed in with a one-time password

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None

    @property
    def sees_all(self) -> bool:
        return self.role == "coordinator"

    def sees(self, organisation_id: int, umbrella: str | None) -> bool:
        """Whether this viewer may see an organisation's results."""
        if self.role == "coordinator":
            return True
        if self.role == "umbrella":
            return umbrella is not None and umbrella == self.umbrella
        if self.role == "organisation":
            return organisation_id in self.organisation_ids
        return False


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def guessable(password: str, email: str) -> bool:
    """Too easy to guess for zxcvbn, which also tries the account's own address."""
    own = [email, email.split("@")[0], "meting"]
    # zxcvbn's time grows fast with length; the first 100 characters decide (more can
    # only make a password harder to guess)
    return int(zxcvbn(password[:100], user_inputs=own)["score"]) < MIN_STRENGTH


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SignedIn(NamedTuple):
    key: str  # the session cookie's value
    csrf: str
    lang: str  # the account's language: the dashboard switches to it


class Accounts:
    def __init__(self, store: Store) -> None:
        self.sessions = sessionmaker(store.engine, expire_on_commit=False)

    # accounts (meting user ...)

    def add(self, email: str, role: str, organisations: list[str] | None = None,
            umbrella: str | None = None, lang: str = "nl") -> str:
        """Create an account; its one-time password."""
        email = _normal_email(email)
        if lang not in LANGUAGES:
            raise AccountError(f"language {lang!r}: one of {', '.join(LANGUAGES)}")
        if role not in ROLES:
            raise AccountError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
        organisations = organisations or []
        if role == "organisation" and not organisations:
            raise AccountError("an organisation account needs --organisation NAME")
        if role == "umbrella" and not umbrella:
            raise AccountError("an umbrella account needs --umbrella NAME")
        password = secrets.token_urlsafe(12)
        with self.sessions.begin() as session:
            if session.scalar(select(User.id).where(User.email == email)) is not None:
                raise AccountError(f"there is already an account {email}")
            if role == "umbrella":
                _check_umbrella(session, umbrella or "")
            ids = _organisation_ids(session, organisations)
            user = User(email=email, role=role, umbrella=umbrella if role == "umbrella" else None,
                        password_hash=hash_password(password), must_change_password=True,
                        created_at=_now(), lang=lang)
            session.add(user)
            session.flush()
            session.add_all(UserOrganisation(user_id=user.id, organisation_id=i) for i in ids)
        return password

    def list(self) -> list[tuple[str, str, str]]:
        """(email, role, what it sees) of every account."""
        with self.sessions() as session:
            names = {(u, n) for u, n in session.execute(
                select(UserOrganisation.user_id, Organisation.name).join(
                    Organisation, Organisation.id == UserOrganisation.organisation_id))}
            found = []
            for user in session.scalars(select(User).order_by(User.email)):
                scope = user.umbrella or ", ".join(sorted(n for u, n in names if u == user.id))
                found.append((user.email, user.role, scope))
            return found

    def remove(self, email: str) -> None:
        with self.sessions.begin() as session:
            user = _user(session, email)
            session.delete(user)

    def set_password(self, email: str, current: str, new: str) -> None:
        """Replace the password (after checking the current one); it is then the user's own."""
        if len(new) < MIN_PASSWORD:
            raise PasswordRefused("password_short",
                                  f"a password has at least {MIN_PASSWORD} characters")
        if guessable(new, email):
            raise PasswordRefused("password_guessable", "the password is easy to guess (a "
                                  "common word or name, a repetition or a sequence)")
        if new == current:
            raise PasswordRefused("password_same",
                                  "the new password must differ from the current one")
        with self.sessions.begin() as session:
            user = _user(session, email)
            if not password_matches(user.password_hash, current):
                raise PasswordRefused("password_wrong_current", "the current password is wrong")
            user.password_hash = hash_password(new)
            user.must_change_password = False

    def set_language(self, email: str, lang: str) -> None:
        """The account's language (nl or en): of the dashboard it chose and of its mails."""
        if lang not in LANGUAGES:
            raise AccountError(f"language {lang!r}: one of {', '.join(LANGUAGES)}")
        with self.sessions.begin() as session:
            _user(session, email).lang = lang

    def new_token(self, email: str) -> str:
        token = "mt_" + secrets.token_urlsafe(32)
        with self.sessions.begin() as session:
            user = _user(session, email)
            session.add(ApiToken(key_hash=digest(token), user_id=user.id, created_at=_now()))
        return token

    # logging in

    def log_in(self, email: str, password: str, address: str) -> SignedIn:
        """A new session for a correct email and password."""
        email = _normal_email(email, strict=False)
        keys = (f"account:{email}", f"address:{address}")
        with self.sessions.begin() as session:
            since = _now() - FAILURE_WINDOW
            session.execute(delete(LoginFailure).where(LoginFailure.at < since))  # past windows
            failures = [session.scalar(select(func.count()).select_from(LoginFailure).where(
                LoginFailure.key == key, LoginFailure.at >= since)) or 0 for key in keys]
            if failures[0] >= MAX_FAILURES_ACCOUNT or failures[1] >= MAX_FAILURES_ADDRESS:
                raise LoginRefused(limited=True)
            user = session.scalar(select(User).where(User.email == email))
            stored = user.password_hash if user else None
            if user is None or not password_matches(stored, password):
                session.add_all(LoginFailure(key=key, at=_now()) for key in keys)
                raise_later = True
            else:
                raise_later = False
                session.execute(delete(LoginFailure).where(LoginFailure.key == keys[0]))
                key, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
                lang = user.lang
                session.add(WebSession(key_hash=digest(key), user_id=user.id, csrf=csrf,
                                       created_at=_now(),
                                       expires_at=_now() + dt.timedelta(hours=SESSION_HOURS)))
        if raise_later:  # after the commit, so that the failure is counted
            raise LoginRefused(limited=False)
        return SignedIn(key, csrf, lang)

    def log_out(self, key: str) -> None:
        with self.sessions.begin() as session:
            session.execute(delete(WebSession).where(WebSession.key_hash == digest(key)))

    def by_session(self, key: str) -> Viewer | None:
        with self.sessions() as session:
            row = session.execute(select(WebSession.user_id, WebSession.csrf).where(
                WebSession.key_hash == digest(key), WebSession.expires_at > _now())).first()
            return None if row is None else _viewer(session, row[0], row[1])

    def by_token(self, token: str) -> Viewer | None:
        with self.sessions() as session:
            user_id = session.scalar(select(ApiToken.user_id).where(
                ApiToken.key_hash == digest(token)))
            return None if user_id is None else _viewer(session, user_id, None)


def _viewer(session: Session, user_id: int, csrf: str | None) -> Viewer | None:
    user = session.get(User, user_id)
    if user is None:
        return None
    ids = frozenset(session.scalars(select(UserOrganisation.organisation_id).where(
        UserOrganisation.user_id == user_id)))
    return Viewer(role=user.role, user_id=user.id, email=user.email, umbrella=user.umbrella,
                  organisation_ids=ids, csrf=csrf,
                  must_change_password=csrf is not None and user.must_change_password)


def _normal_email(email: str, strict: bool = True) -> str:
    email = email.strip().lower()
    if strict and (email.count("@") != 1 or email.startswith("@") or email.endswith("@")):
        raise AccountError(f"{email!r} is not an email address")
    return email


def _user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == _normal_email(email, strict=False)))
    if user is None:
        raise AccountError(f"there is no account {email}")
    return user


def _organisation_ids(session: Session, names: list[str]) -> list[int]:
    ids = []
    for name in names:
        found = session.scalar(select(Organisation.id).where(Organisation.name == name))
        if found is None:
            raise AccountError(f"there is no organisation {name!r} in the registry")
        ids.append(found)
    return ids


def _check_umbrella(session: Session, umbrella: str) -> None:
    known = sorted(u for u in session.scalars(select(Organisation.umbrella).distinct()) if u)
    if umbrella not in known:
        raise AccountError(f"no organisation has umbrella {umbrella!r} (known: "
                           f"{', '.join(known) or 'none yet'})")
