from django.urls import path

from guanjia.core import views

app_name = "core"
urlpatterns = [
    path("guide/", views.my_guide, name="my_guide"),
    path("guide/screenshots/<str:file>", views.guide_screenshot, name="guide_screenshot"),
    path("guide/<slug:slug>/", views.guide, name="guide"),
]
