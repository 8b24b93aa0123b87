from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "guanjia.billing"
    label = "billing"
