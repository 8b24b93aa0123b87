"""The front-desk search as a person runs it: counted against their rate, matched within what
they may see, and logged where it told them a whole phone number."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.utils.translation import gettext as _

from guanjia.core.errors import DomainError
from guanjia.people import queries
from guanjia.people.access import unmaskable_people
from guanjia.people.actions.personal_data import log_phone_matches

RATE_WINDOW_SECONDS = 60


class TooManySearches(DomainError):
    """The user searched more often than GUANJIA_SEARCHES_PER_MINUTE allows (HTTP 429)."""


def count_search(actor: AbstractBaseUser) -> None:
    """One more search by `actor` in this minute, or TooManySearches past the setting. Kept in
    the cache shared by the processes, so the limit holds whichever one answers."""
    limit = settings.GUANJIA_SEARCHES_PER_MINUTE
    key = f"guanjia:searches:{actor.pk}:{int(time.time() // RATE_WINDOW_SECONDS)}"
    cache.add(key, 0, timeout=RATE_WINDOW_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # the entry expired between add and incr
        cache.set(key, 1, timeout=RATE_WINDOW_SECONDS * 2)
        count = 1
    if count > limit:
        raise TooManySearches(
            _("Too many searches: at most %(limit)d a minute. Please wait a minute and search again.")
            % {"limit": limit},
            field="q",
        )


def search_people(
    *, actor: AbstractBaseUser, estate_id: int, query: str, channel: str = "page"
) -> queries.SearchResult:
    """queries.search for `actor` (who has passed the estate's FRONT_DESK_SEARCH check): whole
    or long phone numbers match only the people they may see whole, and each such match is
    logged as a reveal of that phone."""
    count_search(actor)
    result = queries.search(estate_id, query, full_numbers=unmaskable_people(actor, estate_id))
    if result.how == "phone_full" and result.people:
        log_phone_matches(actor=actor, people=result.people, query=query.strip()[:50], channel=channel)
    return result
