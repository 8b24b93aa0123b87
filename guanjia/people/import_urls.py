"""Registry import and export pages. Included by config/urls.py under "estates/<int:estate_id>/"."""

from django.urls import path

from guanjia.people import import_views

app_name = "people_import"

urlpatterns = [
    path("registry/import/", import_views.upload, name="upload"),
    path("registry/import/template/", import_views.template, name="template"),
    path("registry/import/<int:job_id>/", import_views.job, name="job"),
    path("registry/import/<int:job_id>/progress/", import_views.progress, name="progress"),
    path("registry/import/<int:job_id>/confirm/", import_views.confirm, name="confirm"),
    path("registry/export/", import_views.export, name="export"),
]
