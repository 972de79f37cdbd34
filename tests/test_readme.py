"""The README's Python example runs as written and says what it claims."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs(tmp_path, monkeypatch):
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    result = namespace["result"]
    assert [(c.order, c.classification) for c in result.cycles] == [
        (1, "unstable focus"), (6, "stable node"), (6, "saddle node")
    ]
    assert (tmp_path / "cycles.json").stat().st_size > 0
    assert (tmp_path / "cycles.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_readme_commands_match_ci():
    """.ci/run runs exactly the README's test command."""
    text = README.read_text()
    ci = (README.parent / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci in text


def test_readme_ghost_example_runs(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    ghost = next(b for b in blocks if "exact_slow_points" in b)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(blocks[0] + ghost, "README.md", "exec"), namespace)
    sp, toy = namespace["sp"], namespace["toy"]
    assert list(sp.kind) == ["fixed"] + ["slow"] * (len(sp) - 1)
    assert f"{toy.critical_lr:.3g}" == "9.13e-10"
