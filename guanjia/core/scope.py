"""What a signed-in person may reach: their posts per estate, their zones, their own archive
entry. Computed once per request and kept on the user object. The user model (accounts.User,
above core in the app graph) reads its own postings and zones in `load_scope`, so that core
depends on no domain app."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from guanjia.core.roles import CAPABILITIES


@dataclass
class Scope:
    posts: dict[int, set[str]] = field(default_factory=dict)
    zone_ids: set[int] = field(default_factory=set)
    person_id: int | None = None

    def capabilities(self, estate_id: int) -> set[str]:
        found: set[str] = set()
        for post in self.posts.get(estate_id, ()):
            found |= CAPABILITIES.get(post, frozenset())
        return found

    def can(self, estate_id: int | None, capability: str) -> bool:
        return estate_id is not None and capability in self.capabilities(estate_id)

    def estates_with(self, capability: str) -> list[int]:
        return sorted(e for e in self.posts if capability in self.capabilities(e))

    @property
    def is_staff_member(self) -> bool:
        return bool(self.posts)


class ScopedUser(Protocol):
    """What scope_of and posts_in need of a signed-in user: accounts.User provides it."""

    def load_scope(self) -> Scope: ...

    def load_posts_in(self, estate_id: int) -> set[str]: ...


def scope_of(user: Any) -> Scope:
    if not getattr(user, "is_authenticated", False):
        return Scope()
    cached = getattr(user, "_guanjia_scope", None)
    if cached is not None:
        return cached
    scope = user.load_scope()
    user._guanjia_scope = scope
    return scope


def posts_in(user: Any, estate_id: int) -> frozenset[str]:
    """The user's posts in one estate: from their scope when the request has read it already,
    else by one read of that estate's postings alone, kept for the rest of the request. Enough
    for a check that names its estate and needs no zones: taking a request and checking a parcel
    in, the two busiest writes, ask nothing more of the user's reach."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_guanjia_scope", None)
    if cached is not None:
        return frozenset(cached.posts.get(estate_id, ()))
    known: dict[int, frozenset[str]] = user.__dict__.setdefault("_guanjia_posts_in", {})
    if estate_id not in known:
        known[estate_id] = frozenset(user.load_posts_in(estate_id))
    return known[estate_id]


def holds(user: Any, estate_id: int, capability: str) -> bool:
    """Whether any of the user's posts in the estate carries the capability (see posts_in)."""
    return any(capability in CAPABILITIES.get(post, frozenset()) for post in posts_in(user, estate_id))


def forget_scope(user: Any) -> None:
    for kept in ("_guanjia_scope", "_guanjia_posts_in"):
        if hasattr(user, kept):
            delattr(user, kept)
