"""Images/s of a ganforge DCGAN training step against a minimal hand-written PyTorch loop.

Both train the identical 32x32 DCGAN (architecture written out by hand here and checked to
have the same parameter count), the same batch, non-saturating loss and Adam, in the same
process, interleaved, on the same data. ganforge is timed inside its engine (data stream,
logging, progress bookkeeping included); set-up and the final checkpoint are excluded.

Each variant sets the same speed switches in both loops: ``fp32``, ``bf16`` and ``fp16``
(autocast; fp16 with one GradScaler per optimiser, as ``train.precision``), ``channels-last``
(``train.channels_last``: NHWC weights) and ``compile`` (``train.compile``: torch.compile of G
and D; its compilation falls in the excluded warm-up steps).

    python benchmarks/throughput.py [--device cpu|cuda] [--variants fp32,bf16,channels-last]
        [--steps 60] [--repeats 5]
    python benchmarks/throughput.py --ddp 2    # data-parallel rows: N processes under torchrun

With ``--ddp N`` the script starts itself under torchrun (gloo on the CPU, NCCL on CUDA): the
hand-written loop wrapped in DistributedDataParallel (each rank trains on its share of the
global batch) against ganforge's engine in the same processes, global images/s (fp32), written
to ``throughput-ddp[-cuda].json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ganforge import config
from ganforge.data import build_dataset
from ganforge.train import train

RESULTS = Path(__file__).parent / "results"


@dataclass(frozen=True)
class Variant:
    """The speed switches of one benchmark row (the train.* settings of the same names)."""

    precision: str = "fp32"
    channels_last: bool = False
    compile: bool = False

    def settings(self) -> list[str]:
        """The ganforge config overrides."""
        return [
            f"train.precision={self.precision}",
            f"train.channels_last={self.channels_last}",
            f"train.compile={self.compile}",
        ]


VARIANTS = {
    "fp32": Variant(),
    "bf16": Variant("bf16"),
    "fp16": Variant("fp16"),
    "channels-last": Variant(channels_last=True),
    "bf16-channels-last": Variant("bf16", channels_last=True),
    "compile": Variant(compile=True),
    "bf16-compile": Variant("bf16", compile=True),
}
DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def hand_models(z: int, w: int, c: int) -> tuple[nn.Module, nn.Module]:
    """The classic DCGAN for 32x32 written by hand (what the dcgan family builds)."""
    g = nn.Sequential(
        nn.ConvTranspose2d(z, w * 4, 4, 1, 0, bias=False),
        nn.BatchNorm2d(w * 4),
        nn.ReLU(True),
        nn.ConvTranspose2d(w * 4, w * 2, 4, 2, 1, bias=False),
        nn.BatchNorm2d(w * 2),
        nn.ReLU(True),
        nn.ConvTranspose2d(w * 2, w, 4, 2, 1, bias=False),
        nn.BatchNorm2d(w),
        nn.ReLU(True),
        nn.ConvTranspose2d(w, c, 4, 2, 1, bias=True),
        nn.Tanh(),
    )
    d = nn.Sequential(
        nn.Conv2d(c, w, 4, 2, 1, bias=True),
        nn.LeakyReLU(0.2, True),
        nn.Conv2d(w, w * 2, 4, 2, 1, bias=False),
        nn.BatchNorm2d(w * 2),
        nn.LeakyReLU(0.2, True),
        nn.Conv2d(w * 2, w * 4, 4, 2, 1, bias=False),
        nn.BatchNorm2d(w * 4),
        nn.LeakyReLU(0.2, True),
        nn.Conv2d(w * 4, 1, 4, 1, 0, bias=True),
    )
    for m in [*g.modules(), *d.modules()]:
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0, 0.02)
    return g, d


def hand_loop(
    images: torch.Tensor,
    steps: int,
    batch: int,
    z: int,
    w: int,
    device: str,
    variant: Variant,
    ranks: tuple[int, int] = (0, 1),
) -> float:
    """Images/s of the minimal loop: fresh permutation per epoch, D step, then G step. With
    ``ranks`` = (rank, size) > 1 process: both models in DistributedDataParallel, each rank on
    its share of the global batch (D frozen and unwrapped in G's step); global images/s."""
    rank, size = ranks
    fmt = torch.channels_last if variant.channels_last else torch.preserve_format
    g, d = (m.to(device, memory_format=fmt) for m in hand_models(z, w, images.shape[1]))
    gw, dw = g, d  # the modules training passes go through
    if size > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP

        gw, dw = DDP(g), DDP(d)
    if variant.compile:  # the training passes compiled (around DDP, as torch advises)
        gw, dw = torch.compile(gw), torch.compile(dw)
    local = batch // size
    opt_g = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
    fp16 = variant.precision == "fp16"
    scaler_g = torch.amp.GradScaler(device, enabled=fp16)  # one per optimiser
    scaler_d = torch.amp.GradScaler(device, enabled=fp16)
    dtype = DTYPES.get(variant.precision)
    amp = dtype is not None
    order, cursor = torch.randperm(len(images)), 0
    start = None
    for step in range(steps + 5):
        if step == 5:  # warm-up excluded
            if device == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
        if cursor + batch > len(images):
            order, cursor = torch.randperm(len(images)), 0
        index = order[cursor : cursor + batch][rank * local : (rank + 1) * local]
        real = images[index].float().div_(127.5).sub_(1).to(device)
        cursor += batch
        with torch.autocast(device, dtype=dtype, enabled=amp):
            fake = gw(torch.randn(local, z, device=device)[:, :, None, None])
            loss_d = F.softplus(-dw(real)).mean() + F.softplus(dw(fake.detach())).mean()
        opt_d.zero_grad(set_to_none=True)
        scaler_d.scale(loss_d).backward()
        scaler_d.step(opt_d)
        scaler_d.update()
        for p in d.parameters():
            p.requires_grad_(False)
        with torch.autocast(device, dtype=dtype, enabled=amp):
            loss_g = F.softplus(-d(fake)).mean()
        opt_g.zero_grad(set_to_none=True)
        scaler_g.scale(loss_g).backward()
        scaler_g.step(opt_g)
        scaler_g.update()
        for p in d.parameters():
            p.requires_grad_(True)
        loss_d.item(), loss_g.item()  # a host read per step (the engine: one finite flag)
    if device == "cuda":
        torch.cuda.synchronize()
    return steps * batch / (time.perf_counter() - start)


def ganforge_loop(
    steps: int, batch: int, z: int, w: int, device: str, variant: Variant, ema: bool, tmp: Path
) -> float:
    """Images/s of ganforge's engine, timed between step 5 and the last step by a callback."""
    marks: dict[int, float] = {}

    def clock(engine, step, logs) -> None:
        if step in (5, steps + 5):
            if device == "cuda":
                torch.cuda.synchronize()
            marks[step] = time.perf_counter()

    cfg = config.resolve(
        "dcgan-digits",
        [
            f"train.steps={steps + 5}",
            f"train.batch_size={batch}",
            f"model.z_dim={z}",
            f"model.g_width={w}",
            f"model.d_width={w}",
            "train.sample_every=0",
            "train.checkpoint_every=0",
            "train.progress=false",
            f"train.device={device}",
            *variant.settings(),
            "eval.metrics=[]",
            f"train.ema={0.999 if ema else None}",
            "train.log_every=50",
        ],
    )
    train(cfg, runs_root=tmp, callbacks=[clock])
    return steps * batch / (marks[steps + 5] - marks[5])


def ddp_main(args: argparse.Namespace) -> None:
    """One process of the --ddp comparison (under torchrun): both loops, interleaved; rank 0
    writes benchmarks/results/throughput-ddp[-cuda].json."""
    import torch.distributed as dist

    backend = "nccl" if args.device == "cuda" else "gloo"
    dist.init_process_group(backend)
    rank, size = dist.get_rank(), dist.get_world_size()
    device = f"cuda:{int(os.environ['LOCAL_RANK'])}" if args.device == "cuda" else "cpu"
    if args.device == "cuda":
        torch.cuda.set_device(device)
    images = build_dataset("digits", {"size": 32}).images.to(device)
    runs: dict[str, list[float]] = {"hand_ddp": [], "ganforge_ddp": []}
    for i in range(args.repeats):
        torch.manual_seed(i)  # the same data order on every rank (the engine reseeds per rank)
        runs["hand_ddp"].append(
            hand_loop(
                images,
                args.steps,
                args.batch,
                100,
                args.width,
                device,
                VARIANTS["fp32"],
                (rank, size),
            )
        )
        runs["ganforge_ddp"].append(
            ganforge_loop(
                args.steps,
                args.batch,
                100,
                args.width,
                device,
                VARIANTS["fp32"],
                False,
                args.tmp / str(i),
            )
        )
    dist.destroy_process_group()
    if rank:
        return
    med = {k: statistics.median(v) for k, v in runs.items()}
    result = {
        "device": args.device if args.device == "cpu" else torch.cuda.get_device_name(),
        "processes": size,
        "backend": backend,
        "batch_global": args.batch,
        "batch_per_process": args.batch // size,
        "width": args.width,
        "steps": args.steps,
        "repeats": args.repeats,
        "threads_per_process": torch.get_num_threads(),
        "images_per_s_median": {k: round(v, 1) for k, v in med.items()},
        "images_per_s_runs": {k: [round(x, 1) for x in v] for k, v in runs.items()},
        "ratio_ganforge_to_hand": round(med["ganforge_ddp"] / med["hand_ddp"], 3),
        "torch": torch.__version__,
        "platform": platform.platform(),
    }
    name = "throughput-ddp" + ("" if args.device == "cpu" else "-cuda")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


def launch_ddp(args: argparse.Namespace, argv: list[str]) -> None:
    """Start this script under torchrun with ``args.ddp`` processes."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
        command += [f"--nproc_per_node={args.ddp}", __file__, *argv, "--ddp-worker", tmp]
        env = {**os.environ, "OMP_NUM_THREADS": str(args.threads or 1)}
        subprocess.run(command, env=env, check=True)


def summarise(runs: dict[str, list[float]]) -> dict[str, object]:
    """Medians, single repeats and the engine-to-hand ratios of one variant's runs."""
    med = {k: statistics.median(v) for k, v in runs.items()}
    row: dict[str, object] = {
        "images_per_s_median": {k: round(v, 1) for k, v in med.items()},
        "images_per_s_runs": {k: [round(x, 1) for x in v] for k, v in runs.items()},
        "ratio_ganforge_to_hand": round(med["ganforge"] / med["hand"], 3),
    }
    if "ganforge_ema" in med:
        row["ratio_ganforge_ema_to_hand"] = round(med["ganforge_ema"] / med["hand"], 3)
    return row


def main() -> None:
    """Run the comparison and write benchmarks/results/throughput[-cuda].json (fp32, with and
    without EMA) or, with --variants, throughput-variants[-cuda].json (one row per variant)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda (cuda:N)")
    parser.add_argument(
        "--variants",
        default=None,
        help=f"comma list of {', '.join(VARIANTS)} (default: fp32 with and without EMA)",
    )
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--ddp", type=int, default=0, help="processes under torchrun (0: none)")
    parser.add_argument("--ddp-worker", dest="tmp", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tmp is not None:
        return ddp_main(args)
    if args.ddp:
        return launch_ddp(args, sys.argv[1:])
    if args.threads:
        torch.set_num_threads(args.threads)
    names = args.variants.split(",") if args.variants else ["fp32"]
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
    import tempfile

    z = 100
    images = build_dataset("digits", {"size": 32}).images.to(args.device)
    ours = build_dataset("digits", {"size": 32})
    from ganforge.registry import MODELS

    built = MODELS.get("dcgan")(ours.info, g_width=args.width, d_width=args.width, z_dim=z)
    hg, hd = hand_models(z, args.width, 1)
    counts = [sum(p.numel() for p in m.parameters()) for m in (built.g, built.d, hg, hd)]
    assert counts[:2] == counts[2:], f"architectures differ: {counts}"
    with_ema = args.variants is None
    runs: dict[str, dict[str, list[float]]] = {
        n: {"hand": [], "ganforge": [], **({"ganforge_ema": []} if with_ema else {})} for n in names
    }
    loop = (args.steps, args.batch, z, args.width, args.device)
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):  # variants interleaved, so machine load hits them alike
            for name in names:
                variant = VARIANTS[name]
                runs[name]["hand"].append(hand_loop(images, *loop, variant))
                runs[name]["ganforge"].append(ganforge_loop(*loop, variant, False, Path(tmp)))
                if with_ema:
                    runs[name]["ganforge_ema"].append(
                        ganforge_loop(*loop, variant, True, Path(tmp))
                    )
    result: dict[str, object] = {
        "device": args.device if args.device == "cpu" else torch.cuda.get_device_name(),
        "batch": args.batch,
        "width": args.width,
        "steps": args.steps,
        "repeats": args.repeats,
        "threads": torch.get_num_threads(),
        "parameters": {"g": counts[0], "d": counts[1]},
    }
    if with_ema:
        result = {**result, "precision": "fp32", **summarise(runs["fp32"])}
    else:
        rows = {n: summarise(r) for n, r in runs.items()}
        if "fp32" in runs:  # each variant's speed-up over fp32, per loop
            base = {k: statistics.median(v) for k, v in runs["fp32"].items()}
            for n, r in runs.items():
                rows[n]["speedup_over_fp32"] = {
                    k: round(statistics.median(v) / base[k], 3) for k, v in r.items()
                }
        result["rows"] = rows
    result |= {"torch": torch.__version__, "platform": platform.platform()}
    name = "throughput" + ("" if with_ema else "-variants")
    name += "" if args.device == "cpu" else "-cuda"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
