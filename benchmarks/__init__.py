"""Side-by-side timings of asf-release and the plain tools (run each as python -m benchmarks.X)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def compile_sources() -> None:
    """Compile asf-release's bytecode, as pip does when it installs the tool: a machine that sets
    PYTHONDONTWRITEBYTECODE would otherwise time a compilation at every start."""
    source = Path(__file__).resolve().parents[1] / "src"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(source)], check=True)
