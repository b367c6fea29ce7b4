"""``ganforge.bayes`` stands alone: importing every module of it loads no other ganforge module."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import importlib, pkgutil, sys
import ganforge.bayes
for module in pkgutil.walk_packages(ganforge.bayes.__path__, "ganforge.bayes."):
    importlib.import_module(module.name)
others = [m for m in sys.modules if m.split(".")[0] == "ganforge"
          and m.split(".")[:2] != ["ganforge", "bayes"]]
print(sorted(others))
"""


def test_bayes_imports_nothing_else_from_ganforge() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "['ganforge']"
