from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "guanjia.people"
    label = "people"
