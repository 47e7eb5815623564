"""Image generators: text (and optionally reference images) in, images out."""

from __future__ import annotations

from app.catalog.fields import boolean, files, integer, negative_prompt, number, prompt, seed, select, text
from app.catalog.schema import CatalogEntry, DurationPrior, MediaOverride, Rule
from app.providers.kie.families import ApiFamily, MediaKind

IMAGEN4_MODELS = ["google/imagen4-fast", "google/imagen4", "google/imagen4-ultra"]
NANO_BANANA_SIZES = ["1:1", "9:16", "16:9", "3:4", "4:3", "3:2", "2:3", "5:4", "4:5", "21:9", "auto"]
SEEDREAM_SIZES = [
    "square", "square_hd", "portrait_4_3", "portrait_3_2", "portrait_16_9",
    "landscape_4_3", "landscape_3_2", "landscape_16_9", "landscape_21_9",
]
NAMED_SIZES = ["square", "square_hd", "portrait_4_3", "portrait_16_9", "landscape_4_3", "landscape_16_9"]

MJ_IMAGE_TASKS = ["mj_txt2img", "mj_img2img", "mj_style_reference", "mj_omni_reference"]
MJ_VIDEO_TASKS = ["mj_video", "mj_video_hd"]
MJ_TASK_TYPES = [*MJ_IMAGE_TASKS, *MJ_VIDEO_TASKS]
MJ_ASPECT_RATIOS = ["1:2", "9:16", "2:3", "3:4", "5:6", "6:5", "4:3", "3:2", "1:1", "16:9", "2:1"]
MJ_NEEDS_IMAGE = ["mj_img2img", "mj_style_reference", "mj_omni_reference", "mj_video", "mj_video_hd"]

IMAGEN4 = CatalogEntry(
    api_type="imagen4",
    service="IMAGEN4",
    display_name="Imagen 4",
    description="Google's text-to-image model in three tiers: Fast, standard and Ultra.",
    group="image",
    media_kind=MediaKind.IMAGE,
    family=ApiFamily.MARKET,
    fields=[
        select("model", "Tier", IMAGEN4_MODELS, default="google/imagen4-fast", provider_model=True,
               help="Fast is cheapest and can make several images; Ultra is the most detailed."),
        prompt(5000),
        negative_prompt(5000),
        select("aspect_ratio", "Aspect ratio", ["1:1", "16:9", "9:16", "3:4", "4:3"], default="1:1"),
        select("num_images", "Images", ["1", "2", "3", "4"], default="1",
               send_when={"model": ["google/imagen4-fast"]},
               help="How many images one request makes (Imagen 4 Fast only)."),
        seed(),
    ],
    rules=[
        Rule(when={"model": ["google/imagen4", "google/imagen4-ultra"]}, field="num_images",
             choices=["1"], message="only Imagen 4 Fast makes more than one image per request"),
    ],
    duration=DurationPrior(median_s=15, p95_s=50),
    seed_field="seed",
)

NANO_BANANA = CatalogEntry(
    api_type="nano-banana",
    service="NANO_BANANA",
    display_name="Nano Banana",
    description="Google Gemini 2.5 Flash Image: fast text-to-image with good text rendering.",
    group="image",
    media_kind=MediaKind.IMAGE,
    family=ApiFamily.MARKET,
    model_id="google/nano-banana",
    fields=[
        prompt(5000),
        select("output_format", "File format", ["png", "jpeg"], default="png"),
        select("image_size", "Aspect ratio", NANO_BANANA_SIZES, default="1:1"),
    ],
    duration=DurationPrior(median_s=12, p95_s=40),
)

SEEDREAM = CatalogEntry(
    api_type="bytedance-seedream-image",
    service="SEEDREAM",
    display_name="Seedream 4.0",
    description="ByteDance's text-to-image model, up to 4K and up to six images per request.",
    group="image",
    media_kind=MediaKind.IMAGE,
    family=ApiFamily.MARKET,
    model_id="bytedance/seedream-v4-text-to-image",
    fields=[
        prompt(5000),
        select("image_size", "Aspect ratio", SEEDREAM_SIZES, default="square_hd"),
        select("image_resolution", "Resolution", ["1K", "2K", "4K"], default="1K"),
        integer("max_images", "Images", min=1, max=6, default=1,
                help="Upper bound on how many images the model may return."),
        seed(),
    ],
    duration=DurationPrior(median_s=30, p95_s=120),
    seed_field="seed",
)

QWEN_IMAGE = CatalogEntry(
    api_type="qwen-image",
    service="QWEN",
    display_name="Qwen Image",
    description="Alibaba's text-to-image model; strong at rendering text, Chinese and English prompts.",
    group="image",
    media_kind=MediaKind.IMAGE,
    family=ApiFamily.MARKET,
    model_id="qwen/text-to-image",
    fields=[
        prompt(5000),
        negative_prompt(500),
        select("image_size", "Aspect ratio", NAMED_SIZES, default="square_hd"),
        integer("num_inference_steps", "Steps", min=2, max=250, default=30,
                help="More steps: more detail, slower."),
        number("guidance_scale", "Guidance", min=0, max=20, default=2.5,
               help="How strictly to follow the prompt."),
        select("acceleration", "Acceleration", ["none", "regular", "high"], default="none",
               help="Faster generation at some cost in quality."),
        select("output_format", "File format", ["png", "jpeg"], default="png"),
        boolean("enable_safety_checker", "Safety checker", default=True),
        seed(),
    ],
    duration=DurationPrior(median_s=20, p95_s=70),
    seed_field="seed",
)

