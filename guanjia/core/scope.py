"""What a signed-in person may reach: their posts per estate, their zones, their own archive
entry. Computed once per request and kept on the user object. Domain models are referenced
by name so that core depends on no domain app."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps

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


def scope_of(user: Any) -> Scope:
    if not getattr(user, "is_authenticated", False):
        return Scope()
    cached = getattr(user, "_guanjia_scope", None)
    if cached is not None:
        return cached
    scope = Scope(person_id=getattr(user, "person_id", None))
    posting_model = apps.get_model("accounts", "Posting")
    for estate_id, post in posting_model.objects.filter(user=user, active=True).values_list("estate_id", "post"):
        scope.posts.setdefault(estate_id, set()).add(post)
    zone_model = apps.get_model("estates", "Zone")
    scope.zone_ids = set(zone_model.objects.filter(butler=user).values_list("id", flat=True))
    user._guanjia_scope = scope
    return scope


def forget_scope(user: Any) -> None:
    if hasattr(user, "_guanjia_scope"):
        del user._guanjia_scope
