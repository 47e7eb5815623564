"""A valid request for each model builds exactly the provider create body of the contract."""

from __future__ import annotations

import json

import pytest

from app.catalog import CATALOG, ValidatedRequest, validate_request
from app.providers.kie.families import ApiFamily, MediaKind
from tests.catalog.cases import CASES, IMG, Case


def _case_id(case: Case) -> str:
    return f"{case.api_type}:{case.provider_model}"


def test_every_catalog_entry_has_a_hand_written_body():
    assert {case.api_type for case in CASES} == set(CATALOG)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_valid_request_builds_the_contract_body(case: Case):
    request = validate_request(case.api_type, case.params)

    assert request.body == case.body
    assert request.provider_model == case.provider_model
    assert request.family is request.entry.family
    assert "callBackUrl" not in json.dumps(request.body)  # the Kie client adds it


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_normalized_params_validate_again_to_the_same_body(case: Case):
    """Stored params (e.g. for "run again") reproduce the same submission."""
    first = validate_request(case.api_type, case.params)
    again = validate_request(case.api_type, first.params)

    assert again.body == first.body
    assert again.params == first.params


def test_market_bodies_name_the_model_at_the_top_level_only():
    for case in CASES:
        entry = CATALOG[case.api_type]
        if entry.family is ApiFamily.MARKET:
            assert set(case.body) == {"model", "input"}
            assert "model" not in case.body["input"]


def test_defaults_are_filled_into_params():
    request = validate_request("veo3", {"prompt": "a dog surfing"})

    assert request.params == {
        "prompt": "a dog surfing",
        "model": "veo3_fast",
        "generationType": "TEXT_2_VIDEO",
        "aspectRatio": "16:9",
        "enableFallback": False,
        "enableTranslation": True,
    }


def test_none_means_use_the_default_and_optional_none_is_left_out():
    request = validate_request("wan-video", {"prompt": "rain", "resolution": None, "seed": None})

    assert request.params["resolution"] == "1080p"
    assert "seed" not in request.params
    assert "seed" not in request.body["input"]


def test_blank_optional_text_is_not_sent():
    request = validate_request("wan-video", {"prompt": "rain", "negative_prompt": "   "})

    assert "negative_prompt" not in request.body["input"]


def test_prompt_and_input_urls_are_exposed_for_search_and_uploads():
    request = validate_request("nano-banana-edit", {"prompt": "sofa", "image_urls": [IMG]})

    assert request.prompt == "sofa"
    assert request.input_urls == [IMG]


def test_text_to_speech_indexes_its_text_as_the_prompt():
    request = validate_request("elevenlabs-tts", {"text": "Hello there"})

    assert request.prompt == "Hello there"


def test_entries_without_prompt_have_none():
    request = validate_request("recraft-remove-background", {"image": IMG})

    assert request.prompt is None
    assert request.input_urls == [IMG]


def test_midjourney_video_task_produces_video():
    image = validate_request("midjourney-generate", {"prompt": "a jet"})
    video = validate_request("midjourney-generate", {"prompt": "a jet", "taskType": "mj_video_hd",
                                                     "fileUrls": [IMG]})

    assert image.media_kind is MediaKind.IMAGE
    assert video.media_kind is MediaKind.VIDEO


def test_form_strings_are_accepted_for_numbers_and_choices():
    """The UI's inputs hand over strings; they normalize to the wire types."""
    request = validate_request(
        "openai-4o-image", {"prompt": "a fox", "nVariants": "2", "enableFallback": "true"}
    )

    assert request.body["nVariants"] == 2
    assert request.body["enableFallback"] is True


def test_single_file_field_takes_an_uploaders_one_item_list():
    request = validate_request("kling-v2-1-pro", {"prompt": "turn", "image_url": [IMG]})

    assert request.body["input"]["image_url"] == IMG


def test_validated_request_round_trips_as_json():
    request = validate_request("veo3", {"prompt": "a dog surfing"})

    restored = ValidatedRequest.model_validate_json(request.model_dump_json())

    assert restored == request
