from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for `make run` and for trying the product: at the top of the app graph, since
    it drives every workflow app's actions."""

    name = "guanjia.demo"
    label = "demo"
