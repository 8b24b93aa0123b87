from django.urls import path

from guanjia.servicedesk import views

app_name = "servicedesk"
urlpatterns = [
    path("estates/<int:estate_id>/requests/intake/", views.intake, name="intake"),
    path("estates/<int:estate_id>/requests/loops/", views.my_loops, name="my_loops"),
    path("estates/<int:estate_id>/requests/assigned/", views.my_work, name="my_work"),
    path("estates/<int:estate_id>/requests/board/", views.board, name="board"),
    path("estates/<int:estate_id>/requests/workbench/", views.workbench, name="workbench"),
    path("estates/<int:estate_id>/service-levels/", views.service_levels, name="service_levels"),
    path("estates/<int:estate_id>/complaints/", views.complaints, name="complaints"),
    path("estates/<int:estate_id>/duty-managers/", views.duty_managers, name="duty_managers"),
    path("requests/<int:request_id>/", views.request_page, name="request"),
    path("requests/<int:request_id>/do/<slug:action>/", views.request_action, name="request_action"),
    path("requests/<int:request_id>/classify/", views.classify, name="classify"),
    path("requests/<int:request_id>/photos/", views.add_photo, name="add_photo"),
    path("requests/<int:request_id>/call/", views.call, name="call"),
    path("request-photos/<int:photo_id>/", views.photo, name="photo"),
    path("portal/requests/", views.portal_requests, name="portal_requests"),
    path("portal/requests/new/", views.portal_new, name="portal_new"),
    path("portal/requests/<int:request_id>/", views.portal_request, name="portal_request"),
    path("portal/requests/<int:request_id>/confirm/", views.portal_confirm, name="portal_confirm"),
    path("portal/requests/<int:request_id>/photos/", views.portal_add_photo, name="portal_add_photo"),
]
