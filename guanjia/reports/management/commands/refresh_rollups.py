"""Refresh the rollups of every estate (or one) over the last months: after an upgrade, an
import of old ledgers, or for the demo's trends."""

from django.core.management.base import BaseCommand

from guanjia.estates.models import Estate
from guanjia.reports import actions


class Command(BaseCommand):
    help = "Refresh the monthly rollups of the last months and today's"

    def add_arguments(self, parser):
        parser.add_argument("--months", type=int, default=12)
        parser.add_argument("--estate", type=int, default=None)

    def handle(self, *args, months: int, estate: int | None, **options):
        estates = Estate.objects.order_by("pk").values_list("pk", flat=True)
        if estate is not None:
            estates = estates.filter(pk=estate)
        for estate_id in estates:
            actions.backfill(estate=estate_id, months=months)
        self.stdout.write(f"{len(estates)} estates")
