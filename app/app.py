"""The Reflex app: pages, backend routes, and the engine as a lifespan task.

Nothing starts at import time (Reflex imports this module more than once); the engine
and its client start inside the lifespan task.
"""

import reflex as rx

from app import routes
from app.api.routes import build_api
from app.api.security_headers import with_security_headers
from app.engine.runtime import run_engine
from app.pages.create import CreateState, create_page
from app.pages.dashboard import DashboardState, dashboard_page
from app.pages.settings_page import SettingsState, settings_page
from app.pages.sign_in import SignInState, login_page, setup_page
from app.pages.status import StatusState, status_page
from app.pages.task_detail import TaskDetailState, task_detail_page
from app.pages.tasks import TasksState, tasks_page

STYLE = {
    ".model-card": {
        "text_align": "left", "padding": "10px 12px", "border_radius": "8px",
        "cursor": "pointer", "color": "inherit", "width": "100%", "font": "inherit",
    },
    ".native-select": {
        "padding": "6px 8px", "border_radius": "6px", "border": "1px solid var(--gray-a7)",
        "background": "var(--color-surface)", "color": "var(--gray-12)", "font_size": "14px",
    },
}

app = rx.App(
    # Our routes first (they mount Reflex's own), then headers on every answer.
    api_transformer=[build_api(), with_security_headers],
    theme=rx.theme(accent_color="violet", radius="medium"),
    style=STYLE,
)
app.add_page(create_page, route=routes.CREATE, title="Create · Atelier", on_load=CreateState.on_load)
app.add_page(tasks_page, route=routes.TASKS, title="Tasks · Atelier", on_load=TasksState.on_load)
app.add_page(task_detail_page, route=routes.TASK, title="Task · Atelier",
             on_load=TaskDetailState.on_load)
app.add_page(status_page, route=routes.STATUS, title="Status · Atelier", on_load=StatusState.on_load)
app.add_page(dashboard_page, route=routes.DASHBOARD, title="Dashboard · Atelier",
             on_load=DashboardState.on_load)
app.add_page(settings_page, route=routes.SETTINGS, title="Settings · Atelier",
             on_load=SettingsState.on_load)
app.add_page(login_page, route=routes.LOGIN, title="Sign in · Atelier",
             on_load=SignInState.on_load_login)
app.add_page(setup_page, route=routes.SETUP, title="Welcome · Atelier",
             on_load=SignInState.on_load_setup)
app.register_lifespan_task(run_engine)
