"""When is a file done being written? A pure rule, as chokidar's awaitWriteFinish.

A file is *settled* once its size and mtime have stayed the same for a quiet
period (default 2 s). The caller polls (every 100 ms by default), passing what
it saw last, since when, what it sees now and the time from its own clock, so
the rule is testable with a fake clock and its state can live anywhere (the
worker keeps it in the catalog, so a restart does not forget it).

A file that cannot be stat'ed is "ready" at once: there is nothing to wait
for, and the worker records why it could not be read.

Settled is not enough: the worker then checks that the file decodes, and that
its stat did not change while it was being read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class FileStat:
    """What the catalog and the settle rule compare to tell whether a file changed: size and mtime."""

    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Verdict:
    ready: bool
    since: float  # the file has looked like `current` since this time
    changed: bool  # current differs from what was recorded: the quiet period restarts
    wait: float  # seconds until it could be ready, if nothing changes (0 when ready)


def check(recorded: FileStat | None, since: float, current: FileStat | None, now: float, quiet: float) -> Verdict:
    """Decide whether a file is settled.

    recorded/since: what was last seen and since when it has looked so.
    current: what a stat sees now (None when the file cannot be stat'ed).
    """
    if current is None:
        return Verdict(True, since, False, 0.0)
    if recorded is None or current != recorded:
        return Verdict(quiet <= 0, now, True, max(quiet, 0.0))
    quiet_for = now - since
    if quiet_for >= quiet:
        return Verdict(True, since, False, 0.0)
    return Verdict(False, since, False, quiet - quiet_for)


class Settler:
    """The rule with its state in memory, for callers that track files themselves.

    observe(key, current) returns True once `key` has looked the same for
    `quiet` seconds by `clock` (time.monotonic by default).
    """

    def __init__(self, quiet: float, clock: Callable[[], float] | None = None) -> None:
        import time

        self.quiet = quiet
        self.clock = clock or time.monotonic
        self._state: dict[object, tuple[FileStat | None, float]] = {}

    def observe(self, key: object, current: FileStat | None) -> bool:
        now = self.clock()
        recorded, since = self._state.get(key, (None, now))
        verdict = check(recorded, since, current, now, self.quiet)
        self._state[key] = (current, verdict.since)
        if verdict.ready:
            self._state.pop(key, None)
        return verdict.ready

    def forget(self, key: object) -> None:
        self._state.pop(key, None)

    def __len__(self) -> int:
        return len(self._state)
