from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "guanjia.reports"
    label = "reports"
