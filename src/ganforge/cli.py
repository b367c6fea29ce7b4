"""The command line: parses arguments and calls ganforge.api, nothing else."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import math
import sys
import warnings
from collections.abc import Iterator

import click

from ganforge import api
from ganforge.errors import GanforgeError

EXIT_USER_ERROR = 2


class FiniteFloat(click.FloatRange):
    """A float range that also refuses nan and inf (click's own ranges let nan through)."""

    name = "finite number"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None):
        """The float, or a usage error."""
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


class RunName(click.ParamType):
    """A run directory name under --runs-dir (sub-folders allowed, nothing outside it)."""

    name = "name"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None):
        """The name, or a usage error."""
        try:
            return api.check_run_name(str(value))
        except GanforgeError as exc:
            self.fail(str(exc), param, ctx)


SEED = click.IntRange(0, api.SEED_MAX)
SAMPLES = click.IntRange(2, 10**6)  # samples drawn and scored (evaluate, select, compare, ...)
BN_STATS_OPTION = click.option(
    "--bn-stats",
    type=click.Choice(api.BN_STATS),
    default="eval",
    show_default=True,
    help="Generator batch norms: running (eval), per-batch (train) or standing statistics.",
)
BOOTSTRAP = click.IntRange(0, 100_000)
EXIT_INTERRUPTED = {"SIGINT": 130, "SIGTERM": 143}
OUT_OF_MEMORY = (
    "error: out of memory; try a smaller data.size, train.batch_size or model, or a smaller --n"
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="ganforge")
def cli() -> None:
    """ganforge: train, evaluate and tune GANs."""


