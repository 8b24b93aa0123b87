from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "guanjia.notifications"
    label = "notifications"
