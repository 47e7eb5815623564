"""Build the provider create body (without callBackUrl: the Kie client adds it)."""

from __future__ import annotations

import copy
from typing import Any

from app.catalog.schema import CatalogEntry, condition_holds
from app.providers.kie.families import ApiFamily


def provider_model(entry: CatalogEntry, params: dict[str, Any]) -> str:
    """The Kie model id (market) or the family's model/mode (Veo model, MJ taskType...)."""
    if entry.model_id is not None:
        return entry.model_id
    spec = entry.provider_model_field
    assert spec is not None  # CatalogEntry guarantees one of the two
    return str(params[spec.name])


def build_body(entry: CatalogEntry, params: dict[str, Any]) -> dict[str, Any]:
    """Market: {"model", "input": {...}}; model-specific families: the flat body."""
    market = entry.family is ApiFamily.MARKET
    payload: dict[str, Any] = {}
    for spec in entry.fields:
        value = params.get(spec.name)
        if value is None or not condition_holds(spec.send_when, params):
            continue
        if market and spec.provider_model:
            continue  # market models name themselves at the top level, not in input
        payload[spec.wire] = copy.deepcopy(value)
    if market:
        return {"model": provider_model(entry, params), "input": payload}
    return payload