@cli.command()
@click.argument("preset", required=False)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a config value, e.g. --set optim.lr_g=1e-4 (repeatable).",
)
@click.option(
    "--resume", metavar="RUN", help="Continue this run directory from its latest checkpoint."
)
@click.option("--runs-dir", default="runs", show_default=True, type=click.Path(file_okay=False))
@click.option(
    "--name", type=RunName(), help="Run directory name (default: preset plus a timestamp)."
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option(
    "--gpus",
    type=click.IntRange(1, 4096),
    metavar="N",
    help="Data-parallel over N processes on this machine via torchrun (one per GPU; gloo "
    "processes on a CPU). train.batch_size stays the global batch.",
)
@click.option(
    "--resume-if-exists",
    is_flag=True,
    help="With --name: continue that run from its latest checkpoint when it exists (a job "
    "requeued by a scheduler), else start it.",
)
@click.option(
    "--max-restarts",
    type=click.IntRange(0, 1000),
    default=0,
    show_default=True,
    help="With --gpus: torchrun restarts failed workers this often; the run resumes.",
)
@click.option(
    "--nnodes",
    type=click.IntRange(1, 4096),
    default=1,
    show_default=True,
    help="With --gpus: nodes.",
)
@click.option(
    "--node-rank", type=click.IntRange(0, 4095), help="With --gpus: this node's rank (static)."
)
@click.option(
    "--rdzv-endpoint", metavar="HOST:PORT", help="With --gpus: the rendezvous address (node 0)."
)
def train(
    preset: str | None,
    overrides: tuple[str, ...],
    resume: str | None,
    runs_dir: str,
    name: str | None,
    quiet: bool,
    gpus: int | None,
    resume_if_exists: bool,
    max_restarts: int,
    nnodes: int,
    node_rank: int | None,
    rdzv_endpoint: str | None,
) -> None:
    """Train PRESET (default: dcgan-digits) or a YAML config file.

    Also runs under torchrun: `torchrun --nproc_per_node N -m ganforge train PRESET ...`."""
    if resume and preset:
        raise click.UsageError("give either PRESET or --resume RUN, not both")
    launch = api.Launch(nnodes, node_rank, rdzv_endpoint, max_restarts)
    if not gpus and launch != api.Launch():
        raise click.UsageError(
            "--max-restarts, --nnodes, --node-rank and --rdzv-endpoint go with --gpus N"
        )
    if gpus:
        code = api.train_processes(
            gpus,
            preset,
            overrides,
            resume=resume,
            runs_root=runs_dir,
            name=name,
            progress=not quiet,
            resume_if_exists=resume_if_exists,
            launch=launch,
        )
        if code:
            sys.exit(code)
        return
    result = api.train(
        preset,
        overrides,
        resume=resume,
        runs_root=runs_dir,
        name=name,
        progress=not quiet,
        resume_if_exists=resume_if_exists,
    )
    if not result.main:  # another process of a torchrun job reports
        if result.status == "interrupted":
            sys.exit(EXIT_INTERRUPTED.get(str(result.stop_reason), 1))
        return
    run = result.run
    click.echo(
        f"\n{result.status} at step {result.step}/{result.total_steps} in {result.elapsed:.1f} s"
    )
    click.echo(f"run directory: {run.path}")
    for label, path in run.outputs():
        click.echo(f"  {label + ':':<13}{path}")
    for key, value in result.final_metrics.items():
        features = result.extractors.get(key)
        click.echo(f"  {key}: {value:.4g}" + (f" ({features} features)" if features else ""))
    if result.status == "interrupted":
        click.echo(f"resume with: ganforge train --resume {run.path}")
        sys.exit(EXIT_INTERRUPTED.get(str(result.stop_reason), 1))


@cli.command()
@click.argument("source", metavar="RUN|CKPT")
@click.option(
    "--n",
    "n",
    type=click.IntRange(1, 10_000),
    help="Samples [default: 64; with --class-grid, 8 per class row].",
)
@click.option("--seed", default=0, show_default=True, type=SEED)
@click.option("--out", type=click.Path(dir_okay=False), help="Output PNG (default: in the run).")
@click.option("--interpolate", is_flag=True, help="Also write a latent interpolation strip.")
@click.option(
    "--steps",
    default=10,
    show_default=True,
    type=click.IntRange(2, 1000),
    help="Frames in the interpolation strip.",
)
@click.option("--no-ema", is_flag=True, help="Use the raw generator weights, not the EMA.")
@click.option(
    "--truncation",
    type=FiniteFloat(-2.0, 2.0),
    metavar="T",
    help="Truncation: psi in W (StyleGAN, e.g. 0.7) or the |z| threshold beyond which BigGAN "
    "resamples (e.g. 0.5).",
)
@click.option(
    "--class",
    "label",
    type=click.IntRange(0, 100_000),
    metavar="K",
    help="Samples of class K only (class-conditional models; InfoGAN: category K).",
)
@click.option(
    "--class-grid",
    is_flag=True,
    help="One row per class, --n samples wide (default 8; conditional models).",
)
def sample(
    source: str,
    n: int | None,
    seed: int,
    out: str | None,
    interpolate: bool,
    steps: int,
    no_ema: bool,
    truncation: float | None,
    label: int | None,
    class_grid: bool,
) -> None:
    """Write a grid of samples from a run or checkpoint."""
    paths = api.sample(
        source,
        n,
        seed,
        out,
        interpolate,
        steps,
        use_ema=not no_ema,
        truncation=truncation,
        label=label,
        class_grid=class_grid,
    )
    for path in paths:
        click.echo(path)


@cli.command()
@click.argument("source", metavar="RUN|CKPT")
@click.option(
    "--seeds",
    required=True,
    metavar="LIST",
    help="Seeds: ranges and single seeds, e.g. 0-99 or 0-9,20,30-32.",
)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder.")
@click.option(
    "--class",
    "label",
    type=click.IntRange(0, 100_000),
    metavar="K",
    help="Class K (required for class-conditional models).",
)
@click.option(
    "--truncation",
    type=FiniteFloat(-2.0, 2.0),
    metavar="T",
    help="Truncation: StyleGAN psi or BigGAN threshold.",
)
@click.option("--no-ema", is_flag=True, help="Use the raw generator weights, not the EMA.")
def generate(
    source: str,
    seeds: str,
    out_dir: str,
    label: int | None,
    truncation: float | None,
    no_ema: bool,
) -> None:
    """Write one PNG per seed (seedNNNN.png, the model's size) for compare or torch-fidelity.

    Seed S's image is the one `ganforge sample --n 1 --seed S` draws."""
    written = api.generate(
        source, seeds, out_dir, label=label, truncation=truncation, use_ema=not no_ema
    )
    click.echo(f"wrote {len(written)} image(s) to {out_dir}")


@cli.command("truncation")
@click.argument("source", metavar="RUN|CKPT")
@click.option(
    "--thresholds",
    default="2,1.5,1,0.75,0.5,0.25",
    show_default=True,
    help="Comma-separated truncation thresholds (BigGAN) or psi values (StyleGAN).",
)
@click.option("--metrics", default="fid,is", show_default=True, help="Metrics per threshold.")
@click.option("--n", "n", type=SAMPLES, help="Samples per threshold (default: eval.n_samples).")
@click.option("--seed", default=0, show_default=True, type=SEED)
@BN_STATS_OPTION
def truncation(
    source: str, thresholds: str, metrics: str, n: int | None, seed: int, bn_stats: str
) -> None:
    """Truncation sweep: scores and a grid row per threshold, into the run and its report."""
    try:
        values = tuple(float(t) for t in thresholds.split(",") if t.strip())
    except ValueError as exc:
        raise click.BadParameter(f"{thresholds!r}: expected numbers, e.g. 2,1,0.5") from exc
    if not values or not all(math.isfinite(t) and 0 < t <= 10 for t in values):
        raise click.BadParameter("thresholds must be numbers in (0, 10], e.g. 2,1,0.5")
    path = api.truncation_sweep(source, values, metrics=metrics, n=n, seed=seed, bn_stats=bn_stats)
    for row in json.loads(path.read_text()):
        click.echo(
            "  ".join(
                f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()
            )
        )
    click.echo(path)


@cli.command("style-mix")
@click.argument("source", metavar="RUN|CKPT")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Folder for the figures.")
@click.option(
    "--columns",
    default=5,
    show_default=True,
    type=click.IntRange(1, 100),
    help="Column sources in the mixing grid.",
)
@click.option(
    "--rows",
    default=2,
    show_default=True,
    type=click.IntRange(1, 100),
    help="Rows per band (coarse/middle/fine).",
)
@click.option("--seed", default=0, show_default=True, type=SEED)
@click.option(
    "--truncation",
    type=FiniteFloat(-2.0, 2.0),
    metavar="PSI",
    help="Truncate the mixing grid's styles.",
)
@click.option("--no-ema", is_flag=True, help="Use the raw generator weights, not the EMA.")
def style_mix(
    source: str,
    out_dir: str | None,
    columns: int,
    rows: int,
    seed: int,
    truncation: float | None,
    no_ema: bool,
) -> None:
    """StyleGAN figures: style-mixing grid, truncation sweep, noise (default: RUN/figures/)."""
    paths = api.style_mix(source, out_dir, columns, rows, seed, truncation, use_ema=not no_ema)
    for path in paths:
        click.echo(path)


@cli.group()
def prepare() -> None:
    """Prepare datasets (faces: detect, crop and resize into an .npz)."""


@prepare.command("faces")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option(
    "--size",
    default=128,
    show_default=True,
    type=click.IntRange(8, api.MAX_SIDE),
    help="Side of the square crops.",
)
@click.option("--out", default="faces.npz", show_default=True, type=click.Path(dir_okay=False))
@click.option(
    "--margin",
    default=0.25,
    show_default=True,
    type=FiniteFloat(0.0),
    help="Box growth per side (fraction).",
)
@click.option(
    "--detector",
    type=click.Choice(api.FACE_DETECTORS),
    default="auto",
    show_default=True,
    help="auto: MTCNN when installed, else OpenCV's bundled Haar cascade.",
)
@click.option(
    "--crop",
    type=click.Choice(api.FACE_CROPS),
    default="square",
    show_default=True,
    help="square: largest face, square grown by --margin; tutorial: first face, tight box "
    "stretched to the size.",
)
@click.option(
    "--limit",
    type=click.IntRange(1, None),
    help="Stop once this many faces are kept (photos in path order).",
)
def prepare_faces(
    folder: str, size: int, out: str, margin: float, detector: str, crop: str, limit: int | None
) -> None:
    """Crop a face of every photo under FOLDER into a size x size .npz dataset."""
    report = api.prepare_faces(folder, size, out, margin, detector, crop, limit)
    click.echo(
        f"kept {report.kept} of {report.seen} images ({report.detector} detector, {report.crop} "
        f"crop); skipped {len(report.no_face)} without a face, {len(report.unreadable)} unreadable"
    )
    if report.not_read:
        click.echo(f"stopped at --limit {limit}: {report.not_read} photo(s) not read")
    for name in report.no_face:
        click.echo(f"  no face: {name}")
    for name in report.unreadable:
        click.echo(f"  unreadable: {name}")
    click.echo(f"wrote {report.out}; train on it with e.g.")
    click.echo(f"  ganforge train progan-faces128 --set data.path={report.out}")


@cli.group()
def dataset() -> None:
    """Dataset files (convert: write a stylegan2-ada dataset zip)."""


@dataset.command("convert")
@click.argument("src", type=click.Path())
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--size", help="Output size: S (square) or WIDTHxHEIGHT, e.g. 64 or 512x384.")
@click.option(
    "--labels", is_flag=True, help="Write class labels (class sub-folders, or the source's)."
)
@click.option(
    "--transform",
    type=click.Choice(api.DATASET_TRANSFORMS),
    help="dataset_tool's crop/resize (default: center-crop with --size, else none).",
)
@click.option("--channels", type=click.Choice(["1", "3"]), help="Grayscale or RGB output.")
@click.option("--limit", type=click.IntRange(1, None), help="Convert at most this many images.")
def dataset_convert(
    src: str,
    out: str,
    size: str | None,
    labels: bool,
    transform: str | None,
    channels: str | None,
    limit: int | None,
) -> None:
    """Write SRC (image folder, zip, CIFAR-10 batches, MNIST IDX, .npz) to the zip OUT."""
    report = api.convert_dataset(
        src, out, size, labels, transform, int(channels) if channels else None, limit
    )
    h, w = report.size
    classes = f"{report.n_classes} classes" if report.n_classes else "no labels"
    click.echo(
        f"wrote {report.written} images ({w}x{h}, {report.channels} channel(s), {classes}) "
        f"from the {report.source} {src} to {report.out}"
    )
    if report.dropped:
        click.echo(f"dropped {report.dropped} image(s) narrower than the center-crop-wide size")
    for note in report.notes:
        click.echo(f"note: {note}")
    side = f" --set data.size=[{h},{w}]" if h != w else f" --set data.size={h}"
    cond = " --set data.labels=true" if report.n_classes else ""
    click.echo(
        f"train on it with e.g. ganforge train dcgan-digits --set data.name=folder "
        f"--set data.path={report.out}{side} --set data.channels={report.channels}{cond}"
    )


def _print_listing(kind: str, name: str | None = None) -> None:
    if name is None:
        _print_rows(api.listing(kind))
        return
    summary, rows = api.parameters(kind, name)
    click.echo(f"{name}: {summary}")
    _print_table(rows, ("parameter", "type", "default"))


def _print_rows(rows: list[tuple[str, str]]) -> None:
    width = max(len(name) for name, _ in rows)
    for name, summary in rows:
        click.echo(f"{name:<{width}}  {summary}")


@cli.command()
@click.argument("name", required=False)
def presets(name: str | None) -> None:
    """List the built-in presets, or print one's resolved config (YAML) to read before training."""
    if name is None:
        _print_listing("presets")
    else:
        click.echo(api.preset_yaml(name), nl=False)


@cli.command()
@click.argument("name", required=False)
def datasets(name: str | None) -> None:
    """List the datasets, or the parameters of one (set as data.KEY)."""
    _print_listing("datasets", name)


@cli.command()
@click.argument("name", required=False)
@click.option("--count", is_flag=True, help="Print the G and D parameter counts of NAME.")
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="model.KEY=VALUE",
    help="With --count: a model parameter, e.g. --set model.g_width=64 (repeatable).",
)
@click.option("--size", default=128, show_default=True, type=click.IntRange(1, api.MAX_SIDE))
@click.option("--classes", default=1000, show_default=True, type=click.IntRange(0, 100_000))
@click.option("--channels", default=3, show_default=True, type=click.IntRange(1, 3))
def models(
    name: str | None,
    count: bool,
    overrides: tuple[str, ...],
    size: int,
    classes: int,
    channels: int,
) -> None:
    """List the model families, the parameters of one (model.KEY), or with --count its
    networks' parameter counts for SIZE x SIZE images and CLASSES classes (nothing trained)."""
    if not count:
        if overrides:
            raise click.UsageError("--set applies with --count")
        _print_listing("models", name)
        return
    if name is None:
        raise click.UsageError("--count needs a model NAME, e.g. ganforge models biggan --count")
    rows = api.parameter_counts(name, overrides, size, classes, channels)
    click.echo(f"{name} at {size}x{size}, {channels} channels, {classes} classes:")
    for network, n in rows:
        click.echo(f"  {network}: {n:,} parameters")


