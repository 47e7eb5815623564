"""Representative valid requests per catalog entry, with the provider body written by hand.

The bodies are the contract (/work/shared/kie-api.md): if a change to the catalog alters
one, the test says so. Every catalog entry has at least one case.
"""

from __future__ import annotations

from typing import Any, NamedTuple

IMG = "https://tempfile.redpandaai.co/kieai/atelier/cat.png"
IMG2 = "https://tempfile.redpandaai.co/kieai/atelier/dog.jpg"
VIDEO = "https://tempfile.redpandaai.co/kieai/atelier/clip.mp4"


class Case(NamedTuple):
    api_type: str
    params: dict[str, Any]
    body: dict[str, Any]
    provider_model: str


CASES: list[Case] = [
    Case(
        "imagen4",
        {"prompt": "a lighthouse at dusk", "negative_prompt": "people", "aspect_ratio": "16:9",
         "num_images": "4", "seed": 42},
        {"model": "google/imagen4-fast",
         "input": {"prompt": "a lighthouse at dusk", "negative_prompt": "people", "aspect_ratio": "16:9",
                   "num_images": "4", "seed": 42}},
        "google/imagen4-fast",
    ),
    Case(
        "imagen4",
        {"model": "google/imagen4-ultra", "prompt": "a lighthouse at dusk"},
        {"model": "google/imagen4-ultra", "input": {"prompt": "a lighthouse at dusk", "aspect_ratio": "1:1"}},
        "google/imagen4-ultra",
    ),
    Case(
        "nano-banana",
        {"prompt": "a banana astronaut", "image_size": "9:16", "output_format": "jpeg"},
        {"model": "google/nano-banana",
         "input": {"prompt": "a banana astronaut", "output_format": "jpeg", "image_size": "9:16"}},
        "google/nano-banana",
    ),
    Case(
        "bytedance-seedream-image",
        {"prompt": "misty mountains", "image_size": "landscape_21_9", "image_resolution": "4K",
         "max_images": 3, "seed": 7},
        {"model": "bytedance/seedream-v4-text-to-image",
         "input": {"prompt": "misty mountains", "image_size": "landscape_21_9", "image_resolution": "4K",
                   "max_images": 3, "seed": 7}},
        "bytedance/seedream-v4-text-to-image",
    ),
    Case(
        "qwen-image",
        {"prompt": "a shop sign that says OPEN", "negative_prompt": "blur", "num_inference_steps": 40,
         "guidance_scale": 4, "acceleration": "regular", "enable_safety_checker": False},
        {"model": "qwen/text-to-image",
         "input": {"prompt": "a shop sign that says OPEN", "negative_prompt": "blur",
                   "image_size": "square_hd", "num_inference_steps": 40, "guidance_scale": 4.0,
                   "acceleration": "regular", "output_format": "png", "enable_safety_checker": False}},
        "qwen/text-to-image",
    ),
    Case(
        "openai-4o-image",
        {"prompt": "make it a watercolor", "size": "3:2", "filesUrl": [IMG, IMG2], "nVariants": 4},
        {"prompt": "make it a watercolor", "size": "3:2", "filesUrl": [IMG, IMG2], "nVariants": 4,
         "enableFallback": False},
        "gpt4o-image",
    ),
    Case(
        "flux-kontext-image",
        {"prompt": "add a red hat", "inputImage": IMG, "model": "flux-kontext-max", "aspectRatio": "1:1",
         "outputFormat": "png"},
        {"prompt": "add a red hat", "inputImage": IMG, "aspectRatio": "1:1", "model": "flux-kontext-max",
         "outputFormat": "png"},
        "flux-kontext-max",
    ),
    Case(
        "midjourney-generate",
        {"prompt": "a sci-fi jet over clouds", "aspectRatio": "16:9", "speed": "turbo", "stylization": 500,
         "weirdness": 100, "variety": 10, "waterMark": "atelier"},
        {"taskType": "mj_txt2img", "prompt": "a sci-fi jet over clouds", "speed": "turbo",
         "aspectRatio": "16:9", "version": "7", "stylization": 500, "weirdness": 100, "variety": 10,
         "waterMark": "atelier"},
        "mj_txt2img",
    ),
    Case(
        "midjourney-generate",
        {"taskType": "mj_video", "prompt": "the jet takes off", "fileUrls": [IMG], "videoBatchSize": 2,
         "motion": "low"},
        {"taskType": "mj_video", "prompt": "the jet takes off", "fileUrls": [IMG], "aspectRatio": "1:1",
         "version": "7", "videoBatchSize": 2, "motion": "low"},
        "mj_video",
    ),
    Case(
        "midjourney-generate",
        {"taskType": "mj_omni_reference", "prompt": "this character in Paris", "fileUrls": [IMG], "ow": 250,
         "version": "niji6"},
        {"taskType": "mj_omni_reference", "prompt": "this character in Paris", "fileUrls": [IMG],
         "speed": "fast", "aspectRatio": "1:1", "version": "niji6", "ow": 250},
        "mj_omni_reference",
    ),
    Case(
        "veo3",
        {"prompt": "a dog surfing", "aspectRatio": "9:16", "seeds": 12345, "enableTranslation": False},
        {"prompt": "a dog surfing", "model": "veo3_fast", "generationType": "TEXT_2_VIDEO",
         "aspectRatio": "9:16", "seeds": 12345, "enableFallback": False, "enableTranslation": False},
        "veo3_fast",
    ),
    Case(
        "veo3",
        {"prompt": "from day to night", "model": "veo3", "generationType": "FIRST_AND_LAST_FRAMES_2_VIDEO",
         "imageUrls": [IMG, IMG2], "watermark": "atelier", "enableFallback": True},
        {"prompt": "from day to night", "model": "veo3", "generationType": "FIRST_AND_LAST_FRAMES_2_VIDEO",
         "imageUrls": [IMG, IMG2], "aspectRatio": "16:9", "watermark": "atelier", "enableFallback": True,
         "enableTranslation": True},
        "veo3",
    ),
    Case(
        "veo3",
        {"prompt": "these two meet", "generationType": "REFERENCE_2_VIDEO", "imageUrls": [IMG, IMG2, IMG]},
        {"prompt": "these two meet", "model": "veo3_fast", "generationType": "REFERENCE_2_VIDEO",
         "imageUrls": [IMG, IMG2, IMG], "aspectRatio": "16:9", "enableFallback": False,
         "enableTranslation": True},
        "veo3_fast",
    ),
    Case(
        "sora2",
        {"prompt": "a paper boat in the rain", "aspect_ratio": "portrait", "n_frames": "15",
         "remove_watermark": False},
        {"model": "sora-2-text-to-video",
         "input": {"prompt": "a paper boat in the rain", "aspect_ratio": "portrait", "n_frames": "15",
                   "remove_watermark": False}},
        "sora-2-text-to-video",
    ),
    Case(
        "sora2",
        {"model": "sora-2-image-to-video", "prompt": "the cat wakes up", "image_urls": [IMG]},
        {"model": "sora-2-image-to-video",
         "input": {"prompt": "the cat wakes up", "image_urls": [IMG], "aspect_ratio": "landscape",
                   "n_frames": "10", "remove_watermark": True}},
        "sora-2-image-to-video",
    ),
    Case(
        "bytedance-seedance-video",
        {"prompt": "a city wakes up", "first_frame_url": IMG, "last_frame_url": IMG2, "resolution": "1080p",
         "duration": 10, "generate_audio": False, "aspect_ratio": "adaptive"},
        {"model": "bytedance/seedance-2",
         "input": {"prompt": "a city wakes up", "first_frame_url": IMG, "last_frame_url": IMG2,
                   "aspect_ratio": "adaptive", "resolution": "1080p", "duration": 10,
                   "generate_audio": False}},
        "bytedance/seedance-2",
    ),
    Case(
        "wan-video",
        {"prompt": "a jazz bar at night", "duration": "10", "resolution": "720p", "negative_prompt": "text",
         "enable_prompt_expansion": False, "seed": 99},
        {"model": "wan/2-5-text-to-video",
         "input": {"prompt": "a jazz bar at night", "duration": "10", "aspect_ratio": "16:9",
                   "resolution": "720p", "negative_prompt": "text", "enable_prompt_expansion": False,
                   "seed": 99}},
        "wan/2-5-text-to-video",
    ),
    Case(
        "hailuo-video",
        {"prompt": "a gymnast on a beam", "prompt_optimizer": False},
        {"model": "hailuo/02-text-to-video-pro",
         "input": {"prompt": "a gymnast on a beam", "prompt_optimizer": False}},
        "hailuo/02-text-to-video-pro",
    ),
    Case(
        "kling-v2-1-pro",
        {"prompt": "she turns and smiles", "image_url": IMG, "tail_image_url": IMG2, "duration": "10",
         "negative_prompt": "blur", "cfg_scale": 0.7},
        {"model": "kling/v2-1-pro",
         "input": {"prompt": "she turns and smiles", "image_url": IMG, "tail_image_url": IMG2,
                   "duration": "10", "negative_prompt": "blur", "cfg_scale": 0.7}},
        "kling/v2-1-pro",
    ),
    Case(
        "kling-v2-5-turbo-text-to-video",
        {"prompt": "a fox runs through snow", "aspect_ratio": "1:1"},
        {"model": "kling/v2-5-turbo-text-to-video-pro",
         "input": {"prompt": "a fox runs through snow", "duration": "5", "aspect_ratio": "1:1",
                   "cfg_scale": 0.5}},
        "kling/v2-5-turbo-text-to-video-pro",
    ),
    Case(
        "kling-v2-5-turbo-image-to-video",
        {"prompt": "the fox looks up", "image_url": [IMG], "duration": 10},
        {"model": "kling/v2-5-turbo-image-to-video-pro",
         "input": {"prompt": "the fox looks up", "image_url": IMG, "duration": "10", "cfg_scale": 0.5}},
        "kling/v2-5-turbo-image-to-video-pro",
    ),
    Case(
        "suno",
        {"prompt": "a calm piano piece for a rainy day", "instrumental": True, "model": "V5"},
        {"prompt": "a calm piano piece for a rainy day", "customMode": False, "instrumental": True,
         "model": "V5"},
        "V5",
    ),
    Case(
        "suno",
        {"customMode": True, "prompt": "[Verse]\nRain on the window", "style": "lo-fi, mellow",
         "title": "Rainy Day", "negativeTags": "metal", "vocalGender": "f", "styleWeight": 0.65,
         "weirdnessConstraint": 0.5, "audioWeight": 0.4},
        {"prompt": "[Verse]\nRain on the window", "customMode": True, "instrumental": False, "model": "V4_5",
         "style": "lo-fi, mellow", "title": "Rainy Day", "negativeTags": "metal", "vocalGender": "f",
         "styleWeight": 0.65, "weirdnessConstraint": 0.5, "audioWeight": 0.4},
        "V4_5",
    ),
    Case(
        "elevenlabs-tts",
        {"text": "Welcome to the studio.", "voice": "Daniel", "speed": 1.1, "language_code": "en"},
        {"model": "elevenlabs/text-to-speech-turbo-2-5",
         "input": {"text": "Welcome to the studio.", "voice": "Daniel", "stability": 0.5,
                   "similarity_boost": 0.75, "style": 0.0, "speed": 1.1, "timestamps": False,
                   "language_code": "en"}},
        "elevenlabs/text-to-speech-turbo-2-5",
    ),
    Case(
        "elevenlabs-sound-effects",
        {"text": "thunder over a rainy city", "duration_seconds": 5, "loop": True},
        {"model": "elevenlabs/sound-effect-v2",
         "input": {"text": "thunder over a rainy city", "duration_seconds": 5.0, "loop": True,
                   "prompt_influence": 0.3, "output_format": "mp3_44100_128"}},
        "elevenlabs/sound-effect-v2",
    ),
    Case(
        "nano-banana-edit",
        {"prompt": "put both pets on a sofa", "image_urls": [IMG, IMG2], "image_size": "4:3"},
        {"model": "google/nano-banana-edit",
         "input": {"prompt": "put both pets on a sofa", "image_urls": [IMG, IMG2], "output_format": "png",
                   "image_size": "4:3"}},
        "google/nano-banana-edit",
    ),
    Case(
        "nano-banana-upscale",
        {"image": IMG, "scale": 4, "face_enhance": True},
        {"model": "nano-banana-upscale", "input": {"image": IMG, "scale": 4, "face_enhance": True}},
        "nano-banana-upscale",
    ),
    Case(
        "recraft-remove-background",
        {"image": IMG},
        {"model": "recraft/remove-background", "input": {"image": IMG}},
        "recraft/remove-background",
    ),
    Case(
        "ideogram-reframe",
        {"image_url": IMG, "image_size": "landscape_16_9", "rendering_speed": "TURBO", "num_images": 2,
         "seed": 5},
        {"model": "ideogram/v3-reframe",
         "input": {"image_url": IMG, "image_size": "landscape_16_9", "rendering_speed": "TURBO",
                   "style": "AUTO", "num_images": "2", "seed": 5}},
        "ideogram/v3-reframe",
    ),
    Case(
        "runway-aleph-video",
        {"prompt": "make it snow", "videoUrl": VIDEO, "referenceImage": IMG, "aspectRatio": "16:9",
         "seed": 1234, "waterMark": "atelier"},
        {"prompt": "make it snow", "videoUrl": VIDEO, "referenceImage": IMG, "aspectRatio": "16:9",
         "seed": 1234, "waterMark": "atelier", "uploadCn": False},
        "aleph",
    ),
]


def first_case(api_type: str) -> Case:
    return next(case for case in CASES if case.api_type == api_type)
