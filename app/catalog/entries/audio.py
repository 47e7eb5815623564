"""Music, speech and sound effects."""

from __future__ import annotations

from app.catalog.fields import boolean, number, prompt, select, text
from app.catalog.schema import CatalogEntry, DurationPrior, Rule
from app.providers.kie.families import ApiFamily, MediaKind

SUNO_MODELS = ["V3_5", "V4", "V4_5", "V4_5PLUS", "V5"]
SUNO_OLDER_MODELS = ["V3_5", "V4"]  # shorter limits on custom-mode prompt and style
ELEVENLABS_OUTPUT_FORMATS = [
    "mp3_22050_32", "mp3_44100_32", "mp3_44100_64", "mp3_44100_96", "mp3_44100_128", "mp3_44100_192",
    "pcm_8000", "pcm_16000", "pcm_22050", "pcm_24000", "pcm_44100", "pcm_48000",
    "ulaw_8000", "alaw_8000",
    "opus_48000_32", "opus_48000_64", "opus_48000_96", "opus_48000_128", "opus_48000_192",
]

SUNO = CatalogEntry(
    api_type="suno",
    service="SUNO",
    display_name="Suno",
    description="Suno songs: describe a song, or write lyrics, style and title yourself (custom mode).",
    group="music",
    media_kind=MediaKind.AUDIO,
    family=ApiFamily.SUNO,
    fields=[
        prompt(5000, label="Prompt / lyrics", required=False,
               help="Simple mode: describe the song (500 characters). Custom mode: the lyrics."),
        boolean("customMode", "Custom mode", help="Write style, title and lyrics yourself."),
        boolean("instrumental", "Instrumental", help="No vocals."),
        select("model", "Model", SUNO_MODELS, default="V4_5", provider_model=True),
        text("style", "Style", max_length=1000, help="Genre, mood, instruments (custom mode)."),
        text("title", "Title", max_length=80, help="Song title (custom mode)."),
        text("negativeTags", "Avoid styles", max_length=200, help="Styles to keep out, e.g. heavy metal."),
        select("vocalGender", "Vocal gender", ["m", "f"]),
        number("styleWeight", "Style weight", min=0, max=1, step=0.01),
        number("weirdnessConstraint", "Weirdness", min=0, max=1, step=0.01),
        number("audioWeight", "Audio weight", min=0, max=1, step=0.01),
    ],
    rules=[
        Rule(when={"customMode": [False]}, field="prompt", required=True,
             message="describe the song (simple mode needs a prompt)"),
        Rule(when={"customMode": [False]}, field="prompt", max_length=500,
             message="must be at most 500 characters in simple mode"),
        Rule(when={"customMode": [True]}, field="style", required=True, message="custom mode needs a style"),
        Rule(when={"customMode": [True]}, field="title", required=True, message="custom mode needs a title"),
        Rule(when={"customMode": [True], "instrumental": [False]}, field="prompt", required=True,
             message="custom mode with vocals needs the lyrics here"),
        Rule(when={"customMode": [True], "model": SUNO_OLDER_MODELS}, field="prompt", max_length=3000,
             message="must be at most 3000 characters with V3_5 and V4"),
        Rule(when={"customMode": [True], "model": SUNO_OLDER_MODELS}, field="style", max_length=200,
             message="must be at most 200 characters with V3_5 and V4"),
    ],
    duration=DurationPrior(median_s=90, p95_s=300),
)

ELEVENLABS_TTS = CatalogEntry(
    api_type="elevenlabs-tts",
    service="ELEVENLABS",
    display_name="ElevenLabs speech",
    description="ElevenLabs Turbo 2.5 text-to-speech: fast, natural voices in many languages.",
    group="speech",
    media_kind=MediaKind.AUDIO,
    family=ApiFamily.MARKET,
    model_id="elevenlabs/text-to-speech-turbo-2-5",
    fields=[
        prompt(5000, name="text", label="Text", help="What the voice says."),
        text("voice", "Voice", max_length=100, default="Rachel",
             help="A voice name (Rachel, Adam, Daniel...) or a voice id."),
        number("stability", "Stability", min=0, max=1, default=0.5, step=0.01,
               help="Low: more expressive; high: steadier."),
        number("similarity_boost", "Similarity", min=0, max=1, default=0.75, step=0.01),
        number("style", "Style exaggeration", min=0, max=1, default=0.0, step=0.01),
        number("speed", "Speed", min=0.7, max=1.2, default=1.0, step=0.05),
        boolean("timestamps", "Word timestamps"),
        text("language_code", "Language", max_length=10, help="Optional ISO 639-1 code, e.g. en, de."),
    ],
    duration=DurationPrior(median_s=8, p95_s=30),
    prompt_field="text",
)

ELEVENLABS_SOUND_EFFECTS = CatalogEntry(
    api_type="elevenlabs-sound-effects",
    service="ELEVENLABS",
    display_name="ElevenLabs sound effects",
    description="ElevenLabs Sound Effects V2: a sound from a description, up to 22 seconds.",
    group="speech",
    media_kind=MediaKind.AUDIO,
    family=ApiFamily.MARKET,
    model_id="elevenlabs/sound-effect-v2",
    fields=[
        prompt(5000, name="text", label="Description", help="The sound, e.g. rain on a tin roof."),
        number("duration_seconds", "Length (seconds)", min=0.5, max=22, step=0.5,
               help="Leave empty to let the model choose."),
        boolean("loop", "Seamless loop"),
        number("prompt_influence", "Prompt influence", min=0, max=1, default=0.3, step=0.01,
               help="Higher follows the description more literally."),
        select("output_format", "File format", ELEVENLABS_OUTPUT_FORMATS, default="mp3_44100_128"),
    ],
    duration=DurationPrior(median_s=10, p95_s=40),
    prompt_field="text",
)

AUDIO_ENTRIES = [SUNO, ELEVENLABS_TTS, ELEVENLABS_SOUND_EFFECTS]
