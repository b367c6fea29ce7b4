"""What a training run shows on the console: a progress bar on a terminal, plain lines when
the output goes to a file or a pipe (no carriage-return updates there), and one line per
evaluation either way."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from tqdm.auto import tqdm


def _means(means: dict[str, float], keep: int = 4) -> str:
    return " ".join(f"{k}={v:.3g}" for k, v in list(means.items())[:keep])


class Progress:
    """The run's console: ``update`` each step, ``interval`` each log interval, ``say`` a line."""

    def __init__(
        self,
        total: int,
        initial: int,
        desc: str,
        enabled: bool,
        stream: TextIO | None = None,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.total, self.step, self.desc = total, initial, desc
        self.started, self.first = time.perf_counter(), initial
        isatty = getattr(self.stream, "isatty", None)
        self.bar: Any = None
        if enabled and isatty is not None and isatty():
            self.bar = tqdm(
                total=total,
                initial=initial,
                desc=desc,
                unit="step",
                dynamic_ncols=True,
                file=self.stream,
            )

    def update(self, steps: int = 1) -> None:
        """Count ``steps`` more steps done (the bar redraws at most ~10 times a second)."""
        self.step += steps
        if self.bar is not None:
            self.bar.update(steps)

    def interval(self, means: dict[str, float]) -> None:
        """The log interval's mean losses: the bar's postfix, or one plain line."""
        if self.bar is not None:
            self.bar.set_postfix({k: f"{v:.3g}" for k, v in list(means.items())[:4]})
        elif self.enabled:
            seconds = time.perf_counter() - self.started
            rate = (self.step - self.first) / max(seconds, 1e-9)
            percent = 100.0 * self.step / max(self.total, 1)
            self._line(
                f"{self.desc}: step {self.step}/{self.total} ({percent:.0f}%) "
                f"{seconds:.1f} s, {rate:.3g} step/s {_means(means)}".rstrip()
            )

    def say(self, line: str) -> None:
        """A line of its own (above the bar on a terminal)."""
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.write(line, file=self.stream)
        else:
            self._line(line)

    def _line(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Close the bar (if any)."""
        if self.bar is not None:
            self.bar.close()
