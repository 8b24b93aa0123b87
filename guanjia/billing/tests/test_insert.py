"""A batch meets lines another run inserted after this run's plan was made: the direct COPY
fails as a whole, and the batch goes through ON CONFLICT DO NOTHING instead (PostgreSQL);
INSERT OR IGNORE on SQLite. No duplicate, no error, nothing missing."""

import datetime
from decimal import Decimal

from guanjia.billing import actions
from guanjia.billing.actions.plan import BillingPlan
from guanjia.billing.models import Bill
from guanjia.billing.tests.factories import FeeItemFactory, FeeStandardFactory

JULY = datetime.date(2025, 7, 1)


def test_a_batch_with_lines_already_inserted_by_another_run(cast, monkeypatch):
    item = FeeItemFactory(estate=cast.estate, code="wyf")
    FeeStandardFactory(fee_item=item, unit_price=Decimal("2.5000"), valid_from=datetime.date(2025, 1, 1))
    first = actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JULY)
    assert first.lines_created == 2
    lost = Bill.objects.get(unit=cast.unit_b)
    lost_amount = lost.amount
    lost.delete()  # one line missing; the other is on file but the next plan will not know it

    real_init = BillingPlan.__init__

    def stale_plan(self, estate, period_start):
        real_init(self, estate, period_start)
        self.existing = set()  # as if the plan was made before the other run committed

    monkeypatch.setattr(BillingPlan, "__init__", stale_plan)
    again = actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=JULY)
    assert again.lines_planned == 2 and again.lines_created == 1
    assert Bill.objects.filter(period_start=JULY).count() == 2
    assert Bill.objects.get(unit=cast.unit_b).amount == lost_amount