@cli.command()
@click.argument("name", required=False)
def losses(name: str | None) -> None:
    """List the adversarial losses, or the parameters of one (set as loss.KEY)."""
    _print_listing("losses", name)


@cli.command()
@click.argument("name", required=False)
def penalties(name: str | None) -> None:
    """List the penalties (loss.penalty=NAME or a list), or the keys of one (loss.KEY)."""
    _print_listing("penalties", name)


@cli.command("naive-bayes")
@click.argument("data", type=click.Path(dir_okay=False))
@click.option(
    "--target",
    required=True,
    help="The class column: its name, or its 0-based index (-1: the last column).",
)
@click.option(
    "--header/--no-header",
    default=None,
    help="Whether row 1 names the columns [default: detected; the summary says which].",
)
@click.option(
    "--model",
    type=click.Choice(api.NAIVE_BAYES_CHOICES["model"]),
    default="gaussian",
    show_default=True,
    help="mixed takes numeric and text columns together.",
)
@click.option(
    "--cv",
    default=5,
    show_default=True,
    type=click.IntRange(0, 100_000),
    help="Cross-validation folds (0: none).",
)
@click.option(
    "--predict",
    type=click.Path(dir_okay=False),
    help="CSV of rows to classify with a model fitted on all of DATA.",
)
@click.option(
    "--out", type=click.Path(dir_okay=False), help="Write the predictions here, not to stdout."
)
@click.option(
    "--folds",
    type=click.Choice(api.NAIVE_BAYES_CHOICES["folds"]),
    default="shuffled",
    show_default=True,
    help="How rows are cut into folds: ours (every row tested) or the walk-through's.",
)
@click.option(
    "--seed", type=SEED, help="Seed of the folds [default: 0; 1 with --folds walkthrough, its own]."
)
@click.option(
    "--convention",
    type=click.Choice(api.NAIVE_BAYES_CHOICES["convention"]),
    default="sklearn",
    show_default=True,
    help="Gaussian variances: scikit-learn's (smoothed) or the textbook n-1, unsmoothed.",
)
@click.option(
    "--unseen",
    type=click.Choice(api.NAIVE_BAYES_CHOICES["unseen"]),
    default="error",
    show_default=True,
    help="A text value never seen in training: fail, leave it out, or count it as zero.",
)
@click.option(
    "--alpha",
    default=1.0,
    show_default=True,
    type=FiniteFloat(0.0, 1e9),
    help="Laplace/Lidstone smoothing.",
)
@click.option(
    "--bandwidth",
    default="scott",
    show_default=True,
    help=f"kernel: {', '.join(api.NAIVE_BAYES_CHOICES['bandwidth'])} or a factor.",
)
def naive_bayes(data: str, target: str, **options: object) -> None:
    """Cross-validate a Naive Bayes classifier on a CSV file and classify new rows."""
    result = api.naive_bayes(data, target, **options)
    to_stdout = result.predictions is not None and result.predictions_path is None
    for line in result.summary():
        click.echo(line, err=to_stdout)
    if result.predictions_path is not None:
        click.echo(f"predictions: {result.predictions_path}")
    elif result.predictions is not None:
        click.echo(result.predictions, nl=False)


