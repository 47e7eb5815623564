"""Reflex configuration. Atelier's own settings live in app/settings.py."""

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from app.settings import load_settings_or_exit

# Fail fast, with one readable line, on a malformed setting.
settings = load_settings_or_exit()

config = rx.Config(
    app_name="app",
    # No db_url on purpose: Atelier's tables are plain SQLModel with their own engine
    # (app.store.db) and Alembic setup; given a db_url, Reflex would compare our
    # database against its own (empty) model registry at every start.
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # One process keeps browser state in memory. With REDIS_URL, browser state lives in
    # Redis, so several workers and processes can serve one tab (Reflex then starts
    # several backend workers; GRANIAN_WORKERS sets how many).
    state_manager_mode="redis" if settings.redis_url else "memory",
    redis_url=settings.redis_url,
    # Pages from these origins only may open the live connection (socket.io checks the
    # handshake's Origin) or make credentialed requests (CORS): another site cannot act
    # with a visitor's session.
    cors_allowed_origins=settings.allowed_origins,
    plugins=[rx.plugins.RadixThemesPlugin()],
    disable_plugins=[SitemapPlugin],
)
