from __future__ import annotations

import datetime
import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanjia.core.roles import Post
from guanjia.core.scope import Scope
from guanjia.estates.models import Zone


class User(AbstractUser):
    """A login. Staff hold postings; an owner's login points at their archive entry."""

    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    person = models.OneToOneField(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="login",
        verbose_name=_("owner archive entry"),
    )
    # Set by a manager's password reset: the temporary password only lets its holder choose
    # a new one (accounts.middleware sends every page there; no API token is issued meanwhile).
    must_change_password = models.BooleanField(_("must change password"), default=False)

    def __str__(self) -> str:
        return self.display_name or self.username

    def load_scope(self) -> Scope:
        """Read what this login may reach (core.scope.scope_of keeps it for the request)."""
        scope = Scope(person_id=self.person_id)
        for estate_id, post in Posting.objects.filter(user=self, active=True).values_list("estate_id", "post"):
            scope.posts.setdefault(estate_id, set()).add(post)
        scope.zone_ids = set(Zone.objects.filter(butler=self).values_list("id", flat=True))
        return scope

    def load_posts_in(self, estate_id: int) -> set[str]:
        """This login's posts in one estate (core.scope.posts_in keeps them for the request)."""
        return set(Posting.objects.filter(user=self, estate_id=estate_id, active=True).values_list("post", flat=True))


class Posting(models.Model):
    """A member of staff posted to an estate in a post (岗位)."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="postings")
    estate = models.ForeignKey("estates.Estate", on_delete=models.PROTECT, related_name="postings")
    post = models.CharField(_("post"), max_length=20, choices=Post.choices)
    since = models.DateField(_("since"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "estate", "post"], name="posting_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.estate_id} ({self.post})"


class ApiToken(models.Model):
    """A bearer token for API clients. Only a digest is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=60)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    revoked = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["user", "revoked"], name="apitoken_user_live_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_live(self, now: datetime.datetime) -> bool:
        return not self.revoked and self.expires_at > now

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @staticmethod
    def new_token() -> str:
        return "gj_" + secrets.token_urlsafe(32)
