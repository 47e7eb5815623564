"""The catalog as the UI and the engine read it: groups, form metadata, priors."""

from __future__ import annotations

import json

import pytest

from app.catalog import CATALOG, GROUPS, CatalogEntry, entries_by_group, get_entry, validate_request
from app.providers.kie.families import ApiFamily

REQUIRED_API_TYPES = {
    "imagen4", "veo3", "sora2", "nano-banana", "nano-banana-edit", "nano-banana-upscale", "suno",
    "elevenlabs-tts", "elevenlabs-sound-effects", "bytedance-seedance-video", "bytedance-seedream-image",
    "qwen-image", "runway-aleph-video", "midjourney-generate", "wan-video", "hailuo-video",
    "kling-v2-1-pro", "kling-v2-5-turbo-text-to-video", "kling-v2-5-turbo-image-to-video",
    "openai-4o-image", "flux-kontext-image", "recraft-remove-background", "ideogram-reframe",
}
ENTRIES = pytest.mark.parametrize("entry", list(CATALOG.values()), ids=lambda entry: entry.api_type)


def test_the_catalog_offers_every_required_model():
    assert REQUIRED_API_TYPES <= set(CATALOG)


def test_get_entry():
    assert get_entry("veo3") is CATALOG["veo3"]
    assert get_entry("no-such-model") is None
    assert get_entry(None) is None  # type: ignore[arg-type]


def test_entries_by_group_lists_every_entry_once_in_picker_order():
    grouped = entries_by_group()

    assert list(grouped) == list(GROUPS)
    listed = [entry.api_type for entries in grouped.values() for entry in entries]
    assert sorted(listed) == sorted(CATALOG)
    assert all(entry.group == group for group, entries in grouped.items() for entry in entries)
    assert all(grouped[group] for group in GROUPS)  # no empty tab in the picker


def test_services_of_the_headline_models():
    assert {CATALOG[api].service for api in ("imagen4", "midjourney-generate", "veo3", "sora2", "suno")} == {
        "IMAGEN4", "MIDJOURNEY", "VEO3", "SORA2", "SUNO",
    }


@ENTRIES
def test_entry_metadata_is_json_for_the_ui(entry: CatalogEntry):
    dumped = json.loads(json.dumps(entry.model_dump(mode="json")))

    assert dumped["api_type"] == entry.api_type
    assert dumped["family"] == entry.family.value
    assert dumped["media_kind"] == entry.media_kind.value
    for field in dumped["fields"]:
        assert {"name", "label", "help", "kind", "choices", "min", "max", "step", "default", "required",
                "max_length", "input_file"} <= set(field)


@ENTRIES
def test_entry_form_is_complete(entry: CatalogEntry):
    assert entry.display_name and entry.description
    for spec in entry.fields:
        assert spec.label, spec.name
        if spec.kind in ("text", "textarea"):
            assert spec.max_length, spec.name
        if spec.kind in ("integer", "number"):
            assert spec.min is not None and spec.max is not None and spec.min < spec.max, spec.name
        if spec.default is not None and spec.kind == "select":
            assert spec.default in spec.choices, spec.name
    wires = [spec.wire for spec in entry.fields]
    assert len(wires) == len(set(wires))


@ENTRIES
def test_empty_form_with_required_fields_filled_is_valid(entry: CatalogEntry):
    """The defaults an empty form shows are themselves a valid request."""
    params = entry.defaults()
    for spec in entry.fields:
        if spec.required:
            params[spec.name] = "https://files.example.com/in.png" if spec.input_file else "a quiet harbour"
    if entry.api_type == "suno":
        params["prompt"] = "a quiet harbour"

    request = validate_request(entry.api_type, params)

    assert request.params == {**params, **request.params}


@ENTRIES
def test_duration_prior_is_realistic(entry: CatalogEntry):
    assert 1 <= entry.duration.median_s <= entry.duration.p95_s <= 1800
    if entry.media_kind.value == "video":
        assert entry.duration.median_s >= 60


@ENTRIES
def test_seed_field_is_an_integer_field(entry: CatalogEntry):
    if entry.seed_field is not None:
        spec = entry.field(entry.seed_field)
        assert spec is not None and spec.kind == "integer"


def test_market_entries_know_their_model_id():
    for entry in CATALOG.values():
        if entry.family is ApiFamily.MARKET:
            model_choices = entry.provider_model_field.choices if entry.provider_model_field else []
            ids = [entry.model_id] if entry.model_id else model_choices
            assert ids and all(isinstance(model_id, str) and model_id for model_id in ids)


def test_a_broken_entry_is_refused_when_declared():
    from app.catalog.fields import prompt
    from app.catalog.schema import DurationPrior, Rule
    from app.providers.kie.families import MediaKind

    with pytest.raises(ValueError, match="unknown fields"):
        CatalogEntry(
            api_type="broken", service="X", display_name="Broken", description="d", group="image",
            media_kind=MediaKind.IMAGE, family=ApiFamily.MARKET, model_id="x/y", fields=[prompt(10)],
            rules=[Rule(when={"mode": ["a"]}, field="prompt", required=True, message="m")],
            duration=DurationPrior(median_s=1, p95_s=2),
        )
