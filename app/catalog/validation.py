"""validate_request: the only door from user params to a provider create body."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from app.catalog.body import build_body, provider_model
from app.catalog.errors import CatalogValidationError, translate
from app.catalog.registry import CATALOG, PARAMS_MODELS, REQUEST_ADAPTER, get_entry
from app.catalog.rules import check_rules
from app.catalog.schema import CatalogEntry
from app.providers.kie.families import ApiFamily, MediaKind


class ValidatedRequest(BaseModel):
    """A request the catalog accepted, ready for the Kie client."""

    model_config = ConfigDict(frozen=True)

    entry: CatalogEntry
    params: dict[str, Any]        # normalized: defaults filled, unset optionals left out
    family: ApiFamily
    provider_model: str           # Kie model id, or the family's model/mode
    body: dict[str, Any]          # the create body, without callBackUrl
    prompt: str | None            # for history search
    input_urls: list[str]         # every input file URL, in field order
    media_kind: MediaKind


def _check_service(entry: CatalogEntry, service: Any) -> None:
    if service is None:
        return
    if not isinstance(service, str) or service.strip().upper() != entry.service:
        raise CatalogValidationError.single(
            "service", f"{entry.display_name} belongs to service {entry.service}, not the one given"
        )


def _check_params_shape(entry: CatalogEntry, params: Any) -> dict[str, Any]:
    if not isinstance(params, Mapping):
        raise CatalogValidationError.single("params", "must be an object of field names and values")
    if not all(isinstance(key, str) for key in params):
        raise CatalogValidationError.single("params", "field names must be text")
    # The discriminator is ours to set; a params copy may carry it, but only if it agrees.
    data = dict(params)
    if "api_type" in data and data.pop("api_type") != entry.api_type:
        raise CatalogValidationError.single("api_type", "inside params does not match the model picked")
    data["api_type"] = entry.api_type
    return data


def _input_urls(entry: CatalogEntry, params: dict[str, Any]) -> list[str]:
    urls: list[str] = []
    for spec in entry.fields:
        value = params.get(spec.name)
        if spec.input_file and value is not None:
            urls.extend(value if isinstance(value, list) else [value])
    return urls


def validate_request(api_type: str, params: dict, service: str | None = None) -> ValidatedRequest:
    """Validate params for the picked model and build the provider body.

    Raises CatalogValidationError (and nothing else) listing every problem found.
    """
    entry = get_entry(api_type)
    if entry is None:
        known = ", ".join(sorted(CATALOG))
        raise CatalogValidationError.single("api_type", f"unknown model; pick one of {known}")
    _check_service(entry, service)
    data = _check_params_shape(entry, params)
    try:
        validated = REQUEST_ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise translate(entry, exc) from None
    normalized = {
        name: value
        for name, value in validated.model_dump(by_alias=True, exclude={"api_type"}).items()
        if value is not None
    }
    problems = check_rules(entry, normalized)
    if problems:
        raise CatalogValidationError(problems)
    prompt = normalized.get(entry.prompt_field) if entry.prompt_field else None
    return ValidatedRequest(
        entry=entry,
        params=normalized,
        family=entry.family,
        provider_model=provider_model(entry, normalized),
        body=build_body(entry, normalized),
        prompt=prompt if isinstance(prompt, str) else None,
        input_urls=_input_urls(entry, normalized),
        media_kind=entry.media_kind_for(normalized),
    )


def with_seed(
    params: ValidatedRequest | Mapping[str, Any], seed: int, api_type: str | None = None
) -> dict[str, Any]:
    """Params with the entry's seed field set to `seed`, for a "seed walk" batch.

    Pass a ValidatedRequest, or plain params plus their api_type. Entries without a
    seed field get their params back unchanged. The result is not validated: submit it
    through validate_request (the seed may be outside the entry's range).
    """
    if isinstance(params, ValidatedRequest):
        entry: CatalogEntry | None = params.entry
        current = dict(params.params)
    else:
        entry = get_entry(api_type) if api_type is not None else None
        current = dict(params)
    if entry is None:
        raise ValueError("with_seed needs a ValidatedRequest or a known api_type")
    if entry.seed_field is not None:
        current[entry.seed_field] = seed
    return current


def params_model(api_type: str) -> type[BaseModel] | None:
    """The generated pydantic model for one entry's params (for docs and JSON schema)."""
    return PARAMS_MODELS.get(api_type) if isinstance(api_type, str) else None
