from rest_framework.permissions import BasePermission


class APIEnabledAndAuthenticated(BasePermission):
    """Authentication already refused a disabled API; here only a valid key remains to be required."""

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated)
