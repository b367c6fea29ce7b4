"""The one training loop shared by every recipe.

It owns iteration over data, step counting, phases, the progress bar, logging (metrics.jsonl,
log.txt, the trackers of train.loggers), periodic sample grids and metrics, the generator EMA,
atomic checkpoints, exact resume, the non-finite guard and a clean stop on Ctrl-C / SIGTERM.

Under torchrun every rank runs this loop on its share of each global batch; only rank 0 writes
files, and the ranks agree on every branch (stop, non-finite loss) once per step.
"""

from __future__ import annotations

import contextlib
import logging
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganforge import config as config_mod
from ganforge.checkpoints import (
    WRITE_FAILURES,
    CheckpointWriteError,
    atomic_save,
    load_checkpoint,
    save_checkpoint,
    step_name,
)
from ganforge.data.base import Dataset
from ganforge.data.loader import BatchLoader
from ganforge.data.stream import BatchStream
from ganforge.errors import ConfigError, TrainingError
from ganforge.report import save_samples
from ganforge.runs import RunDir, info_to_dict
from ganforge.train import distributed
from ganforge.train.console import Progress
from ganforge.train.ema import EMA
from ganforge.train.loggers import Loggers, wanted
from ganforge.train.recipes.base import Phase, Recipe
from ganforge.train.rng import preserved_rng, rng_state
from ganforge.train.step_logs import Logs, LogSums, nonfinite

log = logging.getLogger("ganforge.train")

# evaluate(step, sample_fn, generators) -> {metric: value}; sample_fn(n) gives n samples in
# [-1, 1]; generators are the (EMA) generators in eval mode, for evaluators that score the models
# themselves (translation: both directions and cycles on held-out images)
Evaluator = Callable[[int, Callable[[int], torch.Tensor], dict[str, nn.Module]], dict[str, float]]
# callback(engine, step, logs): the step's logs as the recipe returned them (0-d tensors on the
# device, or floats); reading a tensor (float(v)) costs a host sync. A callback object may also
# have on_evaluation(engine, step, scores), called after each evaluation with its scores (rank
# 0 under torchrun). engine.request_stop(reason) ends the run after the current step.
Callback = Callable[["Engine", int, Logs], None]


@dataclass
class TrainResult:
    """What a finished (or stopped) training run left behind."""

    run: RunDir
    step: int
    total_steps: int
    status: str  # "completed" or "interrupted"
    checkpoint: Path | None
    elapsed: float
    final_metrics: dict[str, float] = field(default_factory=dict)
    stop_reason: str | None = None
    main: bool = True  # False on the ranks of a torchrun job that write nothing
    extractors: dict[str, str] = field(default_factory=dict)  # score -> its feature extractor


@contextlib.contextmanager
def eval_mode(modules: dict[str, nn.Module]) -> Iterator[None]:
    """Temporarily put modules in eval mode, restoring each one's previous mode."""
    modes = {k: m.training for k, m in modules.items()}
    for m in modules.values():
        m.eval()
    try:
        yield
    finally:
        for k, m in modules.items():
            m.train(modes[k])


