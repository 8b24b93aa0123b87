from django.apps import AppConfig


class EstatesConfig(AppConfig):
    name = "guanjia.estates"
    label = "estates"
