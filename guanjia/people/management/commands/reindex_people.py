from django.core.management.base import BaseCommand

from guanjia.people.actions import reindex_people


class Command(BaseCommand):
    help = (
        "Bring stored people to today's rules: phone numbers in their one stored form, and every "
        "pinyin reading of their names (run after a change to people/pinyin.py's surname tables)."
    )

    def handle(self, *args, **options):
        count = reindex_people()
        self.stdout.write(f"Re-indexed {count} people.")
