"""The unconditional / class-conditional GAN recipe: n_critic D updates, then one G update."""

from __future__ import annotations

import contextlib
from typing import Any

import torch
from torch import nn

from ganforge.config import Config
from ganforge.data.base import DataInfo
from ganforge.errors import ConfigError
from ganforge.losses import GeneratorBatch, Loss, OptimDefaults
from ganforge.losses import build_loss as _build_loss
from ganforge.models.base import GANModels, Generator, class_cycle
from ganforge.registry import LOSSES, MODELS, RECIPES
from ganforge.train.optim import (
    lr_factor,
    make_optimizer,
    resolve_optim,
    set_lr,
    set_requires_grad,
)
from ganforge.train.recipes.base import Preview, Recipe
from ganforge.train.step_logs import Logs, log_value


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

    def __init__(self, cfg: Config, info: DataInfo, device: torch.device) -> None:
        super().__init__(cfg, info, device)
        self.loss = build_loss(cfg)
        self.built = build_gan_models(cfg, info)
        self.g, self.d = self.built.g.to(device), self.built.d.to(device)
        self.loss.check(self.d)
        self.models = {"g": self.g, "d": self.d}
        self.settings = resolve_optim(cfg.optim, self.optim_defaults())
        pack = self.d.pack
        if cfg.train.batch_size % pack:
            raise ConfigError(
                f"train.batch_size ({cfg.train.batch_size}) must be a multiple of "
                f"model.pack ({pack})"
            )
        self.optimizers = {
            "g": make_optimizer(self.g.parameters(), self.settings, self.settings.lr_g),
            "d": make_optimizer(self.d.parameters(), self.settings, self.settings.lr_d),
        }
        self.accumulate = cfg.optim.accumulate
        self.batches_per_step = self.settings.n_critic * self.accumulate
        self.conditional = bool(self.g.n_classes)
        self.amp = cfg.train.amp
        cuda_amp = self.amp and device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda", enabled=cuda_amp)

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        if not self.amp:
            return contextlib.nullcontext()
        dtype = torch.float16 if self.device.type == "cuda" else torch.bfloat16
        return torch.autocast(self.device.type, dtype=dtype)

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

    def generate(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        """A fake training batch for latents ``z``."""
        return self.g(z, y)

    def grad_scale(self) -> torch.Tensor | float:
        """The mixed-precision loss scale gradient penalties use (a tensor: no host sync)."""
        if not self.scaler.is_enabled():
            return 1.0
        return self.scaler.scale(torch.ones((), device=self.device))

    def regularise_generator(self, batch: GeneratorBatch) -> tuple[torch.Tensor | None, Logs]:
        """The generator-side regularisers added to each generator update (BigGAN's orthogonal
        regularisation, StyleGAN2's path length): the loss's generator-side penalties by
        default; a recipe may add its own."""
        return self.loss.regularise_generator(batch)

    def _backward(self, loss: torch.Tensor) -> None:
        self.scaler.scale(loss).backward()

    def _apply(self, name: str) -> None:
        self.scaler.step(self.optimizers[name])
        self.scaler.update()

    def step(self, batches: list[dict[str, torch.Tensor]]) -> Logs:
        """n_critic discriminator updates, each on fresh batches, then one generator update.

        With ``optim.accumulate`` = k each update sums the gradients of k micro-batches (each
        loss divided by k: the gradient of the mean over k * batch_size samples); the generator's
        micro-batches take the last critic update's labels, its last one reuses that update's
        fake, the others generate afresh. k = 1 is the plain step.
        """
        logs: Logs = {}
        scale = self.grad_scale()
        k = self.accumulate
        groups = [batches[i : i + k] for i in range(0, len(batches), k)]
        kept: list[tuple[torch.Tensor, torch.Tensor | None, torch.Tensor, torch.Tensor | None]]
        for g_index, group in enumerate(groups):
            kept = []
            self.optimizers["d"].zero_grad(set_to_none=True)
            for m_index, batch in enumerate(group):
                real = self.real_batch(batch)
                y = self._labels(batch)
                keep = g_index == len(groups) - 1 and m_index == len(group) - 1
                z = self.g.latent(len(real), device=self.device)
                # the last micro-batch's fake keeps its graph and is reused by the generator step
                with torch.set_grad_enabled(keep), self._autocast():
                    fake = self.generate(z, y)
                with self._autocast():
                    d_loss, d_logs = self.loss.d_loss(
                        lambda x, y=y: self.d(x, y), real, fake.detach(), scale
                    )
                self._backward(d_loss / k if k > 1 else d_loss)
                kept.append((real, y, z, fake if keep else None))
                for key, v in d_logs.items():  # the critic steps' mean, on the device
                    logs[key] = logs.get(key, 0.0) + log_value(v) / len(batches)
            self._apply("d")
            self.loss.after_d_step(self.d)
        set_requires_grad(self.d, False)
        self.optimizers["g"].zero_grad(set_to_none=True)
        for real, y, z, fake in kept:
            if fake is None:
                z = self.g.latent(len(real), device=self.device)
                with self._autocast():
                    fake = self.generate(z, y)
            with self._autocast():
                g_loss, g_logs = self.loss.g_loss(lambda x, y=y: self.d(x, y), fake, real)
                extra, reg_logs = self.regularise_generator(
                    GeneratorBatch(self.g, z, y, fake, scale)
                )
            if extra is not None:
                g_loss = g_loss + extra
                g_logs = {**g_logs, **reg_logs}
            self._backward(g_loss / k if k > 1 else g_loss)
            for key, v in g_logs.items():
                logs[key] = v if k == 1 else logs.get(key, 0.0) + log_value(v) / k
        self._apply("g")
        set_requires_grad(self.d, True)
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

    def sample(self, n: int, generators: dict[str, nn.Module], seed: int) -> torch.Tensor:
        """``n`` samples from the generator's one sampler (``Generator.sample``)."""
        g: Generator = generators["g"]  # type: ignore[assignment]
        return g.sample(n, seed)

    def extra_state(self) -> dict[str, Any]:
        """Loss state (BEGAN's k_t) and the AMP grad scaler."""
        return {"loss": self.loss.state_dict(), "scaler": self.scaler.state_dict()}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        """Restore extra_state."""
        self.loss.load_state_dict(state.get("loss", {}))
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])

    def resolved_config(self) -> dict[str, Any]:
        """The optimiser settings actually used."""
        return {"optim": self.settings.as_config()}
