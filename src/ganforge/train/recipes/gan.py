"""The unconditional / class-conditional GAN recipe: n_critic D updates, then one G update."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ganforge.augment import Augment, parse_augment
from ganforge.config import Config
from ganforge.data.base import DataInfo
from ganforge.errors import ConfigError
from ganforge.losses import GeneratorBatch, Loss, OptimDefaults
from ganforge.losses import build_loss as _build_loss
from ganforge.models.base import GANModels, Generator, class_cycle
from ganforge.registry import LOSSES, MODELS, RECIPES
from ganforge.train import distributed
from ganforge.train.optim import (
    lr_factor,
    make_optimizer,
    resolve_optim,
    set_lr,
    set_requires_grad,
)
from ganforge.train.recipes.base import CLASS_GRID_COLUMNS, Preview, Recipe, class_grid
from ganforge.train.step_logs import Logs, log_value


@dataclass
class Kept:
    """One micro-batch of the generator's update: the real batch beside it, the latents, the
    fakes' classes and the fakes (with their graph)."""

    real: torch.Tensor
    z: torch.Tensor
    y: torch.Tensor | None
    fake: torch.Tensor


def labelled_critic(
    d: nn.Module,
    y: torch.Tensor | None,
    fake: torch.Tensor,
    y_fake: torch.Tensor | None,
    view: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> Callable[[torch.Tensor], torch.Tensor]:
    """The critic ``x -> d(view(x), labels)`` a loss calls: the fakes (``fake`` or a tensor
    sharing its storage, such as ``fake.detach()``) with their classes ``y_fake``, anything else
    (the real batch, a penalty's interpolates) with the real labels ``y``; ``view`` (the
    augmentation, if any) is applied after the labels are chosen from ``x``."""
    view = view or (lambda x: x)
    if y_fake is y:
        return lambda x: d(view(x), y)

    def critic(x: torch.Tensor) -> torch.Tensor:
        same = x.data_ptr() == fake.data_ptr() and x.shape == fake.shape
        return d(view(x), y_fake if same else y)

    return critic


def build_loss(cfg: Config) -> Loss:
    """The configured loss object, with its penalties."""
    return _build_loss(cfg.loss.name, cfg.loss.params)


def build_gan_models(cfg: Config, info: DataInfo) -> GANModels:
    """The configured generator/discriminator pair for ``info`` (D shaped for the loss)."""
    d_output = LOSSES.get(cfg.loss.name).d_output
    return MODELS.get(cfg.model.name)(info, d_output, **cfg.model.params)


@RECIPES.register("gan")
class GANRecipe(Recipe):
    """Unconditional or class-conditional GAN with any registered loss."""

    augments = True

    def __init__(self, cfg: Config, info: DataInfo, device: torch.device) -> None:
        super().__init__(cfg, info, device)
        self.loss = build_loss(cfg)
        self.built = build_gan_models(cfg, info)
        self.g, self.d = self.place(self.built.g), self.place(self.built.d)
        self.loss.check(self.d)
        self.models = {"g": self.g, "d": self.d}
        self.settings = resolve_optim(cfg.optim, self.optim_defaults())
        pack = self.d.pack
        if cfg.train.batch_size % (pack * self.world.size):
            per = f"model.pack ({pack})" + (
                f" times the {self.world.size} processes" if self.world.size > 1 else ""
            )
            raise ConfigError(
                f"train.batch_size ({cfg.train.batch_size}) must be a multiple of {per}"
            )
        self.optimizers = {
            "g": make_optimizer(self.g.parameters(), self.settings, self.settings.lr_g),
            "d": make_optimizer(self.d.parameters(), self.settings, self.settings.lr_d),
        }
        self.accumulate = cfg.optim.accumulate
        self.batches_per_step = self.settings.n_critic * self.accumulate
        # the modules training passes go through (DistributedDataParallel under torchrun)
        self.wrap(self.training_generator(), "g")
        self.wrap(self.d, "d")
        # every rank draws the global batch's latents from this shared stream and keeps its
        # share, so N processes see the latents one process would, whatever the launcher
        self.latent_rng = torch.Generator().manual_seed(cfg.train.seed)
        self.conditional = bool(self.g.n_classes)
        self.latent: torch.Tensor | None = None  # the latents of the micro-batch being scored
        spec = parse_augment(cfg.train.augment)
        self.augment = None
        if spec.kind != "none":  # ADA's statistics are summed over ranks: one p everywhere
            reduce = distributed.all_sum if self.world.distributed else None
            t = cfg.train
            self.augment = Augment(spec, device, t.ada_target, t.ada_interval, reduce)

    def critic(
        self,
        d: Callable[[torch.Tensor], Any],
        real: torch.Tensor | None = None,
        augmented: bool = False,
    ) -> Callable[[torch.Tensor], Any]:
        """``d`` as the losses call it: every image augmented first (``train.augment``; by ``d``
        itself when ``augmented``), so gradients reach G and gradient penalties differentiate
        through the augmentation; D's outputs on the real batch ``real`` (the very tensor) feed
        ADA's heuristic."""
        augment = self.augment
        if augment is None:
            return d

        def judge(x: torch.Tensor) -> Any:
            out = d(x if augmented else augment(x))
            if x is real:
                augment.observe(out[0] if isinstance(out, tuple) else out, len(x))
            return out

        return judge

    def _labels(self, batch: dict[str, torch.Tensor]) -> torch.Tensor | None:
        if not self.conditional:
            return None
        if "y" not in batch:
            raise ConfigError("a conditional model needs a labelled dataset")
        return batch["y"].to(self.device, non_blocking=True)

    def optim_defaults(self) -> OptimDefaults:
        """Optimiser settings used where the config leaves them null: the loss's by default."""
        return self.loss.optim

    def real_batch(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """The real images of a batch as the discriminator sees them."""
        return batch["x"].to(self.device, non_blocking=True)

    @property
    def g_train(self) -> nn.Module:
        """The generator's training passes (wrapped, maybe compiled; see Recipe)."""
        return self.trained["g"]

    @property
    def d_train(self) -> nn.Module:
        """The discriminator's training passes (wrapped, maybe compiled; see Recipe)."""
        return self.trained["d"]

    def training_generator(self) -> nn.Module:
        """The module whose forward makes a training batch of fakes (wrapped once)."""
        return self.g

    def generate(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        """A fake training batch for latents ``z``."""
        return self.g_train(z, y)

    def reseed(self, seed: int) -> None:
        """A new shared latent stream."""
        self.latent_rng.manual_seed(seed)

    def draw_latent(self, n: int) -> torch.Tensor:
        """Latents for this rank's ``n`` samples of a training batch."""
        full = self.g.latent(n * self.world.size, self.latent_rng)
        return full[self.world.share(len(full))].to(self.device)

    def eager_models(self) -> dict[str, str]:
        """The side a gradient penalty differentiates twice (torch.compile has no double
        backward)."""
        return {
            p.side: f"penalty {p.name} differentiates it twice"
            for p in self.loss.penalties
            if p.double_backward
        }

    def regularise_generator(self, batch: GeneratorBatch) -> tuple[torch.Tensor | None, Logs]:
        """The generator-side regularisers added to each generator update (BigGAN's orthogonal
        regularisation, StyleGAN2's path length): the loss's generator-side penalties by
        default; a recipe may add its own."""
        return self.loss.regularise_generator(batch)

    def condition(self, batch: dict[str, torch.Tensor], n: int) -> torch.Tensor | None:
        """The real batch's labels (None: unconditional, or a recipe whose discriminator reads
        none)."""
        return self._labels(batch)

    def draw_labels(self, n: int) -> torch.Tensor:
        """Classes for this rank's ``n`` fakes, uniform and independent of the data, from the shared
        latent stream: every rank draws the global batch's and keeps its share, so N processes
        draw what one process would."""
        classes = self.g.n_classes
        full = torch.randint(classes, (n * self.world.size,), generator=self.latent_rng)
        return full[self.world.share(len(full))].to(self.device)

    def fake_condition(self, y: torch.Tensor | None, n: int) -> torch.Tensor | None:
        """The classes the generator makes ``n`` fakes of: drawn uniformly
        (``train.fake_labels=sampled``, as BigGAN's and StudioGAN's code) or the real batch's
        labels ``y`` (``real``); None for an unconditional model."""
        if not self.conditional:
            return None
        if self.cfg.train.fake_labels == "real":
            return y
        return self.draw_labels(n)

    def d_objective(
        self,
        real: torch.Tensor,
        fake: torch.Tensor,
        y: torch.Tensor | None,
        scale: torch.Tensor | float,
        y_fake: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, Logs]:
        """The discriminator's objective on a real batch (labels ``y``) and a detached fake
        batch (labels ``y_fake``, default ``y``): the loss's pair and penalties (ACGAN, InfoGAN
        and the semi-supervised GAN add their class terms). The labels are chosen on the images
        before they are augmented."""
        y_fake = y if y_fake is None else y_fake
        critic = labelled_critic(self.d_train, y, fake, y_fake, self.augment)
        return self.loss.d_loss(self.critic(critic, real, augmented=True), real, fake, scale)

    def g_objective(
        self, fake: torch.Tensor, real: torch.Tensor, y: torch.Tensor | None
    ) -> tuple[torch.Tensor, Logs]:
        """The generator's objective on a fake batch (of classes ``y``) that keeps its graph."""
        return self.loss.g_loss(self.critic(lambda x: self.d(x, y)), fake, real)

    def step(self, batches: list[dict[str, torch.Tensor]]) -> Logs:
        """n_critic discriminator updates, each on fresh batches, then one generator update.

        With ``optim.accumulate`` = k each update sums the gradients of k micro-batches (each
        loss divided by k: the gradient of the mean over k * batch_size samples). With
        ``train.reuse_fake`` the generator's update reuses the last critic micro-batch's fake
        (its graph kept) and generates the others afresh; without it all k are fresh, as in
        BigGAN's reference code. Under torchrun every micro-batch's gradient is all-reduced
        once: the wrappers skip the all-reduce (``no_sync``) on all but the update's last
        backward, whose reduction carries the accumulated sum. k = 1 is the plain step.
        """
        logs: Logs = {}
        autocast = self.precision.autocast
        k = self.accumulate
        groups = [batches[i : i + k] for i in range(0, len(batches), k)]
        kept: Kept | None = None
        last_group: list[tuple[torch.Tensor, torch.Tensor | None]] = []
        for g_index, group in enumerate(groups):
            d_logs_k: Logs = {}
            self.optimizers["d"].zero_grad(set_to_none=True)
            scale = self.precision.grad_scale("d")
            last_group = []
            for m_index, batch in enumerate(group):
                real = self.real_batch(batch)
                y = self.condition(batch, len(real))
                y_fake = self.fake_condition(y, len(real))
                last = m_index == len(group) - 1
                keep = self.cfg.train.reuse_fake and g_index == len(groups) - 1 and last
                z = self.draw_latent(len(real))
                # the kept fake keeps its graph for the generator's update; with k > 1 its
                # backward comes first there and must not all-reduce alone
                with self.no_sync("g", k > 1), torch.set_grad_enabled(keep), autocast():
                    self.latent = z
                    fake = self.generate(z, y_fake)
                with self.no_sync("d", not last):
                    with autocast():
                        self.latent = z
                        d_loss, d_logs = self.d_objective(real, fake.detach(), y, scale, y_fake)
                    self.precision.backward("d", d_loss / k if k > 1 else d_loss)
                if keep:
                    kept = Kept(real, z, y_fake, fake)
                else:
                    last_group.append((real, y))
                for key, v in d_logs.items():  # the micro-batches' mean, on the device
                    d_logs_k[key] = v if k == 1 else d_logs_k.get(key, 0.0) + log_value(v) / k
            d_logs_k = self.apply("d", d_logs_k)
            self.loss.after_d_step(self.d)
            for penalty in self.loss.penalties:
                penalty.after_d_step()
            for key, v in d_logs_k.items():  # the critic steps' mean, on the device
                logs[key] = logs.get(key, 0.0) + log_value(v) / len(groups)
        set_requires_grad(self.d, False)  # D frozen and called unwrapped: nothing to all-reduce
        self.optimizers["g"].zero_grad(set_to_none=True)
        scale = self.precision.grad_scale("g")
        g_logs_k: Logs = {}
        # the kept fake first (its forward skipped the all-reduce when k > 1, so its gradient
        # joins the others'), then the fresh micro-batches, the last of which all-reduces
        micro: list[Kept | tuple[torch.Tensor, torch.Tensor | None]] = [*last_group]
        if kept is not None:
            micro.insert(0, kept)
        for index, item in enumerate(micro):
            with self.no_sync("g", index < len(micro) - 1):
                if not isinstance(item, Kept):  # a fresh micro-batch: (real, labels)
                    real, y = item
                    z = self.draw_latent(len(real))
                    y_fake = self.fake_condition(y, len(real))
                    with autocast():
                        fake = self.generate(z, y_fake)
                    item = Kept(real, z, y_fake, fake)
                self.latent = item.z
                with autocast():
                    g_loss, g_logs = self.g_objective(item.fake, item.real, item.y)
                    extra, reg_logs = self.regularise_generator(
                        GeneratorBatch(self.g, item.z, item.y, item.fake, scale)
                    )
                if extra is not None:
                    g_loss = g_loss + extra
                    g_logs = {**g_logs, **reg_logs}
                self.precision.backward("g", g_loss / k if k > 1 else g_loss)
            for key, v in g_logs.items():
                g_logs_k[key] = v if k == 1 else g_logs_k.get(key, 0.0) + log_value(v) / k
        logs.update(self.apply("g", g_logs_k))
        set_requires_grad(self.d, True)
        if self.augment is not None:
            logs.update(self.augment.end_step())
        return logs

    def set_progress(self, phase: int, fraction: float, overall: float) -> None:
        """Apply the learning-rate schedule."""
        factor = lr_factor(self.settings.lr_schedule, overall, self.settings.decay_start)
        set_lr(self.optimizers["g"], self.settings.lr_g * factor)
        set_lr(self.optimizers["d"], self.settings.lr_d * factor)

    def generators(self) -> dict[str, nn.Module]:
        """The generator."""
        return {"g": self.g}

    def fixed_inputs(self, n: int, seed: int) -> dict[str, torch.Tensor]:
        """Fixed latents (and a class cycle for conditional models)."""
        gen = torch.Generator().manual_seed(seed)
        inputs = {"z": self.g.latent(n, gen)}
        if self.conditional:
            inputs["y"] = class_cycle(n, self.g.n_classes)
        return inputs

    @torch.no_grad()
    def preview(self, inputs: dict[str, torch.Tensor], generators: dict[str, nn.Module]) -> Preview:
        """Samples from fixed inputs, captioned with class names when conditional."""
        g = generators["g"]
        y = inputs.get("y")
        out = g(inputs["z"].to(self.device), None if y is None else y.to(self.device)).float()
        captions = None
        if y is not None:
            names = self.info.class_names or [str(i) for i in range(g.n_classes)]
            captions = [names[int(i)] for i in y]
        return Preview(out.cpu(), captions)

    def figures(self, generators: dict[str, nn.Module]) -> dict[str, Preview]:
        """A class-conditional generator's class grid: one row per class."""
        g: Generator = generators["g"]  # type: ignore[assignment]
        if not self.conditional:
            return {}
        return {"class-grid": class_grid(g, CLASS_GRID_COLUMNS, self.cfg.eval.seed, self.info)}

    def sample(self, n: int, generators: dict[str, nn.Module], seed: int) -> torch.Tensor:
        """``n`` samples from the generator's one sampler (``Generator.sample``)."""
        g: Generator = generators["g"]  # type: ignore[assignment]
        return g.sample(n, seed)

    def sample_share(
        self, n: int, generators: dict[str, nn.Module], seed: int, share: slice
    ) -> torch.Tensor:
        """The ``share`` of ``sample(n, generators, seed)``, generating only that share."""
        g: Generator = generators["g"]  # type: ignore[assignment]
        z = g.latent(n, torch.Generator().manual_seed(seed))[share]
        labels = g.labels(n)
        return g.sample(len(z), z=z, labels=None if labels is None else labels[share])

    def extra_state(self) -> dict[str, Any]:
        """Loss state (BEGAN's k_t, a lazy penalty's count) and the shared latent stream."""
        state: dict[str, Any] = {"loss": self.loss.state_dict()}
        if any(p.state_dict() for p in self.loss.penalties):
            state["penalties"] = [p.state_dict() for p in self.loss.penalties]
        if self.augment is not None:
            state["augment"] = self.augment.state_dict()
        state["latent_rng"] = self.latent_rng.get_state()
        return state

    def load_extra_state(self, state: dict[str, Any]) -> None:
        """Restore extra_state (and the one grad scaler of checkpoints from before train.precision
        into both optimisers' scalers)."""
        self.loss.load_state_dict(state.get("loss", {}))
        for penalty, saved in zip(self.loss.penalties, state.get("penalties", [])):
            penalty.load_state_dict(saved)
        if self.augment is not None:
            self.augment.load_state_dict(state.get("augment", {}))
        if state.get("scaler"):
            self.precision.load_state_dict({name: state["scaler"] for name in self.optimizers})
        if "latent_rng" in state:  # checkpoints of one process from before: a fresh stream
            self.latent_rng.set_state(state["latent_rng"])

    def resolved_config(self) -> dict[str, Any]:
        """The optimiser settings actually used."""
        return {"optim": self.settings.as_config()}
