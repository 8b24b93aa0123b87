from decimal import Decimal

import factory

from guanjia.estates.models import Building, Company, Estate, Unit, Zone


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"物业公司{n}")
    code = factory.Sequence(lambda n: f"co{n}")


class EstateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Estate

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"小区{n}")
    code = factory.Sequence(lambda n: f"estate{n}")
    kind = Estate.Kind.HIGH_RISE


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Zone

    estate = factory.SubFactory(EstateFactory)
    code = factory.Sequence(lambda n: f"Z{n}")
    name = factory.Sequence(lambda n: f"管家区域{n}")


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    estate = factory.SubFactory(EstateFactory)
    code = factory.Sequence(lambda n: str(n + 1))


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    building = factory.SubFactory(BuildingFactory)
    estate = factory.SelfAttribute("building.estate")
    entrance = "1"
    number = factory.Sequence(lambda n: f"{(n % 30) + 1}{(n // 30) % 4 + 1:02d}")
    code = factory.LazyAttribute(lambda u: Unit.make_code(u.building.code, u.entrance, u.number))
    floor = 12
    area = Decimal("89.50")
    house_type = Unit.HouseType.HIGH_RISE
    status = Unit.Status.OCCUPIED