@cli.command()
def metrics() -> None:
    """List the metrics (use with evaluate --metrics and eval.metrics)."""
    _print_listing("metrics")


def _print_table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(f"{c!s:<{w}}" for c, w in zip(row, widths)).rstrip())


@cli.command()
@click.argument("source", metavar="RUN|CKPT")
@click.option("--metrics", help="Comma-separated metrics, e.g. fid,kid:subsets=10,pr.")
@click.option("--real", metavar="DATASET|STATS", help="Real data: dataset[:k=v], folder or .npz.")
@click.option(
    "--n",
    "n",
    type=SAMPLES,
    help="Generated samples (default: eval.n_samples).",
)
@click.option("--extractor", help="Feature extractor (default: chosen for the dataset).")
@click.option("--seed", type=SEED, help="Sampling seed (default: eval.seed).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write results here.")
@click.option("--floors", is_flag=True, help="Also score held-out real data (real-vs-real floor).")
@click.option(
    "--bootstrap",
    default=0,
    show_default=True,
    type=BOOTSTRAP,
    help="Bootstrap rounds for 95% CIs.",
)
@click.option("--no-ema", is_flag=True, help="Use the raw generator weights, not the EMA.")
@click.option(
    "--truncation",
    type=FiniteFloat(-2.0, 2.0),
    metavar="T",
    help="Sample with the truncation trick (StyleGAN psi, BigGAN threshold).",
)
@BN_STATS_OPTION
def evaluate(
    source: str,
    metrics: str | None,
    real: str | None,
    n: int | None,
    extractor: str | None,
    seed: int | None,
    json_path: str | None,
    floors: bool,
    bootstrap: int,
    no_ema: bool,
    truncation: float | None,
    bn_stats: str,
) -> None:
    """Score a run or checkpoint; prints a table and writes JSON with provenance."""
    result = api.evaluate(
        source,
        metrics=metrics,
        real=real,
        n=n,
        extractor=extractor,
        seed=seed,
        json_path=json_path,
        floors=floors,
        bootstrap=bootstrap,
        use_ema=not no_ema,
        truncation=truncation,
        bn_stats=bn_stats,
    )
    for note in result.notes:
        click.echo(f"note: {note}")
    rows = api.evaluation_table(result)
    if result.floors is None:
        _print_table([row[:3] for row in rows], ("score", "value", "spread"))
    else:
        _print_table(rows, ("score", "value", "spread", "real vs real"))
    for record in result.records:  # the nearest-neighbour and duplicate grids
        for key, path in record.get("extra", {}).items():
            if key.startswith("figure"):
                click.echo(f"figure ({record['metric']}): {path}")
    click.echo(f"step {result.step}; results: {result.json_path}")


