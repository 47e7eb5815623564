"""Video generators: text and/or images in, a video out."""

from __future__ import annotations

from app.catalog.fields import boolean, files, integer, negative_prompt, number, prompt, seed, select, text
from app.catalog.schema import CatalogEntry, DurationPrior, Rule
from app.providers.kie.families import ApiFamily, MediaKind

VEO_TEXT = "TEXT_2_VIDEO"
VEO_FRAMES = "FIRST_AND_LAST_FRAMES_2_VIDEO"
VEO_REFERENCE = "REFERENCE_2_VIDEO"
SORA_TEXT = "sora-2-text-to-video"
SORA_IMAGE = "sora-2-image-to-video"
KLING_DURATIONS = ["5", "10"]


def _cfg_scale():
    return number("cfg_scale", "Prompt adherence", min=0, max=1, default=0.5,
                  help="Higher follows the prompt more literally (CFG scale).")


def _kling_duration():
    return select("duration", "Length (seconds)", KLING_DURATIONS, default="5")


VEO3 = CatalogEntry(
    api_type="veo3",
    service="VEO3",
    display_name="Veo 3",
    description="Google Veo 3 video with sound, from text, from first/last frames, or from references.",
    group="video",
    media_kind=MediaKind.VIDEO,
    family=ApiFamily.VEO,
    fields=[
        prompt(5000),
        select("model", "Model", ["veo3", "veo3_fast"], default="veo3_fast", provider_model=True,
               help="veo3 is the quality model; veo3_fast is cheaper and quicker."),
        select("generationType", "Mode", [VEO_TEXT, VEO_FRAMES, VEO_REFERENCE], default=VEO_TEXT,
               help="Text only, first (and last) frame images, or reference images."),
        files("imageUrls", "Images", max_items=3,
              help="First/last frames (1–2 images) or references (1–3 images, veo3_fast only)."),
        select("aspectRatio", "Aspect ratio", ["16:9", "9:16", "Auto"], default="16:9"),
        seed("seeds", min=10000, max=99999),
        text("watermark", "Watermark", max_length=100, help="Optional watermark text."),
        boolean("enableFallback", "Fallback model",
                help="Let Kie use a backup model when Veo refuses the content."),
        boolean("enableTranslation", "Translate prompt", default=True,
                help="Translate the prompt to English first."),
    ],
    rules=[
        Rule(when={"generationType": [VEO_TEXT]}, field="imageUrls", forbidden=True,
             message="text-to-video takes no images; pick first-and-last-frames or reference mode"),
        Rule(when={"generationType": [VEO_FRAMES]}, field="imageUrls", required=True,
             message="first-and-last-frames mode needs one or two images"),
        Rule(when={"generationType": [VEO_FRAMES]}, field="imageUrls", max_items=2,
             message="first-and-last-frames mode takes at most 2 images"),
        Rule(when={"generationType": [VEO_REFERENCE]}, field="imageUrls", required=True,
             message="reference mode needs at least one reference image"),
        Rule(when={"generationType": [VEO_REFERENCE]}, field="model", choices=["veo3_fast"],
             message="reference-to-video works with veo3_fast only"),
    ],
    duration=DurationPrior(median_s=150, p95_s=480),
    seed_field="seeds",
)

SORA2 = CatalogEntry(
    api_type="sora2",
    service="SORA2",
    display_name="Sora 2",
    description="OpenAI Sora 2 video with sound, from text or from one image.",
    group="video",
    media_kind=MediaKind.VIDEO,
    family=ApiFamily.MARKET,
    fields=[
        select("model", "Mode", [SORA_TEXT, SORA_IMAGE], default=SORA_TEXT, provider_model=True,
               help="Image-to-video starts from your image."),
        prompt(10000),
        files("image_urls", "Start image", max_items=1, send_when={"model": [SORA_IMAGE]},
              help="The image the video starts from (image-to-video only)."),
        select("aspect_ratio", "Orientation", ["portrait", "landscape"], default="landscape"),
        select("n_frames", "Length (seconds)", ["10", "15"], default="10"),
        boolean("remove_watermark", "Remove watermark", default=True),
    ],
    rules=[
        Rule(when={"model": [SORA_IMAGE]}, field="image_urls", required=True,
             message="this model needs an input image"),
        Rule(when={"model": [SORA_TEXT]}, field="image_urls", forbidden=True,
             message="text-to-video takes no image; pick sora-2-image-to-video"),
    ],
    duration=DurationPrior(median_s=240, p95_s=900),
)

