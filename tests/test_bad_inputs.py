"""No input reaches a traceback: a bad value for any config key or CLI option is one line, exit 2.

The keys and options are derived from the config schema, the registries and the click commands
(tests/bad_values.py), so a key or option added later is covered without editing this file.
"""

from __future__ import annotations

import itertools
import json
import os
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganforge import config
from ganforge.cli import FiniteFloat, cli
from ganforge.errors import ConfigError
from ganforge.registry import METRICS

from .bad_values import (
    Key,
    Places,
    all_commands,
    bad_option_strategy,
    bad_option_values,
    bad_value_strategy,
    bad_values,
    command_of,
    config_keys,
    fitting,
    is_numeric,
    metric_keys,
    takes_numbers,
    takes_text,
)
from .conftest import run_cli

KEYS = config_keys()
DATA_KEYS = [k for k in KEYS if k.section == "data"]
METRIC_KEYS = metric_keys()
# commands run whole with bad values (cheap valid bases below); every other command's numbers are
# checked at parse time (test_every_numeric_option_refuses_bad_numbers_before_running)
COMMANDS = [
    "train",
    "evaluate",
    "stats",
    "sample",
    "tune",
    "naive-bayes",
    "compare",
    "battle",
    "tournament",
    "nrds",
]
# only train.* and eval.*: a case that selects another dataset, model or loss keeps nothing else
QUICK = [
    "train.progress=false",
    "train.steps=2",
    "train.batch_size=8",
    "train.sample_every=0",
    "train.checkpoint_every=0",
    "eval.metrics=[]",
]
FRESH = itertools.count()
FEW = settings(
    max_examples=int(os.environ.get("GANFORGE_BAD_INPUT_EXAMPLES", "12")),  # more for a soak
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _assert_one_line_exit_2(
    code: int, out: str, err: str, argv: list[str], cause: list[str] | None = None
) -> None:
    """Exit 2, no traceback, one ``error:`` line (warnings aside) naming one of ``cause``."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err, (argv, err)
    assert code == 2, (argv, code, out[-500:], err)
    errors = [line for line in lines if not line.startswith("warning: ")]
    assert len(errors) == 1 and errors[0].startswith("error: "), (argv, err)
    if cause is not None:
        assert any(c and c in errors[0] for c in cause), (argv, cause, errors[0])


def test_every_numeric_key_has_a_declared_range() -> None:
    missing = sorted(
        f"{k.dotted} ({k.owner or 'fixed'})"
        for k in KEYS
        if k.section and is_numeric(k) and not takes_text(k) and k.bound is None
    )
    assert not missing, "declare a range in limits.PARAMETER_BOUNDS or config.BOUNDS"


def test_every_numeric_metric_parameter_has_a_declared_range() -> None:
    missing = sorted(
        f"metric {k.owner}.{k.name}" for k in METRIC_KEYS if is_numeric(k) and k.bound is None
    )
    assert not missing, "declare a range ('metric NAME.KEY') in limits.PARAMETER_BOUNDS"


def test_metric_parameters_refuse_every_bad_value_naming_the_key() -> None:
    """``--metrics NAME:KEY=VALUE`` and ``eval.metrics``: each derived bad value of each metric
    parameter is a ConfigError naming the parameter, before any sample is drawn."""
    failures = []
    for key in METRIC_KEYS:
        entry = METRICS.entry(key.owner)  # type: ignore[arg-type]
        for value in bad_values(key):
            try:
                config.bind(entry.obj, {key.name: value}, f"metric {key.owner}")
            except ConfigError as exc:
                if f"{key.owner}.{key.name}" not in str(exc):
                    failures.append(f"{key.owner}.{key.name}={value!r}: {exc}")
            else:
                failures.append(f"{key.owner}.{key.name}={value!r} was accepted")
    assert not failures


def test_every_numeric_option_of_every_command_has_a_range() -> None:
    """A plain click int or float reaches the library unchecked, and click's float ranges let
    nan through: every number an option takes is a range, every float a FiniteFloat."""
    unchecked = []
    for words in all_commands(cli):
        for param in command_of(cli, words).params:
            t = param.type
            plain = not isinstance(t, (click.IntRange, click.FloatRange))
            if takes_numbers(param) and t.name != "SIZE" and plain:
                unchecked.append(f"{' '.join(words)} {param.name}")
            elif isinstance(t, click.FloatRange) and not isinstance(t, FiniteFloat):
                unchecked.append(f"{' '.join(words)} {param.name} (nan gets through)")
    assert not unchecked


def _parsable_argv(words: tuple[str, ...], param: click.Parameter, value: str) -> list[str]:
    """``words`` with ``param`` set to ``value`` and placeholders that parse for every other
    required argument and option."""
    argv = list(words)
    for other in command_of(cli, words).params:
        if other is param or not other.required:
            continue
        t = other.type
        placeholder = t.choices[0] if isinstance(t, click.Choice) else "x"
        argv += [placeholder] if isinstance(other, click.Argument) else [other.opts[0], placeholder]
    return [*argv, param.opts[0], value]


@pytest.mark.parametrize("words", all_commands(cli), ids=" ".join)
def test_every_numeric_option_refuses_bad_numbers_before_running(
    words: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Each derived bad value of each numeric option of every command (rate, style-mix, select,
    prepare faces, ... included) is refused by the parser: the command itself never runs."""
    command = command_of(cli, words)

    def reached(**kwargs: object) -> None:
        raise AssertionError(f"{' '.join(words)} ran with {kwargs}")

    monkeypatch.setattr(command, "callback", reached)
    places = Places(tmp_path / "a-file.txt", tmp_path)
    places.file.write_text("x\n")
    for param in command.params:
        if not (isinstance(param, click.Option) and takes_numbers(param)):
            continue
        for value in bad_option_values(param, places):
            argv = _parsable_argv(words, param, value)
            _assert_one_line_exit_2(*run_cli(capsys, *argv), argv, [*param.opts, value])


def test_config_validation_refuses_every_bad_value_naming_the_key() -> None:
    """Every key, every derived bad value: a ConfigError that names the key, without building
    anything (this is what runs before any data is loaded)."""
    failures = []
    for key in KEYS:
        for value in bad_values(key):
            try:
                config.resolve(None, key.overrides(value))
            except ConfigError as exc:
                if key.name not in str(exc):
                    failures.append(f"{key.overrides(value)}: {exc}")
            else:
                failures.append(f"{key.overrides(value)} was accepted")
    assert not failures


@dataclass(frozen=True)
class World:
    """Valid inputs for each command, so that exactly one thing in each case is bad."""

    root: Path
    places: Places
    run: Path
    csv: Path
    toy: Path
    space: Path
    yaml: dict[str, Path]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, tiny_run: Path) -> World:
    root = tmp_path_factory.mktemp("bad-inputs")
    a_file, a_folder = root / "a-file.txt", root / "a-folder"
    a_file.write_text("x\n")
    a_folder.mkdir()
    rng = np.random.default_rng(0)
    rows = ["x1,x2,label"] + [
        f"{rng.normal(i % 2):.3f},{rng.normal():.3f},{'ab'[i % 2]}" for i in range(40)
    ]
    csv = root / "table.csv"
    csv.write_text("\n".join(rows) + "\n")
    toy = root / "toy.yaml"
    toy.write_text(
        "base: wgan-gp-ring\ntrain: {steps: 2, batch_size: 16, progress: false}\n"
        "model: {g_width: 8, d_width: 8}\neval: {metrics: [], n_samples: 32}\n"
    )
    space = root / "space.yaml"
    space.write_text("optim.lr_g: {low: 1.0e-4, high: 1.0e-3, log: true}\n")
    texts = {
        "empty": "",
        "comments only": "# nothing here\n",
        "malformed": "model: {name: dcgan\n  z_dim: [1, 2\n",
        "a list": "- 1\n- 2\n",
        "a scalar": "42\n",
        "unknown section": "modle: {z_dim: 3}\n",
    }
    yaml = {}
    for label, text in texts.items():
        yaml[label] = root / f"{label.replace(' ', '-')}.yaml"
        yaml[label].write_text(text)
    return World(root, Places(a_file, a_folder), tiny_run, csv, toy, space, yaml)


