from django.core.management.base import BaseCommand

from guanjia.people.actions import rotate_personal_data_keys


class Command(BaseCommand):
    help = "Re-encrypt stored ID numbers under the newest key in GUANJIA_FIELD_KEYS (see docs/deploy.md)."

    def handle(self, *args, **options):
        count = rotate_personal_data_keys()
        self.stdout.write(f"Re-encrypted {count} ID numbers under the newest key.")
