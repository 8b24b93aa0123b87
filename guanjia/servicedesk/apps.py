from django.apps import AppConfig


class ServicedeskConfig(AppConfig):
    name = "guanjia.servicedesk"
    label = "servicedesk"
