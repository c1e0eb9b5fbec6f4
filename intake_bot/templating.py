"""Jinja2 for the operator-edited mail templates: sandboxed (a template is data, not code),
autoescaped in HTML (subjects, names and file names come from senders), strict about unknown
variables so a broken template fails at `intake-bot check`, never at send time."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from .text import nfc, shown_name
from .vnformat import vn_date, vn_datetime, vn_number, vn_short_date


@lru_cache(maxsize=8)
def environment(templates_dir: Path) -> SandboxedEnvironment:
    """One environment per templates folder: compiled templates are kept (Jinja still reloads
    a template whose file the operator edited)."""
    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # `shown`: a sender's file name or subject, without controls or bidirectional overrides
    # and cut to length (text.shown_name); autoescaping still applies after it.
    env.filters.update(vn_date=vn_date, vn_datetime=vn_datetime, vn_number=vn_number,
                       vn_short_date=vn_short_date, shown=shown_name)
    return env


def render(env: SandboxedEnvironment, name: str, context: dict) -> str:
    """Render one template; the result is NFC, as every text we send must be."""
    return nfc(env.get_template(name).render(**context))
