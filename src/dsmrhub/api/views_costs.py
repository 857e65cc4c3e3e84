"""API v2 costs: per period for every contract kind, and the replay of contracts over the own history.

Thin edges over ``processing.costs`` and ``processing.compare``; query parameters ``from``/``to`` are
local days. Bad input is a 400 with a reason.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from dsmrhub.api.serializers_costs import (
    CompareBodySerializer,
    CompareDocSerializer,
    CostsDocSerializer,
    CostsQuerySerializer,
)
from dsmrhub.prices.costs import tariff_of
from dsmrhub.prices.models import EnergyContract
from dsmrhub.prices.services import ContractError
from dsmrhub.processing.compare import compare_tariff, comparison_json, contracts_compare, period_cost_json
from dsmrhub.processing.costs import costs_for_range

RANGE = [
    OpenApiParameter("from", OpenApiTypes.DATE, required=True, description="first local day"),
    OpenApiParameter("to", OpenApiTypes.DATE, required=True, description="last local day, inclusive"),
]


def _query(request, known: set[str]) -> dict[str, Any]:
    """The query's values (``contract`` may repeat: ``contracts``); unknown parameters are a 400."""
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise ValidationError(
            {"detail": f"unknown parameters {', '.join(unknown)}; use {', '.join(sorted(known))}"}
        )
    data: dict[str, Any] = {}
    for name in known:
        values = request.query_params.getlist(name)
        if values:
            key = {"contract": "contracts"}.get(name, name)
            data[key] = values if name == "contract" else values[-1]
    return data


def _contract_error(error: ContractError) -> ValidationError:
    return ValidationError({"detail": str(error)})


class CostsView(APIView):
    @extend_schema(
        summary="Costs per quarter hour, hour, day, month, year or the whole range",
        description=(
            "What electricity and gas cost, for every contract kind (fixed, time-of-use bands, dynamic, "
            "capacity tariff), from the quarter-hour energy. Costs are euros rounded once per period. A "
            "period with use that cannot be priced has `missing` > 0 and the costs it makes unknown null "
            "(never 0.00): electricity without a market price nulls the electricity costs, gas without one "
            "the gas cost, a month's unknown peak the capacity cost, any of them the total; the fixed cost "
            "stays known. Imported history (days "
            "whose readings are gone) is priced per imported hour where one price holds the whole hour; it "
            "has no quarters, so period=quarter leaves it out and period=hour shows its hours only. Day and "
            "coarser periods add the fixed cost per day; months, years and the total add the fixed cost per "
            "month and the capacity tariff. Quarters and hours: at most 366 days per request."
        ),
        parameters=[
            *RANGE,
            OpenApiParameter(
                "period", OpenApiTypes.STR, enum=list(CostsQuerySerializer().fields["period"].choices)
            ),
            OpenApiParameter(
                "contract", OpenApiTypes.INT, description="a stored contract over the whole range"
            ),
        ],
        responses={200: CostsDocSerializer},
    )
    def get(self, request):
        data = _query(request, {"from", "to", "period", "contract"})
        if "contracts" in data:
            data["contract"] = data.pop("contracts")[-1]
        query = CostsQuerySerializer(data=data)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        tariff = None
        if "contract" in q:
            contract = EnergyContract.objects.filter(pk=q["contract"]).first()
            if contract is None:
                raise ValidationError({"contract": [f"there is no contract {q['contract']}"]})
            tariff = tariff_of(contract)
        rows = costs_for_range(first=q["from"], last=q["to"], period=q["period"], tariff=tariff)
        return Response(
            {
                "from": q["from"].isoformat(),
                "to": q["to"].isoformat(),
                "period": q["period"],
                "contract": q.get("contract"),
                "periods": [period_cost_json(row) for row in rows],
            }
        )


class CostsCompareView(APIView):
    @extend_schema(
        summary="Replay: what contracts would have cost over your own history, per month",
        description=(
            "Each `contract` (a stored contract's id, repeatable) priced over the whole range, month by "
            "month, next to the contracts in force (the first entry). POST the same with ad hoc contracts."
        ),
        parameters=[*RANGE, OpenApiParameter("contract", OpenApiTypes.INT, many=True)],
        responses={200: CompareDocSerializer},
    )
    def get(self, request):
        data = _query(request, {"from", "to", "contract"})
        return self._compare({**data, "contracts": data.get("contracts", [])})

    @extend_schema(
        summary="Replay with stored and ad hoc contracts",
        description=(
            'Body: {"from": "2025-01-01", "to": "2025-12-31", "contracts": [3, {"kind": "bands", ...}]}; '
            "a spec is the JSON form of `dsmrhub contract add --spec` (see the README)."
        ),
        request=CompareBodySerializer,
        responses={200: CompareDocSerializer},
    )
    def post(self, request):
        body = request.data if isinstance(request.data, dict) else {}
        data = {"from": body.get("from"), "to": body.get("to"), "contracts": body.get("contracts", [])}
        unknown = sorted(set(body) - {"from", "to", "contracts"})
        if unknown:
            raise ValidationError({"detail": f"unknown keys {', '.join(unknown)}; use from, to, contracts"})
        return self._compare(data)

    def _compare(self, data: dict[str, Any]) -> Response:
        body = CompareBodySerializer(data=data)
        body.is_valid(raise_exception=True)
        checked = body.validated_data
        try:
            tariffs = [
                compare_tariff(value, number=n) for n, value in enumerate(checked["contracts"], start=1)
            ]
            comparison = contracts_compare(first=checked["from"], last=checked["to"], tariffs=tariffs)
        except ContractError as error:
            raise _contract_error(error) from None
        return Response(comparison_json(comparison))