class Engine:
    """Runs a recipe over a dataset according to a config, writing into a run directory."""

    def __init__(
        self,
        cfg: config_mod.Config,
        run: RunDir,
        dataset: Dataset,
        recipe: Recipe,
        evaluator: Evaluator | None = None,
        callbacks: list[Callback] | None = None,
    ) -> None:
        self.cfg, self.run, self.dataset, self.recipe = cfg, run, dataset, recipe
        self.world = distributed.world()
        # under torchrun: rank 0 scores; the other ranks' evaluators (if any) only extract
        # the features of their share of the samples
        self.evaluator = evaluator
        self.evaluates = distributed.broadcast(evaluator is not None)
        n = cfg.eval.n_samples
        can = callable(getattr(evaluator, "features", None)) and getattr(evaluator, "shards", False)
        self.shards = (
            self.world.size > 1 and n >= self.world.size and not distributed.any_ranks([not can])[0]
        )
        self.callbacks = list(callbacks or [])
        t = cfg.train
        self.stream = BatchStream(dataset, t.batch_size, t.seed)
        self.loader = (
            BatchLoader(
                self.stream,
                t.workers,
                self.world.rank,
                self.world.size,
                pin_memory=recipe.device.type == "cuda",
            )
            if t.workers
            else None
        )
        self.total_steps = self._budget()
        self.phases = recipe.phases(self.total_steps)
        self.total_steps = sum(p.steps for p in self.phases)
        for phase in self.phases:  # each global batch splits evenly over the processes
            batch = min(phase.batch_size or t.batch_size, len(dataset))
            if batch % self.world.size:
                raise ConfigError(
                    f"phase {phase.name} has a global batch of {batch}, not a multiple of the "
                    f"{self.world.size} processes; choose batch sizes divisible by it"
                )
        self.step = 0
        self.ema = (
            EMA(recipe.generators(), t.ema, t.ema_warmup, recipe.ema_buffers) if t.ema else None
        )
        recipe.compile_models()  # train.compile, after the EMA copied the eager generators
        self.fixed = recipe.fixed_inputs(t.grid_size, t.seed + 1)
        self.stop_reason: str | None = None
        self.last_checkpoint: Path | None = None
        self.rollbacks = 0
        self._elapsed_before = 0.0
        self._start: float | None = None
        self.trackers = self._trackers()
        self._tracked_grid = -1  # the step of the last sample grid sent to the trackers
        self.console: Progress | None = None  # set while fit() runs
        self.extractors: dict[str, str] = {}  # score -> the feature extractor it was computed on

    # -- set-up -----------------------------------------------------------------------------
    def _budget(self) -> int:
        t = self.cfg.train
        if t.epochs is not None:
            per_step = t.batch_size * self.recipe.batches_per_step
            return max(1, math.ceil(t.epochs * len(self.dataset) / per_step))
        if t.steps is None or t.steps < 1:
            raise TrainingError("set train.steps (>= 1) or train.epochs")
        return t.steps

    def _trackers(self) -> Loggers | None:
        """The experiment trackers of ``train.loggers`` (rank 0), given the resolved config."""
        if not self.world.main or not wanted(self.cfg):
            return None
        return Loggers(self.run.path, self.cfg)

    def sample_generators(self) -> dict[str, nn.Module]:
        """The EMA generators when the EMA is on, else the live ones."""
        return self.ema.shadow if self.ema else self.recipe.generators()

    # -- state ------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly: models, optimisers, EMA, data position, RNG."""
        import numpy
        import torch as _torch

        from ganforge import __version__

        return {
            "step": self.step,
            "total_steps": self.total_steps,
            "config": config_mod.to_dict(self.cfg),
            "info": info_to_dict(self.dataset.info),
            "recipe": self.recipe.state_dict(),
            "ema": self.ema.state_dict() if self.ema else None,
            "stream": self.stream.state_dict(),
            "rng": rng_state(),
            "rank_rng": distributed.gather_rng(rng_state()),
            "rollbacks": self.rollbacks,
            "elapsed": self._elapsed(),
            "versions": {
                "ganforge": __version__,
                "torch": str(_torch.__version__),
                "numpy": numpy.__version__,
            },
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore state_dict (the config and dataset must match the saved ones)."""
        self.recipe.load_state_dict(state["recipe"])
        if self.ema and state.get("ema"):
            self.ema.load_state_dict(state["ema"])
        self.stream.load_state_dict(state["stream"])
        distributed.restore_rng(state, self.cfg.train.seed)
        self.step = int(state["step"])
        self.rollbacks = int(state.get("rollbacks", 0))
        self._elapsed_before = float(state.get("elapsed", 0.0))

    def restore(self, path: str | Path | None = None) -> None:
        """Load a checkpoint file written by this engine (default: the run's newest readable)."""
        if path is None:
            path, state = self.run.load_newest(map_location=self.recipe.device)
        else:
            state = load_checkpoint(path, map_location=self.recipe.device)
        self.load_state_dict(state)
        self.last_checkpoint = Path(path)
        log.info("resumed from %s at step %d", path, self.step)

    @property
    def keep_every(self) -> int:
        """Steps whose checkpoints are kept for ``ganforge select`` (0: none): train.keep_every,
        by default one per evaluation (eval.every)."""
        keep = self.cfg.train.keep_every
        return self.cfg.eval.every if keep is None else keep

    def save(self) -> Path:
        """Write a step checkpoint atomically and prune old ones (not those kept for select)."""
        t = self.cfg.train
        state = self.state_dict()  # every rank: the ranks' random states are gathered
        path = self.run.checkpoints / step_name(self.step)
        if self.world.main:
            path = save_checkpoint(
                state, self.run.checkpoints, self.step, t.keep_last, self.keep_every
            )
        self.last_checkpoint = path
        return path

    # -- periodic outputs -------------------------------------------------------------------
    def write_samples(self, name: str) -> Path:
        """Write the fixed-input sample grid (or scatter) as ``samples/<name>.png`` (rank 0)."""
        if not self.world.main:
            return self.run.samples / f"{name}.png"
        gens = self.sample_generators()
        with preserved_rng(), eval_mode(gens):
            preview = self.recipe.preview(self.fixed, gens)
        ncol = preview.nrow
        if ncol is None and preview.captions and self.dataset.info.n_classes:
            ncol = self.dataset.info.n_classes
        path = save_samples(
            preview.samples,
            self.dataset.info,
            self.run.samples / f"{name}.png",
            preview.captions,
            nrow=ncol,
        )
        if self.trackers and self._tracked_grid != self.step:  # the last step's grid: once
            self.trackers.image(self.step, "samples", path)
            self._tracked_grid = self.step
        return path

    def write_figures(self) -> list[Path]:
        """Write the recipe's end-of-run figures (class grids, code sweeps) into samples/
        (rank 0: under torchrun the ranks would race on the same files)."""
        if not self.world.main:
            return []
        gens = self.sample_generators()
        with preserved_rng(), eval_mode(gens):
            previews = self.recipe.figures(gens)
        return [
            save_samples(
                p.samples,
                self.dataset.info,
                self.run.samples / f"{name}.png",
                p.captions,
                nrow=p.nrow,
            )
            for name, p in previews.items()
        ]

    def sample_fn(self, n: int) -> torch.Tensor:
        """``n`` samples from the (EMA) generators, without touching the training RNG."""
        gens = self.sample_generators()
        with preserved_rng(), eval_mode(gens):
            return self.recipe.sample(n, gens, self.cfg.eval.seed)

    def shared_sample_fn(self, n: int) -> torch.Tensor:
        """``sample_fn(n)``'s samples, each rank generating its share, gathered on every rank
        (a collective: every rank calls it)."""
        gens = self.sample_generators()
        with preserved_rng(), eval_mode(gens):
            part = self.recipe.sample_share(n, gens, self.cfg.eval.seed, self.world.share(n))
        return distributed.gather_rows(part)

    def shared_features(self, n: int) -> dict[str, Any]:
        """The extractor's outputs for ``sample_fn(n)``'s samples, each rank generating its
        share and extracting its features; only the outputs are gathered, on rank 0 (a
        collective: every rank calls it; the other ranks get their own share's)."""
        gens = self.sample_generators()
        with preserved_rng(), eval_mode(gens):
            part = self.recipe.sample_share(n, gens, self.cfg.eval.seed, self.world.share(n))
            outputs = self.evaluator.features(part)  # type: ignore[union-attr]
        del part  # the images are not needed any more
        return {
            key: distributed.gather_rows(torch.from_numpy(outputs[key]), everywhere=False).numpy()
            for key in sorted(outputs)
        }

    def evaluate(self) -> dict[str, float]:
        """Run the evaluator (if any) on the (EMA) generators and log its metrics (rank 0;
        under torchrun every rank generates its share of the eval.n_samples samples and
        extracts their features, or, when a metric reads the images, the images are
        gathered)."""
        if not self.evaluates:
            return {}
        start = time.perf_counter()
        gens = self.sample_generators()
        if self.shards:
            outputs = self.shared_features(self.cfg.eval.n_samples)
            if not self.world.main:  # the other ranks: rank 0 scores
                return {}
            with preserved_rng(), eval_mode(gens):
                values = self.evaluator.score_features(self.step, outputs, gens)  # type: ignore[union-attr]
        else:
            sample_fn = self.sample_fn
            if self.world.size > 1:
                pool = self.shared_sample_fn(self.cfg.eval.n_samples)

                def sample_fn(n: int) -> torch.Tensor:
                    return pool[:n] if n <= len(pool) else self.sample_fn(n)

            if not self.world.main or self.evaluator is None:  # the other ranks: rank 0 scores
                return {}
            with preserved_rng(), eval_mode(gens):
                values = self.evaluator(self.step, sample_fn, gens)
        record = {
            "kind": "eval",
            "step": self.step,
            **values,
            "eval_seconds": round(time.perf_counter() - start, 3),
        }
        self.run.append_metrics(record)  # rank 0 only: the others returned above
        self.extractors = dict(getattr(self.evaluator, "extractors", {}) or {})
        line = ", ".join(f"{k}={v:.4g}" for k, v in values.items())
        log.info("step %d metrics: %s", self.step, line)
        features = sorted(set(self.extractors.values()))
        on = f" ({', '.join(features)} features)" if features else ""
        if self.console is not None:
            self.console.say(f"step {self.step} eval: {line or 'no scores'}{on}")
        if self.trackers:
            self.trackers.scalars(self.step, values, "eval")
        for callback in self.callbacks:  # those with an evaluation hook (see Callback)
            hook = getattr(callback, "on_evaluation", None)
            if hook is not None:
                hook(self, self.step, values)
        return values

    def _snapshot(self, phase: Phase) -> None:
        assert phase.snapshot
        self.write_samples(phase.snapshot)
        state = self.state_dict()
        if not self.world.main:
            return
        atomic_save(state, self.run.checkpoints / f"{phase.snapshot}.pt")
        log.info(
            "phase %s done: saved samples/%s.png and checkpoints/%s.pt",
            phase.name,
            phase.snapshot,
            phase.snapshot,
        )

    # -- the loop ---------------------------------------------------------------------------
    def _elapsed(self) -> float:
        running = time.perf_counter() - self._start if self._start is not None else 0.0
        return self._elapsed_before + running

    def _phase_at(self, step: int) -> tuple[int, int]:
        """(phase index, steps into that phase) for a global step."""
        start = 0
        for i, phase in enumerate(self.phases):
            if step < start + phase.steps:
                return i, step - start
            start += phase.steps
        return len(self.phases) - 1, self.phases[-1].steps

    def next_batch(self) -> dict[str, torch.Tensor]:
        """This rank's share of the next global batch (the whole batch in one process)."""
        if self.loader is not None:
            return next(self.loader)
        index = self.stream.next_indices()
        return self.dataset.get(index[self.world.share(len(index))])

    def _agree(self, bad: str | None) -> tuple[str | None, bool]:
        """(non-finite entries, stop?) as every rank sees them: a non-finite loss or a stop
        request on any rank holds for all (one small collective per step under torchrun)."""
        if self.world.size == 1:
            return bad, self.stop_reason is not None
        flags = distributed.any_ranks([bad is not None, self.stop_reason is not None])
        if flags[0] and bad is None:
            bad = "on another rank"
        if flags[1] and self.stop_reason is None:
            self.stop_reason = distributed.OTHER_RANK
        return bad, flags[1]

    def request_stop(self, reason: str = "stop requested") -> None:
        """Ask the loop to checkpoint and stop after the current step."""
        self.stop_reason = reason

    @contextlib.contextmanager
    def _signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {}

        def handler(signum: int, frame: Any) -> None:
            name = signal.Signals(signum).name
            self.request_stop(name)
            signal.signal(signum, previous[signum])  # a second signal acts immediately

        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.getsignal(sig)
            signal.signal(sig, handler)
        try:
            yield
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)

    def _handle_nonfinite(self, what: str) -> None:
        where = (
            f"last good checkpoint: {self.last_checkpoint}"
            if self.last_checkpoint
            else "no checkpoint was saved yet"
        )
        if (
            self.cfg.train.on_nonfinite == "rollback"
            and self.last_checkpoint
            and self.rollbacks < self.cfg.train.max_rollbacks
        ):
            bad_step = self.step
            self.restore(self.last_checkpoint)
            self.rollbacks += 1
            # a different random stream, so the same divergence is not replayed
            seed = self.cfg.train.seed + 7919 * self.rollbacks
            torch.manual_seed(distributed.rank_seed(seed, self.world))
            self.recipe.reseed(seed)
            log.warning(
                "non-finite loss (%s) at step %d; rolled back to step %d (rollback %d/%d)",
                what,
                bad_step,
                self.step,
                self.rollbacks,
                self.cfg.train.max_rollbacks,
            )
            return
        raise TrainingError(
            f"non-finite loss ({what}) at step {self.step}; {where}. Lower the learning rate "
            "or set train.on_nonfinite=rollback, then `ganforge train --resume` the run."
        )

    def fit(self) -> TrainResult:
        """Train to the budget (or until stopped); always leaves a checkpoint behind."""
        self._start = time.perf_counter()
        bar = Progress(
            self.total_steps,
            self.step,
            self.run.path.name,
            enabled=self.cfg.train.progress and self.world.main,
        )
        self.console = bar
        try:
            with self._signals():
                self._loop(bar)
            return self._finish()
        except CheckpointWriteError as exc:
            raise self.run.write_failure(exc) from None
        except OSError as exc:
            if exc.errno not in WRITE_FAILURES:
                raise
            raise self.run.write_failure(exc) from None
        finally:
            bar.close()
            if self.loader is not None:
                self.loader.close()
            if self.trackers:
                self.trackers.close()

    def _loop(self, bar: Any) -> None:
        """Steps until the budget is spent or a stop is requested."""
        t = self.cfg.train
        sums = LogSums()
        interval_start, interval_images = time.perf_counter(), 0
        current_phase = -1
        while self.step < self.total_steps:
            index, into = self._phase_at(self.step)
            phase = self.phases[index]
            if index != current_phase:
                current_phase = index
                self.stream.batch_size = phase.batch_size or t.batch_size
                if len(self.phases) > 1:
                    log.info(
                        "phase %s (%d steps, batch %d)",
                        phase.name,
                        phase.steps,
                        self.stream.batch_size,
                    )
            self.recipe.set_progress(
                index, into / max(1, phase.steps), self.step / self.total_steps
            )
            batches = [self.next_batch() for _ in range(self.recipe.batches_per_step)]
            logs = self.recipe.step(batches)
            self.step += 1
            # exact, one fused flag: the step's only host sync (and, under torchrun, one
            # collective that also carries a stop request)
            bad, stop = self._agree(nonfinite(logs))
            if bad:
                self.step -= 1
                self._handle_nonfinite(bad)
                current_phase = -1
                continue
            if self.ema:
                self.ema.update(self.ema.decay_for(self.step, t.ema_start))
            sums.add(logs)
            interval_images += self.stream.batch_size * len(batches)  # the global batch
            bar.update(1)
            for callback in self.callbacks:
                callback(self, self.step, logs)
            if self.step % t.log_every == 0 or self.step == self.total_steps:
                means = sums.means()  # the floats of the interval, in one transfer
                means = distributed.average(means)  # over the global batch under torchrun
                seconds = time.perf_counter() - interval_start
                record = {
                    "kind": "train",
                    "step": self.step,
                    "epoch": round(self.stream.epochs_done, 4),
                    "time": round(self._elapsed(), 3),
                    "images_per_s": round(interval_images / max(seconds, 1e-9), 1),
                    "sec_per_step": round(seconds / sums.count, 5),
                    **means,
                }
                if self.world.main:
                    self.run.append_metrics(record)
                if self.trackers:
                    self.trackers.scalars(self.step, means, "train")
                bar.interval(means)
                sums, interval_start, interval_images = LogSums(), time.perf_counter(), 0
            if t.sample_every and self.step % t.sample_every == 0:
                self.write_samples(step_name(self.step).removesuffix(".pt"))
            if (
                self.cfg.eval.every
                and self.step % self.cfg.eval.every == 0
                and self.step < self.total_steps
            ):
                self.evaluate()
            if into + 1 == phase.steps and phase.snapshot:
                self._snapshot(phase)
            keep = self.keep_every
            if (t.checkpoint_every and self.step % t.checkpoint_every == 0) or (
                keep and self.step % keep == 0
            ):
                self.save()
            # one process: a stop requested during this step (a callback) ends it; under
            # torchrun the ranks learnt of stops in the collective above (at most a step later)
            if stop or (self.world.size == 1 and self.stop_reason):
                break

    def _finish(self) -> TrainResult:
        """Final checkpoint, samples and metrics (or the stop message), and the result."""
        self.stop_reason = distributed.first_reason(self.stop_reason)
        status = "interrupted" if self.stop_reason and self.step < self.total_steps else "completed"
        if self.last_checkpoint is None or self.last_checkpoint.name != step_name(self.step):
            self.save()
        final: dict[str, float] = {}
        if status == "completed":
            self.write_samples(step_name(self.step).removesuffix(".pt"))
            self.write_figures()
            final = self.evaluate()
        else:
            log.warning(
                "stopped (%s) at step %d of %d; checkpoint %s",
                self.stop_reason,
                self.step,
                self.total_steps,
                self.last_checkpoint,
            )
        return TrainResult(
            self.run,
            self.step,
            self.total_steps,
            status,
            self.last_checkpoint,
            self._elapsed(),
            final,
            self.stop_reason,
            self.world.main,
            {k: v for k, v in self.extractors.items() if k in final},
        )
