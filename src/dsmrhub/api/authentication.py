from __future__ import annotations

from rest_framework import authentication, exceptions

from dsmrhub.api.services import api_check_request_key


class APIClient:
    """The caller that presented the right key; the API has no per-user accounts."""

    is_authenticated = True
    is_anonymous = False


class APIDisabled(exceptions.PermissionDenied):
    default_detail = "API is disabled"


class APIKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        check = api_check_request_key(
            authorization=request.META.get("HTTP_AUTHORIZATION"),
            legacy_key=request.META.get("HTTP_X_AUTHKEY"),
            client=request.META.get("REMOTE_ADDR", ""),
        )
        if check.status == 403:
            raise APIDisabled()
        if check.status == 401:
            if request.META.get("HTTP_AUTHORIZATION") or request.META.get("HTTP_X_AUTHKEY") is not None:
                raise exceptions.AuthenticationFailed(check.detail)
            return None
        return APIClient(), None

    def authenticate_header(self, request) -> str:
        return "Token"
