"""Each invalid field is refused with a message that names that field, for every entry."""

from __future__ import annotations

from typing import Any

import pytest

from app.catalog import CATALOG, CatalogValidationError, FieldSpec, validate_request
from tests.catalog.cases import IMG, first_case

NOT_A_CHOICE = "surely-not-a-choice"


def _bad_values(spec: FieldSpec) -> list[tuple[str, Any]]:
    """(what is wrong, value) pairs that must be refused for this field."""
    bad: list[tuple[str, Any]] = [("wrong type", {"nested": ["junk"]})]
    if spec.kind in ("text", "textarea"):
        bad += [("wrong type", 12345), ("too long", "x" * (spec.max_length + 1))]
    elif spec.kind in ("integer", "number"):
        bad += [("wrong type", "many"), ("wrong type", True),
                ("out of range", spec.max + 1), ("out of range", spec.min - 1)]
        if spec.kind == "integer":
            bad.append(("wrong type", 2.5))
    elif spec.kind == "boolean":
        bad += [("wrong type", "maybe"), ("wrong type", 7)]
    elif spec.kind == "select":
        bad += [("bad choice", NOT_A_CHOICE), ("wrong type", True)]
    elif spec.kind == "file_urls":
        bad += [("wrong type", 42), ("bad url", "not a url"), ("bad url", "ftp://files.example.com/a.png")]
        if spec.multiple:
            bad.append(("too many", [IMG] * (spec.max_length + 1)))
            bad.append(("bad url in list", [IMG, "javascript:alert(1)"]))
        else:
            bad.append(("too many", [IMG, IMG]))
    return bad


CASES = [
    pytest.param(api_type, spec.name, value, id=f"{api_type}.{spec.name}:{what}")
    for api_type, entry in CATALOG.items()
    for spec in entry.fields
    for what, value in _bad_values(spec)
]


@pytest.mark.parametrize(("api_type", "field", "value"), CASES)
def test_invalid_field_is_refused_naming_that_field(api_type: str, field: str, value: Any):
    params = {**first_case(api_type).params, field: value}

    with pytest.raises(CatalogValidationError) as caught:
        validate_request(api_type, params)

    assert caught.value.fields == [field]
    message = caught.value.errors[0].message
    assert message.startswith(f"{field}: ")
    assert len(message) < 300  # never echoes a huge input back


def test_messages_say_what_to_do():
    def message(api_type: str, **params: Any) -> str:
        with pytest.raises(CatalogValidationError) as caught:
            validate_request(api_type, {**first_case(api_type).params, **params})
        return caught.value.errors[0].message

    assert message("nano-banana", prompt="x" * 5001) == "prompt: must be at most 5000 characters"
    assert message("veo3", seeds=5) == "seeds: must be at least 10000"
    assert message("veo3", seeds=100000) == "seeds: must be at most 99999"
    assert message("nano-banana", image_size="7:1") == (
        "image_size: must be one of 1:1, 9:16, 16:9, 3:4, 4:3, 3:2, 2:3, 5:4, 4:5, 21:9, auto"
    )
    assert message("nano-banana-upscale", scale="big") == "scale: must be a whole number"
    assert message("nano-banana-edit", image_urls=[IMG] * 11) == "image_urls: takes at most 10 files"
    assert message("nano-banana-edit", image_urls=[IMG, "nope"]) == (
        "image_urls: item 2 must be an http(s) URL of an uploaded file"
    )
    assert message("qwen-image", guidance_scale=float("nan")) == "guidance_scale: must be a finite number"
    assert message("wan-video", enable_prompt_expansion="perhaps") == (
        "enable_prompt_expansion: must be true or false"
    )


def test_required_text_must_not_be_blank_or_missing():
    with pytest.raises(CatalogValidationError) as blank:
        validate_request("nano-banana", {"prompt": "   "})
    with pytest.raises(CatalogValidationError) as missing:
        validate_request("nano-banana", {})
    with pytest.raises(CatalogValidationError) as null:
        validate_request("nano-banana", {"prompt": None})

    assert blank.value.errors[0].message == "prompt: must not be empty"
    assert missing.value.errors[0].message == "prompt: is required"
    assert null.value.errors[0].message == "prompt: is required"


def test_min_length_prompt():
    with pytest.raises(CatalogValidationError) as caught:
        validate_request("bytedance-seedance-video", {"prompt": "hi"})

    assert caught.value.errors[0].message == "prompt: must be at least 3 characters"


def test_every_problem_is_reported_at_once():
    with pytest.raises(CatalogValidationError) as caught:
        validate_request("imagen4", {"prompt": 5, "aspect_ratio": "2:1", "seed": "x", "colour": "red"})

    assert sorted(caught.value.fields) == ["aspect_ratio", "colour", "prompt", "seed"]