def _sets(overrides: list[str]) -> list[str]:
    return [a for o in overrides for a in ("--set", o)]


def _base_argv(command: str, w: World) -> list[str]:
    """A valid, cheap invocation of ``command``."""
    return {
        "train": ["train", "--runs-dir", str(w.root / "runs"), *_sets(QUICK)],
        "evaluate": ["evaluate", str(w.run), "--metrics", "fid", "--extractor", "pixels"],
        "stats": ["stats", "digits", "--extractor", "pixels", "--limit", "50"],
        "sample": ["sample", str(w.run), "--n", "4", "--out", str(w.root / "s.png")],
        "tune": [
            "tune",
            str(w.toy),
            "--space",
            str(w.space),
            "--metric",
            "modes",
            "--trials",
            "1",
            "--steps",
            "2",
            "--out",
            str(w.root / f"tune-{next(FRESH)}"),  # each case its own search folder
        ],
        "naive-bayes": ["naive-bayes", str(w.csv), "--target", "label", "--cv", "2"],
        "compare": [
            "compare",
            "digits:split=train",
            "digits:split=test",
            *["--size", "8", "--extractor", "pixels", "--metrics", "fid", "--limit", "40"],
        ],
        "battle": ["battle", str(w.run), str(w.run), "--n", "16"],
        "tournament": ["tournament", str(w.run), str(w.run), "--n", "16"],
        "nrds": [
            "nrds",
            *[str(w.run), str(w.run), "--n", "16", "--epochs", "2", "--extractor", "pixels"],
        ],
    }[command]


