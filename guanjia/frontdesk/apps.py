from django.apps import AppConfig


class FrontdeskConfig(AppConfig):
    name = "guanjia.frontdesk"
    label = "frontdesk"
