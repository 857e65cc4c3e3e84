"""Log in and out. A throttled login (dsmrhub.web.login) answers 429 and says how long to wait."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "login_wait": getattr(self.request, "login_wait", 0)}

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if wait := getattr(self.request, "login_wait", 0):
            response.status_code = 429
            response["Retry-After"] = str(wait)
        return response


urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