def _with_option(base: list[str], param, value: str) -> list[str]:
    """``base`` with ``param`` set to ``value``: an argument replaces the positional one in its
    place, or is inserted there when the base leaves it out (train's PRESET)."""
    if param.param_type_name == "argument":
        arguments = [p for p in cli.commands[base[0]].params if p.param_type_name == "argument"]
        at = 1 + arguments.index(param)
        given = at < len(base) and not base[at].startswith("-")
        return [*base[:at], value, *base[at + int(given) :]]
    return [*base, param.opts[0], value]


@st.composite
def option_case(draw: st.DrawFn, command: str, w: World) -> tuple[list[str], list[str]]:
    """One option or argument of ``command`` set to a bad value, the rest valid; and what the
    error should name (the option, or the value, or the file in the value's way)."""
    params = [
        p
        for p in cli.commands[command].params
        if not getattr(p, "is_flag", False) and p.name != "overrides"
    ]
    param = draw(st.sampled_from(params))
    value = draw(bad_option_strategy(param, w.places))
    cause = [*param.opts, (param.name or "").upper(), value, str(w.places.file)]
    return _with_option(_base_argv(command, w), param, value), cause


@st.composite
def set_case(draw: st.DrawFn, base: list[str]) -> tuple[list[str], list[str]]:
    """A bad ``--set`` for any config key; the error names the key or the value."""
    key: Key = draw(st.sampled_from(KEYS))
    value = draw(bad_value_strategy(key, at_runtime=True))
    return [*base, *_sets([*fitting(key), *key.overrides(value)])], [key.name, "zz-nope"]


@st.composite
def dataset_spec_case(draw: st.DrawFn, w: World) -> list[str]:
    """``stats DATASET:key=value`` or ``evaluate --real DATASET:key=value`` with a bad value for
    any dataset parameter."""
    key = draw(st.sampled_from(DATA_KEYS))
    value = draw(bad_value_strategy(key, at_runtime=True))
    text = json.dumps(value) if not isinstance(value, str) else value
    spec = f"{key.owner}:{key.name}={text}"
    if draw(st.booleans()):
        base = _base_argv("stats", w)
        return [base[0], spec, *base[2:]]
    return [*_base_argv("evaluate", w), "--real", spec]


