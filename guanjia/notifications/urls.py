from django.urls import path

from guanjia.notifications import views

app_name = "notifications"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:notification_id>/read/", views.read, name="read"),
]
