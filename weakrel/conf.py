"""``settings.WEAKREL``: weakrel's settings with their defaults.

Read attributes of :data:`weakrel_settings`; the object reloads itself when a test
changes ``WEAKREL`` with ``override_settings``.
"""

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed

DEFAULTS: dict[str, Any] = {
    # Deepest ``?include=`` path accepted by the DRF integration (``a.b.c`` is 3).
    "MAX_INCLUDE_DEPTH": 3,
    # Most comma-separated paths one ``?include=`` may name.
    "MAX_INCLUDE_PATHS": 50,
    # Longest ``?include=`` value, in characters, before it is refused unparsed.
    "MAX_INCLUDE_LENGTH": 2000,
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
            user = getattr(settings, "WEAKREL", {}) or {}
            self._cache[name] = user.get(name, DEFAULTS[name])
        return self._cache[name]

    def reload(self) -> None:
        self._cache.clear()


weakrel_settings = WeakrelSettings()


def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting == "WEAKREL":
        weakrel_settings.reload()


setting_changed.connect(_reload, dispatch_uid="weakrel.conf.reload")
