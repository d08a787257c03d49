"""Logging for workflow scripts: to the rule's log file and to stderr."""

from __future__ import annotations

import logging
import sys
import time

from blendhunter.errors import BlendHunterError


def configure(log_path: str | None = None, level: int = logging.INFO) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path:
        handlers.append(logging.FileHandler(log_path, mode="w"))
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )


def run(main, snakemake) -> None:
    """Run a rule's main(snakemake), logging its duration or its failure."""
    configure(snakemake.log[0] if snakemake.log else None)
    log = logging.getLogger(f"blendhunter.rule.{snakemake.rule}")
    log.info("rule %s, wildcards %s", snakemake.rule, dict(snakemake.wildcards))
    start = time.perf_counter()
    try:
        main(snakemake)
    except BlendHunterError as err:  # one line that says what to do, no traceback
        log.error("rule %s failed: %s", snakemake.rule, err)
        raise SystemExit(1) from None
    except Exception:
        log.exception("rule %s failed", snakemake.rule)
        raise
    log.info("done in %.1f s", time.perf_counter() - start)


class Progress:
    """Logs 'done/total (rate/s)' about every `every` seconds on long steps."""

    def __init__(self, total: int, what: str, logger: logging.Logger, every: float = 10.0):
        self.total, self.what, self.log, self.every = total, what, logger, every
        self.done = 0
        self.start = self.last = time.perf_counter()

    def update(self, n: int) -> None:
        self.done += n
        now = time.perf_counter()
        if now - self.last >= self.every or self.done >= self.total:
            rate = self.done / max(now - self.start, 1e-9)
            self.log.info("%s: %d/%d (%.0f/s)", self.what, self.done, self.total, rate)
            self.last = now
