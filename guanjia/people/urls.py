from django.urls import path

from guanjia.people import views

app_name = "people"
urlpatterns = [
    path("estates/<int:estate_id>/frontdesk/", views.frontdesk, name="frontdesk"),
    path("estates/<int:estate_id>/people/new/", views.person_create, name="person_create"),
    path("units/<int:unit_id>/", views.unit_page, name="unit"),
    path("people/<int:person_id>/", views.person, name="person"),
    path("people/<int:person_id>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:person_id>/reveal/", views.reveal, name="reveal"),
    path("people/<int:person_id>/units/", views.link_unit, name="link_unit"),
    path("people/<int:person_id>/vehicles/", views.add_vehicle, name="add_vehicle"),
    path("people/<int:person_id>/attachments/", views.upload_attachment, name="upload_attachment"),
    path("people/<int:person_id>/history/", views.person_history, name="person_history"),
    path("attachments/<int:attachment_id>/", views.download_attachment, name="attachment"),
]