@cli.command()
@click.argument("run_a", metavar="RUN_A")
@click.argument("run_b", metavar="RUN_B")
@click.option(
    "--n", "n", default=1000, show_default=True, type=SAMPLES, help="Samples per generator."
)
@click.option("--seed", default=0, show_default=True, type=SEED)
@click.option(
    "--tolerance",
    default=0.1,
    show_default=True,
    type=FiniteFloat(0.0),
    help="How far r_test may be from 1.",
)
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write results here.")
def battle(
    run_a: str, run_b: str, n: int, seed: int, tolerance: float, json_path: str | None
) -> None:
    """GAM: two GAN runs battle, each discriminator judging the other's generator."""
    result = api.battle(run_a, run_b, n=n, seed=seed, tolerance=tolerance, json_path=json_path)
    data = result.to_dict()
    errors = data["errors"]
    rows = [
        ("error on held-out real images", f"{errors['a_test']:.4g}", f"{errors['b_test']:.4g}"),
        ("fooled by the other's samples", f"{errors['a_on_b']:.4g}", f"{errors['b_on_a']:.4g}"),
    ]
    _print_table(rows, ("discriminator", f"A: {run_a}", f"B: {run_b}"))
    click.echo(f"r_test {_ratio(data['r_test'])}, r_samples {_ratio(data['r_samples'])}")
    winner = {"A": f"A ({run_a})", "B": f"B ({run_b})"}.get(data["winner"], "tie")
    click.echo(f"winner: {winner}" + (f"; results: {result.json_path}" if json_path else ""))


def _ratio(value: float | None) -> str:
    return "inf" if value is None else f"{value:.4g}"


@cli.command()
@click.argument("runs", nargs=-1, required=True, metavar="RUN_A RUN_B [RUN]...")
@click.option(
    "--n", "n", default=500, show_default=True, type=SAMPLES, help="Samples per generator."
)
@click.option("--seed", default=0, show_default=True, type=SEED)
@click.option(
    "--real/--no-real",
    default=True,
    show_default=True,
    help="Held-out real images play as one more generator.",
)
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write results here.")
def tournament(runs: tuple[str, ...], n: int, seed: int, real: bool, json_path: str | None) -> None:
    """Skill rating: every run's discriminator judges every run's samples."""
    result = api.tournament(runs, n=n, seed=seed, real=real, json_path=json_path)
    data = result.to_dict()
    columns = ("players", "wins", "games", "win_rate", "skill", "skill_se", "elo")
    rows = [
        (player, f"{won}/{games}", f"{rate:.3f}", f"{skill:.0f} ± {se:.0f}", f"{elo:.0f}")
        for player, won, games, rate, skill, se, elo in zip(*(data[c] for c in columns))
    ]
    _print_table(rows, ("player", "won", "win rate", "skill (BT)", "Elo"))
    if json_path:
        click.echo(f"results: {result.json_path}")


@cli.command()
@click.argument("runs", nargs=-1, required=True, metavar="RUN_A RUN_B [RUN]...")
@click.option("--n", "n", default=1000, show_default=True, type=SAMPLES, help="Samples per run.")
@click.option(
    "--epochs",
    default=20,
    show_default=True,
    type=click.IntRange(2, 10_000),
    help="Classifier training epochs.",
)
@click.option("--extractor", help="Feature extractor (default: chosen for the dataset).")
@click.option("--seed", default=0, show_default=True, type=SEED)
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write results here.")
def nrds(
    runs: tuple[str, ...],
    n: int,
    epochs: int,
    extractor: str | None,
    seed: int,
    json_path: str | None,
) -> None:
    """NRDS: one classifier against several runs; the last it learns to reject score highest."""
    result = api.nrds(runs, n=n, seed=seed, epochs=epochs, extractor=extractor, json_path=json_path)
    data = result.to_dict()
    rows = [
        (run, f"{score:.4f}", f"{area:.4g}")
        for run, score, area in zip(runs, data["scores"], data["areas"])
    ]
    _print_table(rows, ("run", "NRDS", "area"))
    if json_path:
        click.echo(f"results: {result.json_path}")


