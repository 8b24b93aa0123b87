import factory

from guanjia.core.validators import id_check_character
from guanjia.estates.tests.factories import EstateFactory
from guanjia.people import pinyin
from guanjia.people.models import Person, Residency


def valid_id_number(serial: int, birth: str = "19800101", region: str = "310101") -> str:
    first = f"{region}{birth}{serial % 1000:03d}"
    return first + id_check_character(first)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    estate = factory.SubFactory(EstateFactory)
    name = factory.Iterator(["张三", "李四", "王五", "赵六", "陈七", "刘八"])
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    phone_tail = factory.LazyAttribute(lambda p: p.phone[-4:])
    name_initials = factory.LazyAttribute(lambda p: pinyin.initials(p.name))
    name_pinyin = factory.LazyAttribute(lambda p: pinyin.full_pinyin(p.name))

    @factory.post_generation
    def id_number(self, create, extracted, **kwargs):
        self.set_id_number(extracted or valid_id_number(self.pk or 1))
        if create:
            self.save(update_fields=["id_number_encrypted", "id_number_masked", "id_number_digest"])


class ResidencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Residency

    person = factory.SubFactory(PersonFactory)
    relation = Residency.Relation.OWNER