GPT4O_IMAGE = CatalogEntry(
    api_type="openai-4o-image",
    service="GPT4O_IMAGE",
    display_name="GPT-4o Image",
    description="OpenAI's image model: follows long instructions, edits up to five reference images.",
    group="image",
    media_kind=MediaKind.IMAGE,
    family=ApiFamily.GPT4O_IMAGE,
    model_id="gpt4o-image",
    fields=[
        prompt(5000),
        select("size", "Aspect ratio", ["1:1", "3:2", "2:3"], default="1:1"),
        files("filesUrl", "Reference images", max_items=5,
              help="Optional: up to five images to edit or draw from."),
        select("nVariants", "Variants", [1, 2, 4], default=1),
        boolean("enableFallback", "Fallback model",
                help="Let Kie switch to a backup model when GPT-4o is overloaded."),
    ],
    duration=DurationPrior(median_s=70, p95_s=240),
)

FLUX_KONTEXT = CatalogEntry(
    api_type="flux-kontext-image",
    service="FLUX_KONTEXT",
    display_name="Flux Kontext",
    description="Black Forest Labs' Flux Kontext: generate from text or edit one input image.",
    group="image",
    media_kind=MediaKind.IMAGE,
    family=ApiFamily.FLUX_KONTEXT,
    fields=[
        prompt(5000, help="Describe the image, or the change to make to the input image."),
        files("inputImage", "Input image", multiple=False,
              help="Optional: an image to edit instead of generating from scratch."),
        select("aspectRatio", "Aspect ratio", ["21:9", "16:9", "4:3", "1:1", "3:4", "9:16"], default="16:9"),
        select("model", "Model", ["flux-kontext-pro", "flux-kontext-max"], default="flux-kontext-pro",
               provider_model=True, help="Max handles complex scenes better and costs more."),
        select("outputFormat", "File format", ["jpeg", "png"], default="jpeg"),
    ],
    duration=DurationPrior(median_s=25, p95_s=90),
)

MIDJOURNEY = CatalogEntry(
    api_type="midjourney-generate",
    service="MIDJOURNEY",
    display_name="Midjourney",
    description="Midjourney images (text, image, style or omni reference) and image-to-video.",
    group="image",
    media_kind=MediaKind.IMAGE,
    family=ApiFamily.MIDJOURNEY,
    fields=[
        select("taskType", "Task", MJ_TASK_TYPES, default="mj_txt2img", provider_model=True,
               help="Reference and video tasks need an input image."),
        prompt(2000),
        files("fileUrls", "Input images", max_items=5,
              help="The image(s) to transform, take style from, or animate."),
        select("speed", "Speed", ["relaxed", "fast", "turbo"], default="fast",
               send_when={"taskType": MJ_IMAGE_TASKS},
               help="Faster costs more; not used for video tasks."),
        select("aspectRatio", "Aspect ratio", MJ_ASPECT_RATIOS, default="1:1"),
        select("version", "Version", ["7", "6.1", "6", "5.2", "5.1", "niji6"], default="7"),
        integer("stylization", "Stylization", min=0, max=1000, step=50,
                help="How strongly Midjourney's own aesthetic is applied."),
        integer("weirdness", "Weirdness", min=0, max=3000, step=100),
        integer("variety", "Variety", min=0, max=100, step=5,
                help="How different the images of one grid are from each other."),
        integer("ow", "Omni weight", min=1, max=1000,
                send_when={"taskType": ["mj_omni_reference"]},
                help="How closely an omni reference is followed (omni reference only)."),
        text("waterMark", "Watermark", max_length=100),
        select("videoBatchSize", "Videos", [1, 2, 4], default=1, send_when={"taskType": MJ_VIDEO_TASKS},
               help="How many videos one request makes (video tasks only)."),
        select("motion", "Motion", ["high", "low"], default="high", send_when={"taskType": MJ_VIDEO_TASKS}),
    ],
    rules=[
        Rule(when={"taskType": MJ_NEEDS_IMAGE}, field="fileUrls", required=True,
             message="this task type needs an input image"),
        Rule(when={"taskType": MJ_VIDEO_TASKS}, field="fileUrls", max_items=1,
             message="video tasks animate exactly one image"),
        Rule(when={"taskType": ["mj_txt2img"]}, field="fileUrls", forbidden=True,
             message="text-to-image takes no input image; pick image-to-image or a reference task"),
    ],
    media_overrides=[MediaOverride(when={"taskType": MJ_VIDEO_TASKS}, media_kind=MediaKind.VIDEO)],
    duration=DurationPrior(median_s=60, p95_s=300),
)

IMAGE_ENTRIES = [IMAGEN4, NANO_BANANA, SEEDREAM, QWEN_IMAGE, GPT4O_IMAGE, FLUX_KONTEXT, MIDJOURNEY]