@cli.command()
@click.argument("run", metavar="RUN")
@click.option("--metric", default="fid", show_default=True, help="Score to choose by.")
@click.option("--n", "n", type=SAMPLES, help="Generated samples per checkpoint.")
@click.option("--real", metavar="DATASET|STATS", help="Real data (default: the run's).")
@click.option("--extractor", help="Feature extractor (default: chosen for the dataset).")
@click.option("--seed", type=SEED, help="Sampling seed (default: eval.seed).")
@click.option("--no-ema", is_flag=True, help="Use the raw generator weights, not the EMA.")
def select(
    run: str,
    metric: str,
    n: int | None,
    real: str | None,
    extractor: str | None,
    seed: int | None,
    no_ema: bool,
) -> None:
    """Score every saved checkpoint of RUN and copy the best to checkpoints/best-<score>.pt."""
    chosen = api.select(
        run, metric=metric, n=n, real=real, extractor=extractor, seed=seed, use_ema=not no_ema
    )
    rows = [
        (str(step), f"{value:.4g}", "best" if step == chosen.best_step else "")
        for step, value in chosen.scores
    ]
    _print_table(rows, ("step", chosen.key, ""))
    click.echo(
        f"best: step {chosen.best_step} ({chosen.key}={chosen.best_value:.4g}, "
        f"{chosen.better} is better) -> {chosen.best_path}"
    )
    click.echo(f"plot: {chosen.plot}; results: {chosen.json_path}")


class ImageSize(click.ParamType):
    """``64`` (square) or ``48x64`` (height x width)."""

    name = "SIZE"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int | tuple[int, int]:
        """An int or an (height, width) pair, each side from 1 to api.MAX_SIDE."""
        parts = str(value).lower().split("x")
        if len(parts) in (1, 2) and all(p.strip().isdigit() for p in parts):
            sizes = [int(p) for p in parts]
            if all(1 <= side <= api.MAX_SIDE for side in sizes):
                return sizes[0] if len(sizes) == 1 else (sizes[0], sizes[1])
        self.fail(
            f"{value!r} is not a size such as 64 or 48x64 (each side 1 to {api.MAX_SIDE})",
            param,
            ctx,
        )


SIZE_HELP = "Resize image files and datasets to SIZE (64 or HxW) [default: their own size]."


@cli.command()
@click.argument("dataset", metavar="DATASET")
@click.option("--extractor", default="auto", show_default=True, help="Feature extractor.")
@click.option("--split", help="Dataset split (train, test, all).")
@click.option(
    "--limit", type=click.IntRange(1, None), help="Use at most this many samples (seeded draw)."
)
@click.option("--size", type=ImageSize(), help=SIZE_HELP)
@click.option("--out", type=click.Path(dir_okay=False), help="Also copy the .npz here.")
def stats(
    dataset: str,
    extractor: str,
    split: str | None,
    limit: int | None,
    size: int | tuple[int, int] | None,
    out: str | None,
) -> None:
    """Write reference statistics (mu, sigma; pytorch-fid compatible) of DATASET[:key=value],
    a folder or an .npz of images (image files at their own size)."""
    path, result = api.stats(
        dataset, extractor=extractor, out=out, split=split, limit=limit, size=size
    )
    click.echo(
        f"{path}  ({result.count} samples, {result.dim}-d, "
        f"extractor {(result.provenance.get('extractor') or {}).get('extractor', '?')})"
    )


@cli.command()
@click.argument("source_a", metavar="SOURCE_A")
@click.argument("source_b", metavar="[SOURCE_B]", required=False)
@click.option("--metrics", help="Comma-separated metrics [default: per dataset; one source: is].")
@click.option("--extractor", help="Feature extractor (default: chosen for the data).")
@click.option(
    "--n", "n", type=SAMPLES, help="Samples from a run or checkpoint [default: eval.n_samples]."
)
@click.option("--size", type=ImageSize(), help=SIZE_HELP)
@click.option(
    "--limit",
    type=click.IntRange(2, None),
    help="At most this many images per folder or dataset [default: 50000].",
)
@click.option("--seed", default=0, show_default=True, type=SEED, help="Sampling seed.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write results here.")
@click.option(
    "--bootstrap",
    default=0,
    show_default=True,
    type=BOOTSTRAP,
    help="Bootstrap rounds for 95% CIs.",
)
@click.option("--no-ema", is_flag=True, help="Use a run's raw generator weights, not the EMA.")
def compare(source_a: str, source_b: str | None, no_ema: bool, **options: object) -> None:
    """Score SOURCE_A against SOURCE_B, or alone (IS). A source is an image folder, an .npz of
    images or statistics, a dataset (cifar10:split=test, digits), or a run or checkpoint."""
    given = {k: v for k, v in options.items() if v is not None}  # unset: the library's defaults
    result = api.compare(source_a, source_b, use_ema=not no_ema, **given)
    for label, side in zip("AB", result.sources):
        click.echo(f"{label}: {side.describe()}")
    for note in result.notes:
        click.echo(f"note: {note}")
    _print_table(result.rows(), ("score", "value", "spread"))
    if result.json_path is not None:
        click.echo(f"results: {result.json_path}")


