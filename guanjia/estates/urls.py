from django.urls import path

from guanjia.estates import views

app_name = "estates"
urlpatterns = [
    path("estates/<int:estate_id>/", views.dashboard, name="dashboard"),
    path("estates/<int:estate_id>/my-zone/", views.my_zone, name="my_zone"),
    path("estates/<int:estate_id>/units/", views.units, name="units"),
    path("zones/<int:zone_id>/", views.zone, name="zone"),
    path("units/<int:unit_id>/edit/", views.unit_edit, name="unit_edit"),
    path("units/<int:unit_id>/history/", views.unit_history, name="unit_history"),
]
