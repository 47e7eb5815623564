"""The catalog itself: entries by api_type, and the discriminated union of their params."""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import BaseModel, Field, TypeAdapter

from app.catalog.entries import ALL_ENTRIES
from app.catalog.params_model import build_params_model
from app.catalog.schema import GROUPS, CatalogEntry


def _index(entries: list[CatalogEntry]) -> dict[str, CatalogEntry]:
    catalog: dict[str, CatalogEntry] = {}
    for entry in entries:
        if entry.api_type in catalog:
            raise ValueError(f"duplicate api_type {entry.api_type}")
        catalog[entry.api_type] = entry
    return catalog


CATALOG: dict[str, CatalogEntry] = _index(ALL_ENTRIES)

# One generated pydantic model per entry, and the union the user's pick selects from.
PARAMS_MODELS: dict[str, type[BaseModel]] = {
    api_type: build_params_model(entry) for api_type, entry in CATALOG.items()
}
RequestParams: Any = Annotated[
    Union[tuple(PARAMS_MODELS.values())],  # type: ignore[valid-type]
    Field(discriminator="api_type"),
]
REQUEST_ADAPTER: TypeAdapter[Any] = TypeAdapter(RequestParams)


def get_entry(api_type: str) -> CatalogEntry | None:
    """The entry for api_type, or None (also for anything that is not a string)."""
    if not isinstance(api_type, str):
        return None
    return CATALOG.get(api_type)


def entries_by_group() -> dict[str, list[CatalogEntry]]:
    """Entries for the picker, every group present (maybe empty), in catalog order."""
    grouped: dict[str, list[CatalogEntry]] = {group: [] for group in GROUPS}
    for entry in CATALOG.values():
        grouped[entry.group].append(entry)
    return grouped
