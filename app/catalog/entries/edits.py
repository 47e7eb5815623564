"""Editors: an input image or video in, a changed one out."""

from __future__ import annotations

from app.catalog.fields import boolean, files, integer, prompt, seed, select, text
from app.catalog.schema import CatalogEntry, DurationPrior
from app.catalog.entries.images import NAMED_SIZES, NANO_BANANA_SIZES
from app.providers.kie.families import ApiFamily, MediaKind

NANO_BANANA_EDIT = CatalogEntry(
    api_type="nano-banana-edit",
    service="NANO_BANANA",
    display_name="Nano Banana Edit",
    description="Edit or combine up to ten images with an instruction (Gemini 2.5 Flash Image).",
    group="edit",
    media_kind=MediaKind.IMAGE,
    family=ApiFamily.MARKET,
    model_id="google/nano-banana-edit",
    fields=[
        prompt(5000, help="Describe the change to make."),
        files("image_urls", "Input images", max_items=10, required=True,
              help="The image(s) to edit; up to ten."),
        select("output_format", "File format", ["png", "jpeg"], default="png"),
        select("image_size", "Aspect ratio", NANO_BANANA_SIZES, default="auto",
               help="auto keeps the input's proportions."),
    ],
    duration=DurationPrior(median_s=15, p95_s=50),
)

NANO_BANANA_UPSCALE = CatalogEntry(
    api_type="nano-banana-upscale",
    service="NANO_BANANA",
    display_name="Nano Banana Upscale",
    description="Upscale an image up to 4x, optionally restoring faces.",
    group="edit",
    media_kind=MediaKind.IMAGE,
    family=ApiFamily.MARKET,
    model_id="nano-banana-upscale",
    fields=[
        files("image", "Image", multiple=False, required=True, help="The image to upscale."),
        integer("scale", "Scale", min=1, max=4, default=2),
        boolean("face_enhance", "Enhance faces"),
    ],
    duration=DurationPrior(median_s=20, p95_s=70),
    prompt_field=None,
)

RECRAFT_REMOVE_BACKGROUND = CatalogEntry(
    api_type="recraft-remove-background",
    service="RECRAFT",
    display_name="Remove background",
    description="Recraft background removal: a PNG with a transparent background.",
    group="edit",
    media_kind=MediaKind.IMAGE,
    family=ApiFamily.MARKET,
    model_id="recraft/remove-background",
    fields=[files("image", "Image", multiple=False, required=True, help="The image to cut out.")],
    duration=DurationPrior(median_s=5, p95_s=20),
    prompt_field=None,
)

IDEOGRAM_REFRAME = CatalogEntry(
    api_type="ideogram-reframe",
    service="IDEOGRAM",
    display_name="Ideogram Reframe",
    description="Ideogram V3 reframe: extend an image to a new aspect ratio.",
    group="edit",
    media_kind=MediaKind.IMAGE,
    family=ApiFamily.MARKET,
    model_id="ideogram/v3-reframe",
    fields=[
        files("image_url", "Image", multiple=False, required=True, help="The image to extend."),
        select("image_size", "New aspect ratio", NAMED_SIZES, default="square_hd"),
        select("rendering_speed", "Rendering", ["TURBO", "BALANCED", "QUALITY"], default="BALANCED",
               help="Quality is slower and costs more."),
        select("style", "Style", ["AUTO", "GENERAL", "REALISTIC", "DESIGN"], default="AUTO"),
        select("num_images", "Images", ["1", "2", "3", "4"], default="1"),
        seed(),
    ],
    duration=DurationPrior(median_s=20, p95_s=70),
    prompt_field=None,
    seed_field="seed",
)

RUNWAY_ALEPH = CatalogEntry(
    api_type="runway-aleph-video",
    service="RUNWAY_ALEPH",
    display_name="Runway Aleph",
    description="Runway Aleph video-to-video: restyle, relight, add or remove things in a clip.",
    group="edit",
    media_kind=MediaKind.VIDEO,
    family=ApiFamily.ALEPH,
    model_id="aleph",
    fields=[
        prompt(2000, help="Describe the change to make to the video."),
        files("videoUrl", "Input video", accept="video", multiple=False, required=True,
              help="The clip to transform (the first seconds are used)."),
        files("referenceImage", "Reference image", multiple=False,
              help="Optional: an image whose look the result should take."),
        select("aspectRatio", "Aspect ratio", ["16:9", "9:16", "4:3", "3:4", "1:1", "21:9"]),
        seed(),
        text("waterMark", "Watermark", max_length=100, help="Optional watermark text."),
        boolean("uploadCn", "China upload route", help="Upload the result through Kie's China servers."),
    ],
    duration=DurationPrior(median_s=180, p95_s=600),
    seed_field="seed",
)

EDIT_ENTRIES = [
    NANO_BANANA_EDIT, NANO_BANANA_UPSCALE, RECRAFT_REMOVE_BACKGROUND, IDEOGRAM_REFRAME, RUNWAY_ALEPH,
]
