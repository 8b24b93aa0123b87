from functools import partial

from django.contrib.auth import views as auth_views
from django.urls import include, path
from ninja.openapi.views import openapi_view

from config.api import api
from guanjia.accounts import views as account_views
from guanjia.demo.company import DEMO_COMPANY_NAME
from guanjia.demo.logins import demo_loaded

urlpatterns = [
    path("", account_views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html",
            redirect_authenticated_user=True,
            # A function: the template calls it on each showing, so the notice follows the database.
            extra_context={"demo_loaded": demo_loaded, "demo_company": DEMO_COMPANY_NAME},
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("api/docs", partial(openapi_view, api=api), name="api_docs"),
    path("", include("guanjia.core.urls")),
    path("", include("guanjia.accounts.urls")),
    path("", include("guanjia.estates.urls")),
    path("", include("guanjia.people.urls")),
    path("", include("guanjia.frontdesk.urls")),
    path("", include("guanjia.billing.urls")),
    path("", include("guanjia.servicedesk.urls")),
    path("", include("guanjia.notifications.urls")),
    path("", include("guanjia.reports.urls")),
    path("estates/<int:estate_id>/", include("guanjia.people.import_urls")),
]
