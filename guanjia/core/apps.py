from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "guanjia.core"
    label = "core"
    verbose_name = "Core"
