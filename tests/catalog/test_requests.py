"""Request-level refusals: unknown model, wrong service, extra fields, missing inputs, rules."""

from __future__ import annotations

from typing import Any

import pytest

from app.catalog import CATALOG, CatalogValidationError, validate_request, with_seed
from tests.catalog.cases import IMG, IMG2, first_case


def _refusal(api_type: Any, params: Any, service: Any = None) -> CatalogValidationError:
    with pytest.raises(CatalogValidationError) as caught:
        validate_request(api_type, params, service)
    return caught.value


@pytest.mark.parametrize("api_type", ["dall-e-9", "", "IMAGEN4", None, 7, ["veo3"], {"a": 1}])
def test_unknown_api_type_is_refused(api_type: Any):
    refusal = _refusal(api_type, {"prompt": "a cat"})

    assert refusal.fields == ["api_type"]
    assert refusal.errors[0].message.startswith("api_type: unknown model")


def test_extra_field_is_refused_by_name():
    refusal = _refusal("nano-banana", {"prompt": "a cat", "callBackUrl": "https://evil.example"})

    assert refusal.fields == ["callBackUrl"]
    assert refusal.errors[0].message == "callBackUrl: is not a setting of Nano Banana"


@pytest.mark.parametrize("params", [None, [], "prompt=cat", 3, ["prompt", "cat"]])
def test_params_must_be_an_object(params: Any):
    assert _refusal("nano-banana", params).fields == ["params"]


def test_params_field_names_must_be_text():
    assert _refusal("nano-banana", {"prompt": "a", 1: "b"}).fields == ["params"]


def test_matching_service_is_accepted_case_insensitively():
    request = validate_request("veo3", {"prompt": "a dog"}, service="veo3")

    assert request.entry.service == "VEO3"


@pytest.mark.parametrize("service", ["SORA2", "", 3, ["VEO3"]])
def test_service_mismatch_is_refused(service: Any):
    refusal = _refusal("veo3", {"prompt": "a dog"}, service)

    assert refusal.fields == ["service"]


def test_api_type_inside_params_must_agree():
    assert validate_request("nano-banana", {"prompt": "a", "api_type": "nano-banana"}).params == {
        "prompt": "a", "output_format": "png", "image_size": "1:1",
    }
    assert _refusal("nano-banana", {"prompt": "a", "api_type": "veo3"}).fields == ["api_type"]


REQUIRED_IMAGE = [
    pytest.param(api_type, spec.name, id=f"{api_type}.{spec.name}")
    for api_type, entry in CATALOG.items()
    for spec in entry.fields
    if spec.input_file and spec.required
]


def test_the_entries_that_need_an_input_file_say_so():
    assert {api_type for api_type, _ in (p.values for p in REQUIRED_IMAGE)} == {
        "nano-banana-edit", "nano-banana-upscale", "recraft-remove-background", "ideogram-reframe",
        "kling-v2-1-pro", "kling-v2-5-turbo-image-to-video", "runway-aleph-video",
    }


@pytest.mark.parametrize(("api_type", "field"), REQUIRED_IMAGE)
@pytest.mark.parametrize("absent", ["missing", None, "", []])
def test_required_input_file_is_refused_when_absent(api_type: str, field: str, absent: Any):
    params = dict(first_case(api_type).params)
    if absent == "missing":
        del params[field]
    else:
        params[field] = absent

    refusal = _refusal(api_type, params)

    accept = CATALOG[api_type].field(field).accept
    assert refusal.fields == [field]
    assert refusal.errors[0].message == f"{field}: this model needs an input {accept}"
    assert field in CATALOG[api_type].required_inputs


def test_sora_image_to_video_needs_image_urls():
    refusal = _refusal("sora2", {"model": "sora-2-image-to-video", "prompt": "wake up"})

    assert [e.message for e in refusal.errors] == ["image_urls: this model needs an input image"]


