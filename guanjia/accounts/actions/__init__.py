"""Every write to logins, postings, passwords and API tokens, by sub-area. `actor` None is the
system (the demo loader).

The public actions are named here for views, the API, the demo and tests; helpers are imported
from their own module."""

from guanjia.accounts.actions.passwords import change_password, reset_password
from guanjia.accounts.actions.postings import end_posting, post_staff
from guanjia.accounts.actions.tokens import (
    issue_api_token,
    revoke_my_tokens,
    revoke_token,
    user_for_token,
)
from guanjia.accounts.actions.users import create_user, deactivate_user

__all__ = [
    "change_password",
    "create_user",
    "deactivate_user",
    "end_posting",
    "issue_api_token",
    "post_staff",
    "reset_password",
    "revoke_my_tokens",
    "revoke_token",
    "user_for_token",
]