@st.composite
def space_case(draw: st.DrawFn, w: World) -> list[str]:
    """``tune --space`` with a malformed file or a range of bad values for any config key."""
    base = _base_argv("tune", w)
    kind = draw(st.sampled_from(["file", "key"]))
    if kind == "file":
        text = draw(
            st.sampled_from(
                [
                    "optim.lr_g: {low: 1.0e-3, high: 1.0e-4}\n",
                    "optim.lr_g: {low: -1, high: 1, log: true}\n",
                    "optim.lr_g: zz\n",
                    "optim.lr_g: {choices: []}\n",
                    "zz.key: {low: 1, high: 2}\n",
                    "optim.lr_g: {low: 1.0e-4 high: 1\n",
                    "",
                    "- optim.lr_g\n",
                ]
            )
        )
    else:
        key = draw(st.sampled_from([k for k in KEYS if not k.owner]))
        value = draw(bad_value_strategy(key))
        text = json.dumps({key.dotted: {"choices": [value]}})
    space = w.root / f"space-{abs(hash(text))}.yaml"
    space.write_text(text)
    return [*base[:3], str(space), *base[4:]]


@st.composite
def preset_case(draw: st.DrawFn, w: World) -> list[str]:
    """``train PRESET`` with an unknown name or a YAML file that is not a usable config."""
    preset = draw(
        st.sampled_from(["zz-nope", str(w.root / "missing.yaml"), *map(str, w.yaml.values())])
    )
    base = _base_argv("train", w)
    return [base[0], preset, *base[1:]]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_refuses_bad_options_in_one_line(command: str, world: World, capsys) -> None:
    @FEW
    @given(case=option_case(command, world))
    def check(case: tuple[list[str], list[str]]) -> None:
        argv, cause = case
        _assert_one_line_exit_2(*run_cli(capsys, *argv), argv, cause)

    check()


@pytest.mark.parametrize("command", ["train", "tune"])
def test_a_bad_value_for_any_config_key_is_one_line(command: str, world: World, capsys) -> None:
    @FEW
    @given(case=set_case(_base_argv(command, world)))
    def check(case: tuple[list[str], list[str]]) -> None:
        argv, cause = case
        _assert_one_line_exit_2(*run_cli(capsys, *argv), argv, cause)

    check()


@FEW
@given(case=st.data())
def test_bad_dataset_specs_spaces_and_presets_are_one_line(world: World, capsys, case) -> None:
    strategy = case.draw(
        st.sampled_from([dataset_spec_case(world), space_case(world), preset_case(world)])
    )
    argv = case.draw(strategy)
    _assert_one_line_exit_2(*run_cli(capsys, *argv), argv)


def test_the_valid_bases_run(world: World, capsys) -> None:
    """The cases above fail for their one bad value, not because the base invocation is bad."""
    for command in COMMANDS:
        code, _, err = run_cli(capsys, *_base_argv(command, world))
        assert code == 0, (command, err)


