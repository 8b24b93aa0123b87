from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules

from guanjia.core.http import trusted_proxies


class CoreConfig(AppConfig):
    name = "guanjia.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Every app's worker jobs, declared by name (core.queue), so that an action can queue
        # one in a web process as well as in the worker.
        autodiscover_modules("tasks")
        # A mistyped GUANJIA_TRUSTED_PROXIES stops the start rather than the first login.
        trusted_proxies()
