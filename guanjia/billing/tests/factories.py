from decimal import Decimal

import factory

from guanjia.billing.models import FeeItem, FeeStandard
from guanjia.estates.models import Unit
from guanjia.estates.tests.factories import EstateFactory


class FeeItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeeItem

    estate = factory.SubFactory(EstateFactory)
    code = factory.Sequence(lambda n: f"fee{n}")
    name = "物业服务费"
    kind = FeeItem.Kind.PROPERTY_FEE
    cycle = FeeItem.Cycle.MONTHLY
    vacant_rate = Decimal("0.7000")


class FeeStandardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeeStandard

    fee_item = factory.SubFactory(FeeItemFactory)
    house_type = Unit.HouseType.HIGH_RISE
    unit_price = Decimal("2.5000")
    valid_from = factory.Faker("date_object")
