from django.urls import path

from guanjia.frontdesk import views

app_name = "frontdesk"
urlpatterns = [
    path("units/<int:unit_id>/desk/", views.unit_desk, name="unit_desk"),
]
