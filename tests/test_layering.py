"""The import direction of docs/architecture.md: nothing imports a module above it."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

PACKAGE = Path(str(importlib.util.find_spec("ganforge").origin)).parent  # type: ignore[union-attr]
# docs/architecture.md: cli -> api -> tune -> train, metrics -> rate, style_figures, translation
# -> runs, report
# -> data, config, models, losses, presets -> registry, nn, errors, device, checkpoints, limits
# (a lower number is higher up; bayes depends on nothing else in the package)
LEVELS = {
    "__main__": 0,  # python -m ganforge (torchrun -m ganforge): the CLI
    "cli": 0,
    "api": 1,
    "tune": 2,
    "train": 3,
    "metrics": 3,
    "rate": 4,
    "style_figures": 4,
    "translation": 4,
    "generate": 4,
    "runs": 5,
    "report": 5,
    "data": 6,
    "config": 6,
    "legacy": 6,
    "models": 6,
    "losses": 6,
    "presets": 6,
    "registry": 7,
    "nn": 7,
    "errors": 7,
    "device": 7,
    "checkpoints": 7,
    "limits": 7,
    "augment": 7,  # pure tensor code; config validates train.augment with its parser
}
PEERS_APART = {("train", "metrics"), ("metrics", "train")}


def room(module: str) -> str | None:
    """The top-level part of ganforge a dotted module name belongs to."""
    parts = module.split(".")
    return parts[1] if parts[0] == "ganforge" and len(parts) > 1 else None


def imported(path: Path) -> set[str]:
    """The ganforge modules a file imports (``from ganforge import x`` counts as ganforge.x)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "ganforge":
                names |= {f"ganforge.{alias.name}" for alias in node.names}
            else:
                names.add(node.module)
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
    return {n for n in names if n.startswith("ganforge.")}


def test_no_module_imports_one_above_it() -> None:
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        mine = parts[0]
        if mine not in LEVELS and mine != "bayes":
            continue
        for name in imported(path):
            theirs = room(name)
            if theirs is None or theirs == mine:
                continue
            if mine == "bayes" or (theirs in LEVELS and LEVELS[theirs] < LEVELS[mine]):
                wrong.append(f"{'/'.join(parts)} imports {name}")
            elif (mine, theirs) in PEERS_APART:
                wrong.append(f"{'/'.join(parts)} imports its peer {name}")
    assert not wrong


def test_every_part_of_the_package_has_a_level() -> None:
    parts = {p.relative_to(PACKAGE).with_suffix("").parts[0] for p in PACKAGE.rglob("*.py")}
    assert parts - set(LEVELS) - {"bayes", "__init__"} == set()


# metrics/ rooms, top to bottom (docs/architecture.md, "Rooms"): the catalogue registers judges
# and measures for the runner's suite; the runner evaluates with judges and measures; judges
# use measures and features; measures use each other only.
METRICS_ROOMS = {"catalog": 0, "runner": 1, "judges": 2, "measures": 3, "features": 4}
APART = {"bayes": {"naive_bayes", "optimize"}}  # rooms of one package that import neither other


def test_metrics_rooms_import_downwards() -> None:
    wrong = []
    for path in (PACKAGE / "metrics").rglob("*.py"):
        parts = path.relative_to(PACKAGE / "metrics").with_suffix("").parts
        if len(parts) == 1:
            continue  # metrics/__init__: imports the catalogue (registration)
        mine = parts[0]
        for name in imported(path):
            theirs = name.split(".")[2:3]
            if name.split(".")[:2] != ["ganforge", "metrics"] or not theirs or theirs[0] == mine:
                continue
            if METRICS_ROOMS.get(theirs[0], -1) < METRICS_ROOMS[mine]:
                wrong.append(f"metrics/{'/'.join(parts)} imports {name}")
    assert not wrong


def test_every_metrics_module_sits_in_a_room() -> None:
    loose = {p.stem for p in (PACKAGE / "metrics").glob("*.py")} - {"__init__"}
    rooms = {p.name for p in (PACKAGE / "metrics").iterdir() if (p / "__init__.py").is_file()}
    assert loose == set()
    assert rooms == set(METRICS_ROOMS)


def test_rooms_kept_apart_do_not_import_each_other() -> None:
    wrong = []
    for package, rooms in APART.items():
        for room_name in rooms:
            for path in (PACKAGE / package / room_name).rglob("*.py"):
                for name in imported(path):
                    others = {f"ganforge.{package}.{r}" for r in rooms - {room_name}}
                    if any(name == o or name.startswith(o + ".") for o in others):
                        wrong.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not wrong


def test_test_folders_mirror_the_package() -> None:
    tests = Path(__file__).parent
    folders = {p.name for p in tests.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    rooms = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert folders - rooms == set()
