"""The machine a benchmark ran on, for the results tables."""

from __future__ import annotations

import platform
import subprocess


def cpu_model() -> str:
    """The CPU model name from ``lscpu`` (else ``platform.processor()``)."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"
