"""Jinja2 for the operator-edited mail templates: sandboxed (a template is data, not code),
autoescaped in HTML (subjects, names and file names come from senders), strict about unknown
variables so a broken template fails at `intake-bot check`, never at send time."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path, PurePath

from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

# Values whose methods a template may call (str.upper, datetime.date, dict.items ...).
_PLAIN_VALUES = (str, int, float, dt.date, dt.time, dt.timedelta, dict, list, tuple)
# The longest string or list a template may make by multiplication or a power.
_MAX_PRODUCT = 100_000


class DataSandbox(SandboxedEnvironment):
    """Jinja's sandbox (no private or internal attributes: `''.__class__.__mro__` is refused),
    narrowed further so that a template sees data, not objects: it may call the methods of plain
    values only (a Campaign's own methods are out of reach), it never reaches a path
    (`campaign.templates_dir.read_text()` would put any file the worker can read into a mail),
    and it cannot make a huge string (`"x" * 10**9`)."""

    intercepted_binops = frozenset({"*", "**"})

    def is_safe_attribute(self, obj, attr, value) -> bool:
        return super().is_safe_attribute(obj, attr, value) and not isinstance(value, PurePath)

    def is_safe_callable(self, obj) -> bool:
        owner = getattr(obj, "__self__", None)
        if owner is not None and not isinstance(owner, _PLAIN_VALUES) \
                and not type(owner).__module__.startswith("jinja2"):
            return False
        return super().is_safe_callable(obj)

    def call_binop(self, context, operator, left, right):
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > 64:
            raise SecurityError("the templates may not raise to powers above 64")
        if operator == "*" and any(isinstance(a, (str, list, tuple)) for a in (left, right)):
            count = right if isinstance(left, (str, list, tuple)) else left
            size = len(left if isinstance(left, (str, list, tuple)) else right)
            if isinstance(count, int) and count * size > _MAX_PRODUCT:
                raise SecurityError(f"the templates may not make strings or lists over {_MAX_PRODUCT} long")
        return super().call_binop(context, operator, left, right)

from .text import nfc, shown_name
from .vnformat import vn_date, vn_datetime, vn_number, vn_short_date


class RecordingLoader(FileSystemLoader):
    """A FileSystemLoader that remembers which templates it read (`check` reports the files its
    sample mails did not reach)."""

    def __init__(self, searchpath: str):
        super().__init__(searchpath)
        self.read: set[str] = set()

    def get_source(self, environment, template):
        found = super().get_source(environment, template)
        self.read.add(template)
        return found


@lru_cache(maxsize=8)
def environment(templates_dir: Path) -> DataSandbox:
    """One environment per templates folder: compiled templates are kept (Jinja still reloads
    a template whose file the operator edited)."""
    env = DataSandbox(
        loader=RecordingLoader(str(templates_dir)),
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


def render(env: DataSandbox, name: str, context: dict) -> str:
    """Render one template; the result is NFC, as every text we send must be."""
    return nfc(env.get_template(name).render(**context))
