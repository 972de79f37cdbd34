"""The README's Python example runs as written and says what it claims."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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


def test_readme_main_job_is_the_demo(tmp_path, monkeypatch, capsys):
    """The main job installs the torch extra and runs `bifwatch demo` (here at a small size; the full
    demo runs in tests/test_demo.py, marked slow): it names its report and what it found."""
    pytest.importorskip("torch", reason="the demo trains with PyTorch")
    from cli_run import ok

    import bifwatch.studies.demo as demo

    line = next(x for x in README.read_text().splitlines() if "python -m bifwatch demo" in x)
    install, command = line.split(" && ")
    assert install == 'python -m pip install -c constraints.txt -e ".[torch]"'
    args = command.split("python -m bifwatch ", 1)[1].split()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(demo, "DEMO", demo.DemoSettings(epochs=8, checkpoint_every=4, max_order=3, steps=100))
    out = ok(capsys, *args, "--no-progress")
    name = args[args.index("--out") + 1]
    folder = tmp_path / name
    assert f"report: {name}/report.html" in out and "loss jumps:" in out
    assert (folder / "report.html").stat().st_size > 10_000 and (folder / "events.json").exists()


def test_readme_cycle_example_shows_a_stable_object(tmp_path, monkeypatch, capsys):
    """The first look's figure has something worth seeing: a stable cycle, labelled in a legend."""
    import matplotlib

    matplotlib.use("Agg")
    from cli_run import ok

    import bifwatch as bw

    line = next(x for x in README.read_text().splitlines() if "python -m bifwatch cycles" in x)
    args = line.split("python -m bifwatch ", 1)[1].split()
    monkeypatch.chdir(tmp_path)
    ok(capsys, *args)
    assert (tmp_path / "cycles.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    model, order = args[1], int(args[args.index("--max-order") + 1])
    result = bw.find_cycles(bw.load_model(model), max_order=order, seed=0)
    assert result.stable_cycles
    ax = result.plot(trajectories=20)
    labels = ax.get_legend_handles_labels()[1]
    assert any(label.startswith("stable") for label in labels)
    assert any("orbits from random starts" in label for label in labels)
    assert " 0 stable" not in ax.get_title()
