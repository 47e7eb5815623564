"""The model catalog: what the user can pick, how its form looks, how it is sent to Kie.

Kie's model list changes monthly, so every model is one data entry in
`app/catalog/entries/`; nothing else needs to change to add one.
"""

from app.catalog.errors import CatalogValidationError, FieldError
from app.catalog.registry import CATALOG, RequestParams, entries_by_group, get_entry
from app.catalog.schema import GROUPS, CatalogEntry, DurationPrior, FieldSpec, MediaOverride, Rule
from app.catalog.validation import ValidatedRequest, params_model, validate_request, with_seed

__all__ = [
    "CATALOG",
    "GROUPS",
    "CatalogEntry",
    "CatalogValidationError",
    "DurationPrior",
    "FieldError",
    "FieldSpec",
    "MediaOverride",
    "RequestParams",
    "Rule",
    "ValidatedRequest",
    "entries_by_group",
    "get_entry",
    "params_model",
    "validate_request",
    "with_seed",
]
