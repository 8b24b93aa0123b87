from django.urls import path

from guanjia.reports import views

app_name = "reports"
urlpatterns = [
    path("estates/<int:estate_id>/workbench/", views.workbench, name="workbench"),
    path("estates/<int:estate_id>/workbench/targets/", views.targets, name="targets"),
    path("estates/<int:estate_id>/workbench/ratings/", views.ratings, name="ratings"),
    path("estates/<int:estate_id>/my-workbench/", views.butler, name="butler"),
    path("company/workbench/", views.company, name="company"),
]
