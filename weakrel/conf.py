"""``settings.WEAKREL``: weakrel's settings with their defaults.

Read attributes of :data:`weakrel_settings`; the object reloads itself when a test
changes ``WEAKREL`` with ``override_settings``. :func:`check_settings`, a system
check, reports a ``WEAKREL`` that is not a dict (``weakrel.E009``), a value of the
wrong type (``weakrel.E009``) and a key weakrel does not know (``weakrel.W002``).
"""

import difflib
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.signals import setting_changed

DEFAULTS: dict[str, Any] = {
    # Deepest ``?include=`` path accepted by the DRF integration (``a.b.c`` is 3).
    "MAX_INCLUDE_DEPTH": 3,
    # Most comma-separated paths one ``?include=`` may name.
    "MAX_INCLUDE_PATHS": 50,
    # Longest ``?include=`` value, in characters, before it is refused unparsed.
    "MAX_INCLUDE_LENGTH": 2000,
    # Largest ``?<path>.limit=`` (rows per parent) an include scope accepts unless its
    # ``max_limit`` says otherwise.
    "MAX_INCLUDE_LIMIT": 100,
    # False: re-saving a saved row whose weak key is the one it was loaded with skips
    # the key's existence query (bulk re-saves). A constraint would check it anyway.
    "CHECK_UNCHANGED_KEYS": True,
    # Target keys per cascade journal entry (one step of a cascade's remaining work), and
    # dependent rows per run of a CASCADE_LATER task.
    "CASCADE_BATCH_SIZE": 1000,
    # The task that runs on_delete=CASCADE_LATER: a dotted path to a Django task.
    "CASCADE_TASK": "weakrel.tasks.cascade_later",
    # Rows fetched per query by ``weakrel_check``.
    "CHECK_BATCH_SIZE": 5000,
}


class WeakrelSettings:
    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown weakrel setting: {name!r}")
        if name not in self._cache:
            user = getattr(settings, "WEAKREL", None)
            if not isinstance(user, dict):  # reported by check_settings (weakrel.E009)
                user = {}
            self._cache[name] = user.get(name, DEFAULTS[name])
        return self._cache[name]

    def reload(self) -> None:
        self._cache.clear()


weakrel_settings = WeakrelSettings()


def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting == "WEAKREL":
        weakrel_settings.reload()


setting_changed.connect(_reload, dispatch_uid="weakrel.conf.reload")


def _invalid(name: str, value: Any) -> str | None:
    """Why ``value`` cannot be the setting ``name``, or ``None``."""
    if isinstance(DEFAULTS[name], bool):
        return None if isinstance(value, bool) else "must be True or False"
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return "must be a positive integer"
    return None


@checks.register()
def check_settings(app_configs=None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``settings.WEAKREL``: a dict of known keys, each of its default's type."""
    user = getattr(settings, "WEAKREL", None)
    if user is None:
        return []
    if not isinstance(user, dict):
        return [
            checks.Error(
                f"settings.WEAKREL must be a dict, not {type(user).__name__}.",
                id="weakrel.E009",
            )
        ]
    messages: list[checks.CheckMessage] = []
    for name, value in user.items():
        if name not in DEFAULTS:
            close = difflib.get_close_matches(str(name), DEFAULTS, n=1)
            hint = f"Did you mean {close[0]!r}?" if close else f"Known: {', '.join(DEFAULTS)}."
            messages.append(
                checks.Warning(
                    f"settings.WEAKREL has an unknown key {name!r}; it is ignored.",
                    hint=hint,
                    id="weakrel.W002",
                )
            )
        elif (problem := _invalid(name, value)) is not None:
            messages.append(
                checks.Error(
                    f"settings.WEAKREL[{name!r}] {problem}, not {value!r}.",
                    hint=f"The default is {DEFAULTS[name]!r}.",
                    id="weakrel.E009",
                )
            )
    return messages
