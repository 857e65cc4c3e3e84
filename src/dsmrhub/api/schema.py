"""The OpenAPI schema's parts drf-spectacular cannot see: the key authentication, API v1 (a plain Django
view), and the error responses every operation shares (``exceptions.exception_handler`` and the middleware
answer them the same way everywhere, so they are added here once, not per view)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension

from dsmrhub.db.busy import RETRY_AFTER_SECONDS

V1_PATH = "/api/v1/datalogger/dsmrreading"
V2_PREFIX = "/api/v2/"

ERROR_COMPONENT = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An API v2 error: `detail` says why. A 400 from a form or filter check names the "
    'fields instead, each with its messages (`{"limit": ["must be between 1 and 1000, got 0"]}`); an '
    "unknown query parameter adds `unknown` and `allowed`; a duplicate reading (409) adds `existing`.",
    "properties": {"detail": {"type": "string", "description": "why the request failed"}},
    "additionalProperties": True,
}

# code -> (description, operations it applies to: "all", "body" (a request body), or "declared")
ERRORS: dict[str, tuple[str, str]] = {
    "400": ("Bad request: a value, filter or query parameter the endpoint does not accept.", "all"),
    "401": ("No key, or a wrong one (header `Authorization: Token <key>`).", "all"),
    "403": ("The API is disabled.", "all"),
    "404": ("Not found.", "declared"),
    "409": ("Conflict.", "declared"),
    "413": (f"Request body larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.", "body"),
    "415": ("Unsupported request content type.", "body"),
    "503": (
        f"The database is busy (another writer holds its lock): retry after `Retry-After` seconds "
        f"({RETRY_AFTER_SECONDS}).",
        "all",
    ),
}
RETRY_AFTER_HEADER = {
    "Retry-After": {"schema": {"type": "integer", "minimum": 1}, "description": "seconds to wait"}
}
WWW_AUTHENTICATE_HEADER = {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Token`"}}


class APIKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "dsmrhub.api.authentication.APIKeyAuthentication"
    name = "TokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Token authentication: 'Token <key>' (the key is shown by `dsmrhub api show`).",
        }


def postprocess_errors_and_v1(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook (``SPECTACULAR_SETTINGS['POSTPROCESSING_HOOKS']``)."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        if not path.startswith(V2_PREFIX):
            continue
        for operation in operations.values():
            _json_request_only(operation)
            _empty_filters_allowed(operation)
            _add_errors(operation)
    _blank_is_null(result["components"]["schemas"])
    result["paths"][V1_PATH] = {"post": _v1_operation()}
    result["paths"] = dict(sorted(result["paths"].items()))
    return result


def _json_request_only(operation: dict) -> None:
    """One request content type per operation: API v2 reads JSON, form and multipart bodies alike, but the
    schema names only JSON; three identical alternatives make client generators fail."""
    content = operation.get("requestBody", {}).get("content")
    if content and "application/json" in content:
        operation["requestBody"]["content"] = {"application/json": content["application/json"]}


def _empty_filters_allowed(operation: dict) -> None:
    """An optional filter given empty (``?day__gte=``) is no filter, as in DSMR-reader; on a list an empty
    ``limit``, ``offset`` or ``ordering`` is its default too."""
    parameters = [p for p in operation.get("parameters", []) if p["in"] == "query" and not p.get("required")]
    is_list = any(parameter["name"] == "limit" for parameter in parameters)
    for parameter in parameters:
        if is_list or parameter.get("schema", {}).get("format") in ("date", "date-time"):
            parameter["allowEmptyValue"] = True


# Request components whose nullable fields take an empty value as null (serializers.BlankIsNullMixin).
BLANK_IS_NULL_COMPONENTS = ("PatchedMeterStatisticsRequest",)


def _blank_is_null(components: dict) -> None:
    for name in BLANK_IS_NULL_COMPONENTS:
        for prop in components.get(name, {}).get("properties", {}).values():
            if prop.get("nullable") and prop.get("minLength"):
                del prop["minLength"]
                prop["description"] = (prop.get("description", "") + " An empty value sets null.").strip()


def _add_errors(operation: dict) -> None:
    responses = operation.setdefault("responses", {})
    error = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}}
    for code, (description, applies) in ERRORS.items():
        if applies == "declared" and code not in responses:
            continue
        if applies == "body" and "requestBody" not in operation:
            continue
        response = responses.setdefault(code, {"description": description})
        if not response.get("description"):
            response["description"] = description
        response.setdefault("content", error)
        if code == "503":
            response.setdefault("headers", RETRY_AFTER_HEADER)
        if code == "401":
            response.setdefault("headers", WWW_AUTHENTICATE_HEADER)
    operation["responses"] = dict(sorted(responses.items()))


def _v1_operation() -> dict:
    text = {"text/plain": {"schema": {"type": "string"}}}

    def plain(description: str, **extra: Any) -> dict:
        return {"description": f"{description} (plain text, the reason)", "content": text, **extra}

    return {
        "operationId": "v1_datalogger_dsmrreading_create",
        "summary": "API v1: store one raw telegram (DSMR-reader's remote datalogger)",
        "description": "The telegram, exactly as the meter sent it (header line through the `!CRC` line), "
        "in the form field `telegram`; multipart/form-data is accepted too. The legacy header "
        "`X-AUTHKEY: <key>` works as well as `Authorization: Token <key>`.",
        "tags": ["v1"],
        "security": [{"TokenAuth": []}],
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {"telegram": {"type": "string", "minLength": 1}},
                        "required": ["telegram"],
                    }
                }
            },
        },
        "responses": {
            "201": {"description": "Stored; empty body."},
            "400": plain("Missing field, more than one telegram, or the telegram was rejected"),
            "401": plain("No key, or a wrong one", headers=WWW_AUTHENTICATE_HEADER),
            "403": plain("The API is disabled"),
            "413": plain(ERRORS["413"][0]),
            "415": plain("Not a form body"),
            "503": plain(ERRORS["503"][0], headers=RETRY_AFTER_HEADER),
        },
    }
