from django.urls import path

from guanjia.accounts import views

app_name = "accounts"
urlpatterns = [
    path("me/no-post/", views.no_post, name="no_post"),
    path("me/password/", views.password_change, name="password_change"),
    path("me/tokens/", views.tokens, name="tokens"),
    path("me/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("portal/", views.portal, name="portal"),
    path("estates/<int:estate_id>/staff/", views.staff, name="staff"),
    path("estates/<int:estate_id>/staff/postings/", views.posting_create, name="posting_create"),
    path("postings/<int:posting_id>/end/", views.posting_end, name="posting_end"),
    path("estates/<int:estate_id>/staff/<int:user_id>/password-reset/", views.password_reset, name="password_reset"),
]