SEEDANCE = CatalogEntry(
    api_type="bytedance-seedance-video",
    service="SEEDANCE",
    display_name="Seedance 2.0",
    description="ByteDance Seedance video from text, or between a first and a last frame, with audio.",
    group="video",
    media_kind=MediaKind.VIDEO,
    family=ApiFamily.MARKET,
    model_id="bytedance/seedance-2",
    fields=[
        prompt(20000, min_length=3),
        files("first_frame_url", "First frame", multiple=False,
              help="Optional: the image the video starts from."),
        files("last_frame_url", "Last frame", multiple=False,
              help="Optional: the image the video ends on (with a first frame)."),
        select("aspect_ratio", "Aspect ratio", ["1:1", "4:3", "3:4", "16:9", "9:16", "21:9", "adaptive"],
               default="16:9"),
        select("resolution", "Resolution", ["480p", "720p", "1080p"], default="720p"),
        integer("duration", "Length (seconds)", min=4, max=15, default=5),
        boolean("generate_audio", "Generate audio", default=True),
    ],
    duration=DurationPrior(median_s=120, p95_s=420),
)

WAN = CatalogEntry(
    api_type="wan-video",
    service="WAN",
    display_name="Wan 2.5",
    description="Alibaba Wan 2.5 text-to-video with audio, up to 1080p.",
    group="video",
    media_kind=MediaKind.VIDEO,
    family=ApiFamily.MARKET,
    model_id="wan/2-5-text-to-video",
    fields=[
        prompt(800),
        select("duration", "Length (seconds)", ["5", "10"], default="5"),
        select("aspect_ratio", "Aspect ratio", ["16:9", "9:16", "1:1"], default="16:9"),
        select("resolution", "Resolution", ["720p", "1080p"], default="1080p"),
        negative_prompt(500),
        boolean("enable_prompt_expansion", "Expand prompt", default=True,
                help="Let a language model rewrite short prompts; slower."),
        seed(),
    ],
    duration=DurationPrior(median_s=180, p95_s=600),
    seed_field="seed",
)

HAILUO = CatalogEntry(
    api_type="hailuo-video",
    service="HAILUO",
    display_name="Hailuo 02 Pro",
    description="MiniMax Hailuo 02 text-to-video in 1080p with strong physics.",
    group="video",
    media_kind=MediaKind.VIDEO,
    family=ApiFamily.MARKET,
    model_id="hailuo/02-text-to-video-pro",
    fields=[
        prompt(1500),
        boolean("prompt_optimizer", "Optimise prompt", default=True,
                help="Let the model refine the prompt before generating."),
    ],
    duration=DurationPrior(median_s=240, p95_s=720),
)

KLING_V2_1_PRO = CatalogEntry(
    api_type="kling-v2-1-pro",
    service="KLING",
    display_name="Kling 2.1 Pro",
    description="Kling 2.1 Pro image-to-video, optionally ending on a second image.",
    group="video",
    media_kind=MediaKind.VIDEO,
    family=ApiFamily.MARKET,
    model_id="kling/v2-1-pro",
    fields=[
        prompt(5000),
        files("image_url", "Start image", multiple=False, required=True,
              help="The image the video starts from."),
        files("tail_image_url", "End image", multiple=False, help="Optional: the image the video ends on."),
        _kling_duration(),
        negative_prompt(500),
        _cfg_scale(),
    ],
    # Kling 2.1 Pro renders a 5 s clip in about one and a half to four minutes.
    duration=DurationPrior(median_s=180, p95_s=600, fast_s=90),
)

KLING_V2_5_TURBO_TEXT = CatalogEntry(
    api_type="kling-v2-5-turbo-text-to-video",
    service="KLING",
    display_name="Kling 2.5 Turbo (text)",
    description="Kling 2.5 Turbo Pro text-to-video: fast, fluid motion.",
    group="video",
    media_kind=MediaKind.VIDEO,
    family=ApiFamily.MARKET,
    model_id="kling/v2-5-turbo-text-to-video-pro",
    fields=[
        prompt(2500),
        _kling_duration(),
        select("aspect_ratio", "Aspect ratio", ["16:9", "9:16", "1:1"], default="16:9"),
        negative_prompt(2500),
        _cfg_scale(),
    ],
    duration=DurationPrior(median_s=120, p95_s=420),
)

KLING_V2_5_TURBO_IMAGE = CatalogEntry(
    api_type="kling-v2-5-turbo-image-to-video",
    service="KLING",
    display_name="Kling 2.5 Turbo (image)",
    description="Kling 2.5 Turbo Pro image-to-video from a start image.",
    group="video",
    media_kind=MediaKind.VIDEO,
    family=ApiFamily.MARKET,
    model_id="kling/v2-5-turbo-image-to-video-pro",
    fields=[
        prompt(2500),
        files("image_url", "Start image", multiple=False, required=True,
              help="The image the video starts from."),
        files("tail_image_url", "End image", multiple=False, help="Optional: the image the video ends on."),
        _kling_duration(),
        negative_prompt(2496),
        _cfg_scale(),
    ],
    duration=DurationPrior(median_s=120, p95_s=420),
)

VIDEO_ENTRIES = [
    VEO3, SORA2, SEEDANCE, WAN, HAILUO, KLING_V2_1_PRO, KLING_V2_5_TURBO_TEXT, KLING_V2_5_TURBO_IMAGE,
]
