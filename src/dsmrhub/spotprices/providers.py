"""Day-ahead price providers as data: what to ask (URLs per commodity) and how to read the answer.

Each provider is a frozen ``PriceProvider`` row of ``PROVIDERS``; ``fetch.prices_fetch`` loops over its
requests, so adding a provider is adding a row (and its parser in ``formats``).
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dsmrhub import __version__
from dsmrhub.spotprices.formats import prices_parse_energyzero, prices_parse_entsoe
from dsmrhub.spotprices.models import Commodity, Provider
from dsmrhub.spotprices.services import PriceInputError, PricePeriod

TIMEOUT = 20.0  # seconds per request
MAX_ANSWER = 8 * 1024 * 1024  # bytes: a day-ahead answer is a few kB; more is not a price answer


class ProviderError(Exception):
    """A provider could not be asked or answered badly; one line, worth retrying later."""


@dataclass(frozen=True, slots=True)
class PriceRequest:
    url: str
    commodity: str  # the commodity the answer holds (electricity: stored for delivered and returned)


@dataclass(frozen=True, slots=True)
class PriceProvider:
    key: str  # PriceFetchSettings.provider and MarketPrice.source
    base_url: str
    needs_token: bool
    commodities: tuple[str, ...]  # what it stores (electricity: delivered and returned)
    requests: Callable[
        [str, str, str, datetime, datetime], list[PriceRequest]
    ]  # base, token, zone, start, end
    parse: Callable[[bytes, str], list[PricePeriod]]  # answer, commodity


def _entsoe_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M")


def _entsoe_requests(base: str, token: str, zone: str, start: datetime, end: datetime) -> list[PriceRequest]:
    query = {
        "securityToken": token,
        "documentType": "A44",
        "in_Domain": zone,
        "out_Domain": zone,
        "contract_MarketAgreement.type": "A01",  # day-ahead
        "periodStart": _entsoe_time(start),
        "periodEnd": _entsoe_time(end),
    }
    return [PriceRequest(f"{base}?{urllib.parse.urlencode(query)}", Commodity.ELECTRICITY_DELIVERED)]


def _energyzero_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _energyzero_requests(
    base: str, token: str, zone: str, start: datetime, end: datetime
) -> list[PriceRequest]:
    usage = {Commodity.ELECTRICITY_DELIVERED: 1, Commodity.GAS: 3}
    requests = []
    for commodity, usage_type in usage.items():
        query = {
            "fromDate": _energyzero_time(start),
            "tillDate": _energyzero_time(end - timedelta(milliseconds=1)),  # inclusive: the last millisecond
            "interval": 4,
            "usageType": usage_type,
            "inclBtw": "false",
        }
        requests.append(PriceRequest(f"{base}?{urllib.parse.urlencode(query)}", commodity))
    return requests


def _entsoe_parse(body: bytes, commodity: str) -> list[PricePeriod]:
    return prices_parse_entsoe(body)


PROVIDERS: dict[str, PriceProvider] = {
    provider.key: provider
    for provider in (
        PriceProvider(
            key=Provider.ENTSOE,
            base_url="https://web-api.tp.entsoe.eu/api",
            needs_token=True,
            commodities=(Commodity.ELECTRICITY_DELIVERED, Commodity.ELECTRICITY_RETURNED),
            requests=_entsoe_requests,
            parse=_entsoe_parse,
        ),
        PriceProvider(
            key=Provider.ENERGYZERO,
            base_url="https://api.energyzero.nl/v1/energyprices",
            needs_token=False,
            commodities=(Commodity.ELECTRICITY_DELIVERED, Commodity.ELECTRICITY_RETURNED, Commodity.GAS),
            requests=_energyzero_requests,
            parse=lambda body, commodity: prices_parse_energyzero(body, commodity=commodity),
        ),
    )
}


def _redacted(url: str) -> str:
    """The URL without its query (ENTSO-E's carries the token): safe for logs and error messages."""
    return url.split("?", 1)[0]


def http_get(url: str, *, timeout: float = TIMEOUT) -> bytes:
    """The body of a 200 answer; ``ProviderError`` (one line, token never shown) for anything else."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ProviderError(f"{_redacted(url)}: only http and https URLs are asked")
    request = urllib.request.Request(url, headers={"User-Agent": f"dsmrhub/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) URLs only
            body = response.read(MAX_ANSWER + 1)
            promised = response.headers.get("Content-Length", "")
    except urllib.error.HTTPError as error:
        detail = ""
        try:
            text = error.read(MAX_ANSWER)
            prices_parse_entsoe(text)  # ENTSO-E explains refusals in an acknowledgement document
        except PriceInputError as reason:
            detail = f": {reason}" if "ENTSO-E sent no prices" in str(reason) else ""
        except Exception:  # noqa: BLE001 - an unreadable error body only loses the detail
            detail = ""
        raise ProviderError(f"{_redacted(url)} answered HTTP {error.code}{detail}") from None
    except http.client.IncompleteRead as error:  # a chunked answer that stopped early
        raise ProviderError(
            f"{_redacted(url)}: the answer was cut off after {len(error.partial)} bytes"
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", error)
        raise ProviderError(f"cannot reach {_redacted(url)}: {reason!s:.200}") from None
    if len(body) > MAX_ANSWER:
        raise ProviderError(f"{_redacted(url)} answered more than {MAX_ANSWER} bytes")
    # read(amount) returns what came before the connection closed: a body shorter than its
    # Content-Length was cut off (a parser might otherwise read the part as a whole answer)
    if promised.isdigit() and len(body) < int(promised):
        raise ProviderError(f"{_redacted(url)}: the answer was cut off after {len(body)} of {promised} bytes")
    return body