def test_sora_text_to_video_refuses_an_image():
    refusal = _refusal("sora2", {"prompt": "wake up", "image_urls": [IMG]})

    assert refusal.fields == ["image_urls"]


@pytest.mark.parametrize("task_type", ["mj_img2img", "mj_style_reference", "mj_omni_reference",
                                       "mj_video", "mj_video_hd"])
def test_midjourney_reference_and_video_tasks_need_file_urls(task_type: str):
    refusal = _refusal("midjourney-generate", {"prompt": "a jet", "taskType": task_type})

    assert [e.message for e in refusal.errors] == ["fileUrls: this task type needs an input image"]


def test_midjourney_video_animates_one_image_and_txt2img_takes_none():
    assert _refusal("midjourney-generate", {"prompt": "a", "taskType": "mj_video",
                                            "fileUrls": [IMG, IMG2]}).fields == ["fileUrls"]
    assert _refusal("midjourney-generate", {"prompt": "a", "fileUrls": [IMG]}).fields == ["fileUrls"]


def test_veo_modes_check_their_images():
    frames = {"prompt": "x", "generationType": "FIRST_AND_LAST_FRAMES_2_VIDEO"}

    assert _refusal("veo3", frames).fields == ["imageUrls"]
    assert _refusal("veo3", {**frames, "imageUrls": [IMG, IMG2, IMG]}).fields == ["imageUrls"]
    assert _refusal("veo3", {"prompt": "x", "imageUrls": [IMG]}).fields == ["imageUrls"]


def test_veo_reference_mode_is_veo3_fast_only():
    refusal = _refusal("veo3", {"prompt": "x", "generationType": "REFERENCE_2_VIDEO", "model": "veo3",
                                "imageUrls": [IMG]})

    assert [e.message for e in refusal.errors] == ["model: reference-to-video works with veo3_fast only"]


def test_imagen_several_images_only_with_fast():
    refusal = _refusal("imagen4", {"model": "google/imagen4", "prompt": "x", "num_images": "3"})

    assert refusal.fields == ["num_images"]


def test_suno_custom_mode_needs_style_title_and_lyrics():
    refusal = _refusal("suno", {"customMode": True})

    assert sorted(refusal.fields) == ["prompt", "style", "title"]


def test_suno_custom_instrumental_needs_no_lyrics():
    request = validate_request("suno", {"customMode": True, "instrumental": True, "style": "ambient",
                                        "title": "Drift"})

    assert "prompt" not in request.body


def test_suno_simple_mode_prompt_limits():
    assert _refusal("suno", {}).fields == ["prompt"]
    too_long = _refusal("suno", {"prompt": "x" * 501})
    assert [e.message for e in too_long.errors] == ["prompt: must be at most 500 characters in simple mode"]


def test_suno_older_models_have_shorter_custom_limits():
    params = {"customMode": True, "style": "s" * 201, "title": "t", "prompt": "p" * 3001, "model": "V4"}

    assert sorted(_refusal("suno", params).fields) == ["prompt", "style"]
    assert validate_request("suno", {**params, "model": "V5"}).provider_model == "V5"


class TestWithSeed:
    def test_sets_the_entry_seed_field(self):
        request = validate_request("veo3", {"prompt": "x"})

        walked = with_seed(request, 12346)

        assert walked["seeds"] == 12346
        assert validate_request("veo3", walked).body["seeds"] == 12346

    def test_accepts_plain_params_with_api_type(self):
        assert with_seed({"prompt": "x"}, 7, api_type="wan-video") == {"prompt": "x", "seed": 7}

    def test_entry_without_seed_returns_params_unchanged(self):
        assert with_seed({"prompt": "x"}, 7, api_type="nano-banana") == {"prompt": "x"}

    def test_needs_to_know_the_entry(self):
        with pytest.raises(ValueError):
            with_seed({"prompt": "x"}, 7)