@cli.command()
@click.argument("sources", nargs=-1, metavar="[RUN_OR_FOLDER]...")
@click.option(
    "--real",
    metavar="DATASET",
    help="Real images (a dataset name such as digits, or a folder); enables the real/fake task.",
)
@click.option(
    "--real-set",
    "real_overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="A parameter of the real dataset, e.g. --real-set split=test (repeatable).",
)
@click.option(
    "--study",
    type=click.Path(file_okay=False),
    help="Study folder (default: studies/rate-<time>); give it alone to reopen a study.",
)
@click.option(
    "--images",
    "n_images",
    default=64,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Images per model.",
)
@click.option(
    "--seed", default=0, show_default=True, type=SEED, help="Seed for sampling the images."
)
@click.option(
    "--db", metavar="URL", help="SQLite file (default STUDY/study.db) or postgresql://..."
)
@click.option(
    "--size",
    type=click.IntRange(1, api.MAX_SIDE),
    help="Image size in pixels [default: the first run's; 64 for folders].",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port (0 picks a free one).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Server processes (more than one needs a PostgreSQL study, --db postgresql://...).",
)
@click.option(
    "--proxy-headers",
    is_flag=True,
    help="Behind a reverse proxy: trust its X-Forwarded-For/-Proto ($FORWARDED_ALLOW_IPS, "
    "default this machine).",
)
@click.option(
    "--root-path", default="", metavar="PATH", help="Sub-path the proxy serves the page under."
)
@click.option(
    "--public-url", metavar="URL", help="Address raters reach the page at, for the printed links."
)
@click.option(
    "--exposure-ms",
    type=click.IntRange(*api.RATE_EXPOSURE_MS),
    help="Rapid real/fake exposure in ms [default: 500 or the study's].",
)
@click.option(
    "--feedback/--no-feedback",
    default=None,
    help="Tell raters after each rapid real/fake answer whether it was right (it teaches them, "
    "so it biases the measure) [default: off, or the study's].",
)
@click.option(
    "--report",
    "report_study",
    metavar="STUDY",
    type=click.Path(file_okay=False),
    help="Print the results of STUDY and write STUDY/report.html; starts no server.",
)
@click.option("--verbose", is_flag=True, help="Log every request.")
def rate(
    sources: tuple[str, ...],
    real: str | None,
    real_overrides: tuple[str, ...],
    study: str | None,
    n_images: int,
    seed: int,
    db: str | None,
    size: int | None,
    host: str,
    port: int,
    workers: int,
    proxy_headers: bool,
    root_path: str,
    public_url: str | None,
    exposure_ms: int | None,
    feedback: bool | None,
    report_study: str | None,
    verbose: bool,
) -> None:
    """Judge images in a browser: pairwise preference, 1-5 rating, rapid real/fake."""
    if report_study:
        if sources:
            raise click.UsageError("--report STUDY takes no runs or folders")
        text, path = api.rate_report(report_study)
        click.echo(text, nl=False)
        click.echo(f"\nreport: {path}")
        return

    def announce(line: str) -> None:
        click.echo(line)
        sys.stdout.flush()

    api.rate(
        sources,
        study=study,
        real=real,
        real_overrides=real_overrides,
        n_images=n_images,
        seed=seed,
        db=db,
        size=size,
        host=host,
        port=port,
        exposure_ms=exposure_ms,
        feedback=feedback,
        announce=announce,
        verbose=verbose,
        workers=workers,
        proxy_headers=proxy_headers,
        root_path=root_path,
        public_url=public_url,
    )


@cli.command()
def extractors() -> None:
    """List the feature extractors and whether their weights are present."""
    _print_rows(api.extractor_listing())


@cli.group()
def weights() -> None:
    """Explicit, checksummed downloads of pretrained weights."""


@weights.command("fetch")
@click.argument("name", type=click.Choice(sorted(api.WEIGHTS)))
@click.option(
    "--path",
    type=click.Path(dir_okay=False),
    help="Save here instead of the user cache (then point GANFORGE_INCEPTION_WEIGHTS at it).",
)
def weights_fetch(name: str, path: str | None) -> None:
    """Download NAME's published weights and verify their SHA-256."""
    file = api.fetch_weights(name, path)
    click.echo(f"{file} (SHA-256 verified)")
    if path:
        click.echo(f"use it with: export GANFORGE_INCEPTION_WEIGHTS={file}")


@cli.command()
@click.argument("source", metavar="RUN|CKPT")
@click.option(
    "--input",
    "input_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder of source images (searched recursively).",
)
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output folder."
)
@click.option(
    "--direction",
    type=click.Choice(["AtoB", "BtoA"]),
    default="AtoB",
    show_default=True,
    help="BtoA uses CycleGAN's second generator.",
)
@click.option("--seed", default=0, show_default=True, type=SEED, help="Seed for test-time dropout.")
@click.option("--no-ema", is_flag=True, help="Use the raw generator weights, not the EMA.")
def translate(
    source: str, input_dir: str, out_dir: str, direction: str, seed: int, no_ema: bool
) -> None:
    """Translate a folder of images with a Pix2Pix or CycleGAN run or checkpoint."""
    result = api.translate(source, input_dir, out_dir, direction, seed, use_ema=not no_ema)
    click.echo(f"wrote {len(result.written)} image(s) to {out_dir}")
    for path, reason in result.skipped:
        click.echo(f"skipped {path}: {reason}", err=True)


@cli.command("translate-eval")
@click.argument("source", metavar="RUN|CKPT")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Where to write JSON.")
@click.option("--no-ema", is_flag=True, help="Use the raw generator weights, not the EMA.")
def translate_eval(source: str, json_out: str | None, no_ema: bool) -> None:
    """Held-out scores of a Pix2Pix or CycleGAN run next to the identity baseline."""
    scores = api.evaluate_translation(source, use_ema=not no_ema, out=json_out)
    _print_table(api.translation_table(scores), ("measure", "model", "identity", "real"))


