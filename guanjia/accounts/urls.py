from django.urls import path

from guanjia.accounts import views

app_name = "accounts"
urlpatterns = [
    path("me/no-post/", views.no_post, name="no_post"),
    path("portal/", views.portal, name="portal"),
    path("estates/<int:estate_id>/staff/", views.staff, name="staff"),
]
