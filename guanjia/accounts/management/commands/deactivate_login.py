from django.core.management.base import BaseCommand, CommandError

from guanjia.accounts.actions import deactivate_user
from guanjia.accounts.models import User


class Command(BaseCommand):
    help = "Close a login (someone who left): it signs in no more and its API tokens are revoked."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, **options):
        user = User.objects.filter(username__iexact=options["username"]).first()
        if user is None:
            raise CommandError(f"No login named {options['username']!r}.")
        deactivate_user(actor=None, user=user)
        self.stdout.write(f"Closed the login {user.username}; its API tokens are revoked.")