@cli.command()
@click.argument("preset")
@click.option(
    "--space",
    "space",
    required=True,
    type=click.Path(dir_okay=False),
    help="YAML: config key -> {low, high[, log]} or {choices: [...]}.",
)
@click.option(
    "--trials",
    default=20,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Trainings in the search.",
)
@click.option(
    "--steps",
    default=500,
    show_default=True,
    type=click.IntRange(1, 10**8),
    help="Training steps per trial.",
)
@click.option("--metric", required=True, help="Score to optimise, e.g. modes, fid, recall.")
@click.option(
    "--out", type=click.Path(file_okay=False), help="Search folder (default runs/tune-PRESET)."
)
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Fixed overrides.")
@click.option("--seed", default=0, show_default=True, type=SEED, help="Seed of the search.")
@click.option(
    "--acquisition",
    type=click.Choice(api.TUNE_ACQUISITIONS),
    default="ei",
    show_default=True,
)
@click.option(
    "--storage",
    metavar="URL",
    help="Share the search with other workers: sqlite:///PATH, postgresql://... or journal:PATH.",
)
@click.option(
    "--sampler",
    type=click.Choice(api.TUNE_SAMPLERS),
    default="gp",
    show_default=True,
    help="gp: ganforge's Bayesian optimiser; tpe, random: Optuna's (needs the tune extra).",
)
@click.option(
    "--pruner",
    type=click.Choice(api.TUNE_PRUNERS),
    default="none",
    show_default=True,
    help="Stop unpromising trials early on the scores they report during training "
    "(Optuna's median or successive-halving pruner; needs the tune extra).",
)
@click.option(
    "--report-every",
    type=click.IntRange(1, 10**8),
    metavar="N",
    help="With --pruner: steps between a trial's reported scores [default: --steps / 5].",
)
def tune(
    preset: str,
    space: str,
    trials: int,
    steps: int,
    metric: str,
    out: str | None,
    overrides: tuple[str, ...],
    seed: int,
    acquisition: str,
    storage: str | None,
    sampler: str,
    pruner: str,
    report_every: int | None,
) -> None:
    """Tune PRESET's hyperparameters by Bayesian optimisation; rerun the command to resume."""

    def show(trial: dict) -> None:
        score = f"{trial['score']:.4g}" if trial.get("score") is not None else trial.get("error")
        click.echo(f"trial {trial['trial']}: {trial['status']} {score} ({trial['seconds']} s)")

    def wait(running: list[int]) -> None:
        numbers = ", ".join(map(str, running))
        click.echo(f"waiting for trial(s) {numbers} running in other workers")

    result = api.tune(
        preset,
        space,
        trials,
        steps,
        metric,
        out=out,
        overrides=overrides,
        seed=seed,
        acquisition=acquisition,
        storage=storage,
        on_trial=show,
        on_wait=wait,
        sampler=sampler,
        pruner=pruner,
        report_every=report_every,
    )
    click.echo(result.files["results"].read_text())
    if result.best is not None:
        click.echo(
            f"best: trial {result.best['trial']} {result.objective.key}={result.best['score']:.4g}"
        )
    for label, path in result.files.items():
        click.echo(f"  {label + ':':<13}{path}")
    if result.storage is not None:
        click.echo(f"  {'storage:':<13}{result.storage}")
    if "best" in result.files:
        click.echo(f"train it with: ganforge train {result.files['best']}")
    if result.status == "interrupted":
        click.echo("interrupted; rerun the same command to resume")
        sys.exit(EXIT_INTERRUPTED["SIGINT"])


def _console_warnings() -> logging.Handler:
    """Show the package's warnings (skipped files, checkpoint fallbacks) on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("warning: %(message)s"))
    logging.getLogger("ganforge").addHandler(handler)
    return handler


def _one_line(text: str) -> str:
    """A message as one line (multi-line library messages are joined)."""
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def _os_error(exc: OSError) -> str:
    """An OSError in words: which path, and what is wrong with it."""
    name = exc.filename
    if exc.errno == errno.ENOSPC:
        return "no space left on device" + (f" (writing {name})" if name else "")
    if name is None:
        return _one_line(exc.strerror or str(exc))
    if exc.errno == errno.EEXIST:
        return f"{name} is in the way: a file where a folder is needed"
    if exc.errno == errno.ENOTDIR:
        return f"{name}: part of this path is a file, not a folder"
    return f"{name}: {exc.strerror or exc}"


def _usage_error(exc: click.ClickException) -> str:
    """Click's usage errors as one line that says where to look for help."""
    message = _one_line(exc.format_message())
    ctx = getattr(exc, "ctx", None)
    where = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
    return f"error: {message}{where}"


@contextlib.contextmanager
def config_warnings_as_lines() -> Iterator[None]:
    """Show a config warning (an old name, an overruled setting) as one ``warning:`` line."""
    previous = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None) -> None:  # type: ignore[no-untyped-def]
        if issubclass(category, api.ConfigWarning):
            click.echo(f"warning: {message}", err=True)
        else:
            previous(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = previous


def main(argv: list[str] | None = None) -> None:
    """Console entry point: user errors print one line and exit 2, never a traceback."""
    handler = _console_warnings()
    try:
        with config_warnings_as_lines():
            cli.main(args=argv, prog_name="ganforge", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(EXIT_INTERRUPTED["SIGINT"])
    except click.ClickException as exc:
        click.echo(_usage_error(exc), err=True)
        sys.exit(exc.exit_code)
    except GanforgeError as exc:
        click.echo(f"error: {_one_line(str(exc))}", err=True)
        sys.exit(EXIT_USER_ERROR)
    except OSError as exc:  # a path that cannot be read or written, a full disk, ...
        click.echo(f"error: {_os_error(exc)}", err=True)
        sys.exit(EXIT_USER_ERROR)
    except MemoryError:
        click.echo(OUT_OF_MEMORY, err=True)
        sys.exit(EXIT_USER_ERROR)
    except RuntimeError as exc:  # torch's allocators report running out of memory this way
        if not any(s in str(exc) for s in ("can't allocate memory", "out of memory")):
            raise
        click.echo(OUT_OF_MEMORY, err=True)
        sys.exit(EXIT_USER_ERROR)
    finally:
        logging.getLogger("ganforge").removeHandler(handler)


if __name__ == "__main__":  # pragma: no cover
    main()
