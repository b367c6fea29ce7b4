"""The command line: parses arguments and calls ganforge.api, nothing else."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ganforge import api
from ganforge.errors import GanforgeError

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = {"SIGINT": 130, "SIGTERM": 143}


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
@click.option("--name", help="Run directory name (default: preset plus a timestamp).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def train(
    preset: str | None,
    overrides: tuple[str, ...],
    resume: str | None,
    runs_dir: str,
    name: str | None,
    quiet: bool,
) -> None:
    """Train PRESET (default: dcgan-digits) or a YAML config file."""
    if resume and preset:
        raise click.UsageError("give either PRESET or --resume RUN, not both")
    result = api.train(
        preset, overrides, resume=resume, runs_root=runs_dir, name=name, progress=not quiet
    )
    run = result.run
    samples = sorted(run.samples.glob("*.png"))
    click.echo(
        f"\n{result.status} at step {result.step}/{result.total_steps} in {result.elapsed:.1f} s"
    )
    click.echo(f"run directory: {run.path}")
    rows = [
        ("samples", samples[-1] if samples else run.samples),
        ("checkpoints", run.checkpoints / "latest.pt"),
        ("metrics", run.metrics_path),
        ("loss plot", run.path / "losses.png"),
        ("report", run.report_path),
        ("log", run.log_path),
        ("config", run.config_path),
    ]
    for label, path in rows:
        if Path(path).exists():
            click.echo(f"  {label + ':':<13}{path}")
    for key, value in result.final_metrics.items():
        click.echo(f"  {key}: {value:.4g}")
    if result.status == "interrupted":
        click.echo(f"resume with: ganforge train --resume {run.path}")
        sys.exit(EXIT_INTERRUPTED.get(str(result.stop_reason), 1))


@cli.command()
@click.argument("source", metavar="RUN|CKPT")
@click.option("--n", "n", default=64, show_default=True, help="Number of samples.")
@click.option("--seed", default=0, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="Output PNG (default: in the run).")
@click.option("--interpolate", is_flag=True, help="Also write a latent interpolation strip.")
@click.option("--steps", default=10, show_default=True, help="Frames in the interpolation strip.")
@click.option("--no-ema", is_flag=True, help="Use the raw generator weights, not the EMA.")
@click.option(
    "--truncation", type=float, metavar="PSI", help="Truncation psi in W (StyleGAN), e.g. 0.7."
)
def sample(
    source: str,
    n: int,
    seed: int,
    out: str | None,
    interpolate: bool,
    steps: int,
    no_ema: bool,
    truncation: float | None,
) -> None:
    """Write a grid of samples from a run or checkpoint."""
    paths = api.sample(
        source, n, seed, out, interpolate, steps, use_ema=not no_ema, truncation=truncation
    )
    for path in paths:
        click.echo(path)


@cli.command("style-mix")
@click.argument("source", metavar="RUN|CKPT")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Folder for the figures.")
@click.option("--columns", default=5, show_default=True, help="Column sources in the mixing grid.")
@click.option("--rows", default=2, show_default=True, help="Rows per band (coarse/middle/fine).")
@click.option("--seed", default=0, show_default=True)
@click.option("--truncation", type=float, metavar="PSI", help="Truncate the mixing grid's styles.")
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
@click.option("--size", default=128, show_default=True, help="Side of the square crops.")
@click.option("--out", default="faces.npz", show_default=True, type=click.Path(dir_okay=False))
@click.option("--margin", default=0.25, show_default=True, help="Box growth per side (fraction).")
@click.option(
    "--detector",
    type=click.Choice(["auto", "haar", "mtcnn"]),
    default="auto",
    show_default=True,
    help="auto: MTCNN when installed, else OpenCV's bundled Haar cascade.",
)
def prepare_faces(folder: str, size: int, out: str, margin: float, detector: str) -> None:
    """Crop the main face of every photo under FOLDER into a size x size .npz dataset."""
    report = api.prepare_faces(folder, size, out, margin, detector)
    click.echo(
        f"kept {report.kept} of {report.seen} images ({report.detector} detector); "
        f"skipped {len(report.no_face)} without a face, {len(report.unreadable)} unreadable"
    )
    for name in report.no_face:
        click.echo(f"  no face: {name}")
    for name in report.unreadable:
        click.echo(f"  unreadable: {name}")
    click.echo(f"wrote {report.out}; train on it with e.g.")
    click.echo(f"  ganforge train progan-faces128 --set data.path={report.out}")


def _print_listing(kind: str) -> None:
    rows = api.listing(kind)
    width = max(len(name) for name, _ in rows)
    for name, summary in rows:
        click.echo(f"{name:<{width}}  {summary}")


@cli.command()
def presets() -> None:
    """List the built-in presets."""
    _print_listing("presets")


@cli.command()
def datasets() -> None:
    """List the datasets."""
    _print_listing("datasets")


@cli.command()
def models() -> None:
    """List the model families."""
    _print_listing("models")


@cli.command()
def losses() -> None:
    """List the adversarial losses."""
    _print_listing("losses")


def main(argv: list[str] | None = None) -> None:
    """Console entry point: user errors print one line and exit 2, never a traceback."""
    try:
        cli.main(args=argv, prog_name="ganforge", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(EXIT_INTERRUPTED["SIGINT"])
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except GanforgeError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USER_ERROR)


if __name__ == "__main__":  # pragma: no cover
    main()