@pytest.fixture
def no_data_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly if anything tries to build a dataset."""

    def refuse(*args, **kwargs):
        raise AssertionError("a dataset was built before the config was validated")

    for module in ("ganforge.data", "ganforge.train.orchestration"):
        monkeypatch.setattr(f"{module}.build_dataset", refuse)


ISSUE_CASES = [
    (["--set", "data.size=0"], "data.size=0 is out of range: it must be >= 1 and <= 4096"),
    (["--set", "data.size=[32,-4]"], "data.size=[32, -4] is out of range: each value must be"),
    (["--set", "data.size=100000"], "data.size=100000 is out of range"),
    (["--set", "data.size=512"], "dcgan supports image sides from 8 to 256, got 512x512"),
    (["--set", "optim.lr_d=1e300"], "optim.lr_d=1e+300 is out of range"),
    (["--set", "optim.lr_g=inf"], "optim.lr_g=inf is not valid: it must be a finite number"),
    (["--set", "optim.lr_g=nan"], "optim.lr_g=nan is not valid: it must be a finite number"),
    (["--set", "model.z_dim=0"], "model.z_dim=0 is out of range: it must be >= 1"),
]


@pytest.mark.parametrize(("args", "message"), ISSUE_CASES, ids=[c[0][1] for c in ISSUE_CASES])
def test_the_values_from_the_issue_are_refused_before_any_data_is_loaded(
    args: list[str], message: str, capsys, no_data_loading: None
) -> None:
    code, out, err = run_cli(capsys, "train", *args)
    _assert_one_line_exit_2(code, out, err, args, [message])


NEW_KEY_CASES = [  # issue 10's keys: loss.penalty and its penalties' keys, the schedule section
    (["loss.penalty=zz"], "unknown penalty 'zz'. Valid: dragan, drift, gp, orthogonal, r1, r2"),
    (["loss.penalty=[gp,gp]"], "loss.penalty lists a penalty twice"),
    (["loss.penalty=gp", "loss.gp_weight=-1"], "loss.gp_weight=-1.0 is out of range"),
    (["loss.penalty=dragan", "loss.dragan_perturb=0"], "loss.dragan_perturb=0.0 is out of range"),
    (["loss.gp_weight=1"], "loss.gp_weight belongs to penalty 'gp', which loss.penalty does not"),
    (["loss.name=began", "loss.penalty=r1"], "unknown key 'penalty'"),
    (["model.name=progan", "schedule.fade_share=1.5"], "schedule.fade_share=1.5 is out of range"),
    (["model.name=progan", "schedule.batch_sizes=[8,0]"], "schedule.batch_sizes=[8, 0] is out of"),
    (["model.name=progan", "schedule.resolution_epochs=[1,nan]"], "must be a finite number"),
    (["model.name=progan", "schedule.phase_images=zz"], "phase_images: 'zz' is not valid"),
    (["model.name=progan", "schedule.zz=1"], "unknown key 'zz'"),
    (["model.name=progan", "model.widths=[8,8]"], "model.widths needs 4 positive values"),
    (["schedule.phase_images=100"], "which has no schedule settings"),
    (["schedule=5"], "schedule: expected a mapping of keys, got 5"),
]


@pytest.mark.parametrize(
    ("sets", "message"), NEW_KEY_CASES, ids=[" ".join(c[0]) for c in NEW_KEY_CASES]
)
def test_bad_penalty_and_schedule_settings_are_one_line_before_any_data_is_loaded(
    sets: list[str], message: str, capsys, no_data_loading: None
) -> None:
    args = ["train", *_sets(sets)]
    _assert_one_line_exit_2(*run_cli(capsys, *args), args, [message])


CYCLEGAN = ["model.name=cyclegan", "loss.name=cyclegan", "data.name=digit-strokes"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["data.size=[32,31]"], "dcgan needs even image sides"),
        (["model.name=progan", "data.size=48"], "power of two from 8 to 1024"),
        (
            ["model.name=pix2pix", "loss.name=pix2pix", "data.name=digit-edges", "data.size=48"],
            "a 5-level U-Net needs image sides divisible by 32",
        ),
        ([*CYCLEGAN, "data.size=30"], "cyclegan needs image sides divisible by 4"),
        ([*CYCLEGAN, "data.size=8"], "too small for a PatchGAN"),
        ([*CYCLEGAN, "data.size=16", "model.patch_layers=3"], "too small for a PatchGAN"),
        (["model.name=stylegan", "model.widths=[8,8,8]"], "needs 4 positive values"),
    ],
)
def test_each_model_family_says_its_size_limits_before_the_data_is_resized(
    overrides: list[str], message: str, no_data_loading: None
) -> None:
    with pytest.raises(ConfigError, match=message):
        config.resolve(None, overrides)


def test_an_empty_config_file_and_a_malformed_space_are_one_line(
    world: World, capsys, no_data_loading: None
) -> None:
    for label in ("empty", "comments only"):
        code, out, err = run_cli(capsys, "train", str(world.yaml[label]))
        _assert_one_line_exit_2(code, out, err, [label], ["is empty; a config needs"])
    code, out, err = run_cli(
        capsys, "tune", "dcgan-digits", "--space", str(world.yaml["malformed"]), "--metric", "fid"
    )
    _assert_one_line_exit_2(code, out, err, ["tune"], ["line 2, column 8: invalid YAML"])
