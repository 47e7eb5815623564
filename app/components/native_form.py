"""A form the browser submits itself, as a plain HTML post.

Reflex's own forms (rx.form, rx.el.form) always intercept submit and stop the browser's
post; sign-in, sign-out and the personal Kie key must reach the server as real posts,
so the answer can set an HttpOnly cookie and the secret never rides the websocket.
"""

from __future__ import annotations

import reflex as rx
from reflex_components_core.el.elements.base import BaseHTML


class NativeForm(BaseHTML):
    tag = "form"
    action: rx.Var[str]
    method: rx.Var[str]


native_form = NativeForm.create
