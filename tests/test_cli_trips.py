"""What a new user trips on (issue 9, items 2-5 and 8-10): each case as the user meets it.

Truth: the command-line convention (bad input: exit status 2 and exactly one line on stderr, no
traceback; a warning: one ``bifwatch: warning:`` line), the library call each command stands for,
and the numbers themselves (-0.0 == 0.0, so it is written 0.0).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import sys
import warnings

import numpy as np
import pytest
from cli_run import ok, run, usage_error

import bifwatch as bw

TENT = ("cycles", "example:tent")
QUICK_DIAGRAM = ("--max-order", "1", "--resolution", "10", "--seeds", "2", "--no-progress")


def _negative_zeros(value) -> list:
    """Every -0.0 in a parsed JSON value."""
    if isinstance(value, float):
        return [value] if value == 0 and math.copysign(1.0, value) < 0 else []
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [z for item in value for z in _negative_zeros(item)]
    return []


def _shows_negative_zero(text: str) -> bool:
    """True where ``text`` shows a zero with a minus sign: -0, -0., -0.0000 (not -0.69 or 1e-05)."""
    return re.search(r"(?<![\d.e])-0(?:\.0*)?(?![\d.])", text) is not None


# ----------------------------------------------------------------------------------------------
# 2. a tanh nn.RNN is refused; what a .pt file does not say is said on stderr


@pytest.fixture
def torch_():
    return pytest.importorskip("torch")


def _save(torch, path, blob) -> str:
    torch.save(blob, path)
    return str(path)


@pytest.mark.parametrize("layout", ["nonlinearity-entry", "whole-module", "module-in-a-dict"])
def test_a_tanh_rnn_is_refused(torch_, tmp_path, capsys, layout):
    rnn = torch_.nn.RNN(2, 3)  # nn.RNN's default nonlinearity is tanh
    blob = {
        "nonlinearity-entry": {"state_dict": rnn.state_dict(), "input": torch_.zeros(2),
                               "nonlinearity": rnn.nonlinearity},
        "whole-module": rnn,
        "module-in-a-dict": {"state_dict": rnn, "input": torch_.zeros(2)},
    }[layout]
    path = _save(torch_, tmp_path / "tanh.pt", blob)
    words = r"only a ReLU nn\.RNN can be analysed exactly.*got 'tanh'"
    usage_error(capsys, "cycles", path, "--max-order", "1", match=words)
    with pytest.raises(ValueError, match=words):
        bw.load_model(path)


def test_a_relu_module_saved_whole_still_gets_the_state_dict_advice(torch_, tmp_path, capsys):
    path = _save(torch_, tmp_path / "relu.pt", torch_.nn.RNN(2, 3, nonlinearity="relu"))
    usage_error(capsys, "cycles", path, "--max-order", "1", match=r"save rnn\.state_dict\(\), not the module")


def test_a_file_without_input_says_which_input_was_assumed(torch_, tmp_path, capsys):
    rnn = torch_.nn.RNN(2, 3, nonlinearity="relu")
    path = _save(torch_, tmp_path / "rnn.pt", {"state_dict": rnn.state_dict(), "nonlinearity": "relu"})
    status, out, err = run(capsys, "cycles", path, "--max-order", "1", "--no-progress")
    assert status == 0 and "relu-rnn, M = 3" in out
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert re.fullmatch(r"bifwatch: warning: '.*rnn\.pt': assumed the constant input x = 0 "
                        r"\(no \"input\" entry; input_size = 2\); .*", lines[0]), lines[0]
    with pytest.warns(UserWarning, match=r"assumed the constant input x = 0") as caught:
        bw.load_model(path)
    assert len(caught) == 1


def test_a_state_dict_without_nonlinearity_says_relu_was_assumed(torch_, tmp_path, capsys):
    rnn = torch_.nn.RNN(2, 3, nonlinearity="relu")
    path = _save(torch_, tmp_path / "rnn.pt", {"state_dict": rnn.state_dict()})
    status, _, err = run(capsys, "cycles", path, "--max-order", "1", "--no-progress")
    assert status == 0 and len(err.splitlines()) == 1, err
    assert "x = 0" in err and "nonlinearity 'relu'" in err and "default is 'tanh'" in err
    with pytest.warns(UserWarning, match="nonlinearity 'relu'"):
        bw.load_torch_rnn(path)


def test_a_complete_file_loads_without_a_word(torch_, tmp_path, capsys):
    rnn = torch_.nn.RNN(2, 3, nonlinearity="relu")
    blob = {"state_dict": rnn.state_dict(), "input": torch_.ones(2), "nonlinearity": rnn.nonlinearity}
    path = _save(torch_, tmp_path / "rnn.pt", blob)
    ok(capsys, "cycles", path, "--max-order", "1", "--no-progress")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bw.load_model(path)


# ----------------------------------------------------------------------------------------------
# 3. negative numbers in any notation are values


@pytest.mark.parametrize("lo", ["-1e-3", "-1E-3", "-.001", "-0.001", "-1.0e-03"])
def test_negative_scientific_range_in_a_diagram(capsys, lo):
    out = ok(capsys, "diagram", "example:tent", "--param", "h[0]", "--range", lo, "1e-3", *QUICK_DIAGRAM)
    assert "h[0] from -0.001 to 0.001" in out


def test_negative_scientific_ranges_in_a_map(capsys):
    out = ok(capsys, "map", "example:tent", "--param", "h[0]", "--range", "-1e-3", "1e-3",
             "--param", "W[0,0]", "--range", "-2.5E+0", "-.5", "--grid", "3", "3", "--max-order", "1",
             "--seeds", "1", "--workers", "1", "--no-progress")
    assert out


def test_every_subcommand_parser_takes_negative_numbers_as_values():
    from bifwatch.cli._parser import Parser

    parser = Parser(prog="test")
    parser.add_argument("--range", nargs=2, type=float)
    for text, value in [("-1e-3", -1e-3), ("-2.5E+4", -2.5e4), ("-.5", -0.5), ("-3", -3.0), ("-1.", -1.0)]:
        assert parser.parse_args(["--range", text, "1"]).range == [value, 1.0]


def test_an_infinite_range_is_read_and_refused_in_one_line(capsys):
    usage_error(capsys, "diagram", "example:tent", "--param", "h[0]", "--range", "-inf", "1", *QUICK_DIAGRAM,
                match="must be finite")


# ----------------------------------------------------------------------------------------------
# 4. any order is accepted or refused in one line


@pytest.mark.slow
def test_an_order_beyond_float_range_runs(capsys):
    # 2^1100 / 1100 region sequences: the cost of the exhaustive search overflowed a float
    out = ok(capsys, *TENT, "--orders", "1100", "--no-progress")
    assert re.search(r"^order 1100: +\d+ cycles, heuristic", out, re.MULTILINE)


@pytest.mark.parametrize("orders", ["100000", "2000000", "1-2000000"])
def test_an_order_out_of_reach_is_refused_in_one_line(capsys, orders):
    line = usage_error(capsys, *TENT, "--orders", orders, match=r"at most|out of reach")
    assert "=..." not in line and "SCYFI(" not in line


def test_an_order_out_of_reach_in_the_library():
    tent = bw.load_model("example:tent")
    with pytest.raises(ValueError, match=r"order 100000 is out of reach of the heuristic search.*the "
                                         r"largest order within an hour is about 59493 searched alone "
                                         r"\(orders searched together count together\), or stop sooner "
                                         r"with SCYFI\(patience"):
        bw.find_cycles(tent, orders=[100000])
    with pytest.raises(ValueError, match=r"`max_order` must be at most 1000000"):
        bw.find_cycles(tent, 10**12)
    # a smaller patience brings it back in reach: the check is about this search, not the order
    bw.SCYFI(patience=1, max_solves=16).check(1, 100000, 2)


def test_orders_out_of_reach_together_are_refused_in_one_line(capsys):
    # each of orders 1..5000 is within the hour alone; their lower bounds sum to about 12 h
    line = usage_error(capsys, *TENT, "--max-order", "5000",
                       match=r"^bifwatch: error: the 5000 orders 1 to 5000 would take about 12 h at the "
                             r"least together .*search fewer or lower orders \(those up to (\d+) fit "
                             r"within the hour together\), or stop sooner with --patience N$")
    fit = int(re.search(r"those up to (\d+) fit", line)[1])
    assert 1000 < fit < 5000
    usage_error(capsys, *TENT, "--orders", "59000,59001", match=r"the 2 orders 59000 to 59001 would take")


def test_the_summed_lower_bound_is_the_sum_of_true_lower_bounds(monkeypatch):
    """Truth: the advice of the total refusal, re-derived from ``SCYFI.least_seconds`` (a chain
    is at least one solve: an order of patience P solves at least min(P, max_solves) systems),
    and a real run, which solves at least that many."""
    from bifwatch.search import _find
    from bifwatch.search._cost import LEAST_SOLVES_PER_CHAIN, heuristic_least_seconds
    from bifwatch.search._scyfi import MAX_LEAST_SECONDS

    tent = bw.load_model("example:tent")
    config = bw.SCYFI()
    with pytest.raises(ValueError, match=r"those up to (\d+) fit") as err:
        bw.find_cycles(tent, 5000, finder=config)
    fit = int(re.search(r"those up to (\d+) fit", str(err.value))[1])
    least = [config.least_seconds(1, k, 2) for k in range(1, 5001)]
    assert sum(least[:fit]) <= MAX_LEAST_SECONDS < sum(least[: fit + 1])
    patience = config.budget(1, 30, 2)[0]
    assert LEAST_SOLVES_PER_CHAIN == 1
    assert config.least_seconds(1, 30, 2) == heuristic_least_seconds(patience, 30, 1)
    # a real run solves at least as many systems as the bound counts
    for k in (3, 12):
        small = bw.SCYFI(patience=7)
        stats = bw.find_cycles(tent, orders=[k], finder=small).stats[0]
        assert stats.solves >= small.budget(1, k, 2)[0] * LEAST_SOLVES_PER_CHAIN
    # what fits is not refused: the orders up to `fit` pass every check (the search itself is
    # replaced here: an hour of work is what the check allows, not what a test can run)
    class Started(Exception):
        pass

    def started(*args):
        raise Started

    monkeypatch.setattr(_find, "_search_order", started)
    with pytest.raises(Started):
        bw.find_cycles(tent, fit, finder=config)
    with pytest.raises(ValueError, match="at the least together"):
        bw.find_cycles(tent, fit + 1, finder=config)


# ----------------------------------------------------------------------------------------------
# 5. a file that is not of the format its suffix says


def test_a_text_file_named_npz(capsys, tmp_path):
    path = tmp_path / "model.npz"
    path.write_text("A = [0.5]\nW = [[1.0]]\n")
    line = usage_error(capsys, "cycles", str(path), "--max-order", "1", match=r"is not a NumPy \.npz archive")
    assert "pickle" not in line
    with pytest.raises(ValueError, match=r"is not a NumPy \.npz archive \(np\.savez writes a zip"):
        bw.load_model(path)


def test_a_text_file_named_pt(torch_, capsys, tmp_path):
    path = tmp_path / "model.pt"
    path.write_text("expected a model, got notes\n")
    line = usage_error(capsys, "cycles", str(path), "--max-order", "1", match="is not a PyTorch checkpoint")
    assert "KeyError" not in line


def test_a_directory_as_model(capsys, tmp_path):
    usage_error(capsys, "cycles", str(tmp_path), "--max-order", "1", match=r"is a directory")
    usage_error(capsys, "ghost", "points", str(tmp_path), match=r"is a directory")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        bw.load_model(tmp_path)


# ----------------------------------------------------------------------------------------------
# 8. output paths are checked before anything is computed

MISSING = "missing-folder/out"

COMMANDS = {
    "cycles": ("cycles", "example:tent", "--max-order", "1"),
    "diagram": ("diagram", "example:tent", "--param", "h[0]", "--range", "-1", "1", *QUICK_DIAGRAM),
    "map": ("map", "example:tent", "--param", "h[0]", "--range", "-1", "1", "--param", "W[0,0]",
            "--range", "-2", "-1", "--grid", "2", "2", "--max-order", "1", "--seeds", "1", "--workers", "1",
            "--no-progress"),
    "ghost-points": ("ghost", "points", "example:tent"),
    "ghost-toy": ("ghost", "toy", "--epochs", "5", "--inits", "2", "--rates", "2", "--critical-inits", "2",
                  "--curve-epochs", "5"),
    "ghost-rnn": ("ghost", "rnn", "--units", "8", "--epochs", "3", "--no-progress"),
}
OUTPUTS = [(c, flag) for c in COMMANDS for flag in ("--json", "--plot")] + [("map", "--dataset")]


@pytest.mark.parametrize(("command", "flag"), OUTPUTS, ids=[f"{c}{f}" for c, f in OUTPUTS])
def test_an_output_in_a_missing_folder_is_refused_first(capsys, tmp_path, monkeypatch, command, flag):
    monkeypatch.chdir(tmp_path)
    suffix = {"--json": ".json", "--plot": ".png", "--dataset": ".nc"}[flag]
    usage_error(capsys, *COMMANDS[command], flag, MISSING + suffix,  # usage_error: stdout empty
                match=rf"^bifwatch: error: {flag}: cannot write '{MISSING}{suffix}': No such file or "
                      r"directory \(folder 'missing-folder' does not exist; create it first\)$")
    assert not os.path.exists(".bifwatch-sweeps")  # nothing started


@pytest.mark.parametrize("flag", ["--json", "--plot"])
def test_an_output_that_is_a_directory_is_refused_first(capsys, tmp_path, flag):
    usage_error(capsys, *TENT, "--max-order", "1", flag, str(tmp_path), match=rf"{flag} '.*' is a directory")


def test_an_unknown_figure_format_is_refused_first(capsys, tmp_path):
    usage_error(capsys, *TENT, "--max-order", "1", "--plot", str(tmp_path / "p.xyz"),
                match=r"Format 'xyz' is not supported \(supported formats: .*png")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write anywhere")
def test_an_output_in_a_read_only_folder_is_refused_first(capsys, tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        usage_error(capsys, *TENT, "--max-order", "1", "--json", str(folder / "o.json"),
                    match="permission denied")
    finally:
        folder.chmod(0o700)


def test_reproduce_creates_its_out_folder(capsys, tmp_path):
    out = tmp_path / "results"
    text = ok(capsys, "reproduce", "ghost-toy", "--quick", "--out", str(out), "--no-progress")
    assert (out / "ghost-toy.json").is_file() and (out / "ghost-toy.png").is_file()
    assert f"wrote {out / 'ghost-toy'}.json" in text


def test_reproduce_refuses_an_out_that_is_a_file(capsys, tmp_path):
    target = tmp_path / "a-file"
    target.write_text("")
    usage_error(capsys, "reproduce", "ghost-toy", "--quick", "--out", str(target),
                match="is a file, not a folder")


# ----------------------------------------------------------------------------------------------
# 9. an exhaustive search that would take hours is refused before it starts; so is a range
#    where the model leaves the float64 range


def test_an_exhaustive_search_of_hours_is_refused(capsys):
    line = usage_error(capsys, *TENT, "--orders", "36", "--method", "exhaustive",
                       match=r"exhaustive search of order 36 over 2 regions would solve about 1\.9e\+09 "
                             r"region sequences \(2\^36 / 36\), taking about \d+ h: more than the limit of "
                             r"1e\+08; use --method heuristic or a lower order$")
    assert "finder=" not in line and "Exhaustive(" not in line


def test_the_exhaustive_limit_in_the_library():
    tent = bw.load_model("example:tent")
    with pytest.raises(ValueError, match=r"more than the limit of 1000 \(Exhaustive\(max_solves=\.\.\.\)\); "
                                         r"use finder=SCYFI\(\) or a lower order"):
        bw.find_cycles(tent, 14, finder=bw.Exhaustive(max_solves=1000))  # 2^14 / 14 = 1170 > 1000
    allowed = bw.find_cycles(tent, 13, finder=bw.Exhaustive(max_solves=1000))
    assert allowed.complete
    assert bw.find_cycles(tent, 4, finder=bw.Exhaustive(max_solves=None)).complete
    with pytest.raises(ValueError, match="`max_solves` must be"):
        bw.Exhaustive(max_solves=0)


@pytest.mark.parametrize("param", ["W[0,0]", "h[0]", "A[0]"])
def test_a_range_where_the_model_overflows_is_refused(capsys, param):
    usage_error(capsys, "diagram", "example:tent", "--param", param, "--range", "-1e300", "1e300",
                *QUICK_DIAGRAM, match=rf"not finite along --range: at {re.escape(param)} = -1e\+300 its")
    with pytest.raises(ValueError, match="the model is not finite along `range`"):
        bw.ParameterPath(bw.load_model("example:tent"), param, -1e300, 1e300)


def test_a_map_range_where_the_model_overflows_is_refused(capsys):
    usage_error(capsys, "map", "example:tent", "--param", "W[0,0]", "--range", "-1e300", "1e300",
                "--param", "h[0]", "--range", "-1", "1", "--grid", "2", "2", "--workers", "1",
                "--no-progress", match="not finite along --range")


def test_a_model_path_that_overflows_is_refused():
    tent = bw.load_model("example:tent")
    huge = dataclasses.replace(tent, W=tent.W * 1e200)
    with pytest.raises(ValueError, match=r"not finite along `range`: at s = 1 its orbits"):
        bw.ModelPath(tent, huge)


def test_large_but_finite_ranges_still_run(capsys):
    out = ok(capsys, "diagram", "example:tent", "--param", "h[0]", "--range", "-1e6", "1e6", *QUICK_DIAGRAM)
    assert "from -1e+06 to 1e+06" in out


# ----------------------------------------------------------------------------------------------
# 10. usage, --version, one prefix, command-line words, no bars in logs, no -0.0


def test_bare_bifwatch_prints_its_usage(capsys):
    line = usage_error(capsys, match=r"the following arguments are required: command; usage: bifwatch ")
    commands = "{demo,cycles,diagram,map,ghost,reproduce,train,evaluate,monitor,examples}"
    assert commands in line and "--help" in line


def test_version(capsys):
    status, out, err = run(capsys, "--version")
    assert (status, out, err) == (0, f"bifwatch {bw.__version__}\n", "")
    assert out == "bifwatch 0.1.0\n"


@pytest.mark.parametrize(
    ("args", "line"),
    [
        ((*TENT, "--max-order", "0"), "argument --max-order: expected an integer >= 1; got 0"),
        (("ghost", "rnn", "--units", "0"), "argument --units: expected an integer >= 1; got 0"),
        ((*TENT,), "one of the arguments --max-order --orders is required"),
    ],
    ids=["cycles", "ghost-rnn", "required"],
)
def test_an_error_line_has_one_prefix(capsys, args, line):
    assert usage_error(capsys, *args, match="") == f"bifwatch: error: {line}"


def test_cli_errors_speak_in_flags(capsys, tmp_path):
    path = tmp_path / "m.npz"
    np.savez(path, A=np.ones(2), W=np.eye(2))
    line = usage_error(capsys, "cycles", str(path), "--max-order", "1", match=r"or pass --kind$")
    assert "kind=" not in line
    with pytest.raises(ValueError, match=r"or pass kind=\.\.\. / --kind"):  # the library keeps its words
        bw.load_model(path)


def test_cli_words_translate_python_api_advice():
    from bifwatch.cli._parser import cli_words

    assert cli_words("store 'x' already exists; pass resume=True (--resume) to continue") == (
        "store 'x' already exists; add --resume to continue")
    assert cli_words("use finder=SCYFI() or a lower order") == "use --method heuristic or a lower order"


def test_no_progress_bar_when_stderr_is_not_a_terminal(capsys):
    # without --no-progress: the bar is asked for, but stderr (captured) is not a terminal
    ok(capsys, "diagram", "example:tent", "--param", "h[0]", "--range", "-1", "1", "--max-order", "1",
       "--resolution", "10", "--seeds", "2")
    ok(capsys, *TENT, "--max-order", "3")
    from bifwatch.sweep import run_tasks

    assert run_tasks(abs, {"a": -1, "b": 2}, progress=True) == {"a": 1, "b": 2}
    assert capsys.readouterr().err == ""


def test_no_negative_zero_in_cycle_tables_and_json(capsys, tmp_path):
    model = bw.PLRNN(A=[0.5, 0.5], W=np.zeros((2, 2)), h=[-0.0, -0.0])  # its fixed point is (-0.0, 0.0)
    result = bw.find_cycles(model, 1)
    assert result.cycles[0].points[0].tolist() == [0.0, 0.0]
    assert not _shows_negative_zero(result.table())
    assert _negative_zeros(json.loads(result.to_json())) == []
    path = tmp_path / "m.npz"
    bw.save_model(model, path)
    out = ok(capsys, "cycles", str(path), "--max-order", "1", "--json", str(tmp_path / "c.json"))
    assert not _shows_negative_zero(out)
    assert _negative_zeros(json.loads((tmp_path / "c.json").read_text())) == []


def test_no_negative_zero_in_slow_point_tables_and_json():
    points = bw.exact_slow_points(bw.PLRNN(A=[0.5, 0.5], W=np.zeros((2, 2)), h=[0.0, 0.0]))
    negative = dataclasses.replace(points, points=-0.0 * points.points,
                                   eigenvalues=points.eigenvalues.real - 1e-12j)
    table = negative.table()
    assert not _shows_negative_zero(table) and "+0.0000j" in table
    assert _negative_zeros(json.loads(negative.to_json())) == []


def test_the_negative_zero_pattern():
    assert all(map(_shows_negative_zero, ["[-0.  1.]", "-0", " -0.0000j", "x -0.0"]))
    assert not any(map(_shows_negative_zero, ["-0.693", "1e-05", "-0.5", "0.0", "-10", "2.0e-08"]))


def test_the_json_writer_writes_zero_for_negative_zero():
    from bifwatch._json import write_json

    text = write_json({"a": -0.0, "b": [np.float64(-0.0), (1.5, -0.0)], "c": {"d": [[-0.0]]}, "e": -1}, None)
    assert text == '{"a": 0.0, "b": [0.0, [1.5, 0.0]], "c": {"d": [[0.0]]}, "e": -1}'


# Failures that are not bad input: a missing optional dependency, workers that kept dying


def test_a_pt_model_without_torch_says_what_to_install(tmp_path, capsys, monkeypatch):
    path = tmp_path / "m.pt"
    path.write_bytes(b"not read: torch is imported first")
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` fails as where it is not installed
    status, out, err = run(capsys, "cycles", str(path), "--max-order", "1")
    assert (status, out) == (1, "")
    assert err.splitlines() == ['bifwatch: error: this needs torch, which cannot be imported; install it '
                                'with pip install "bifwatch[torch]"']


def test_a_scheduler_without_dask_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "distributed", None)
    status, out, err = run(capsys, "diagram", "example:tent", "--param", "W[0,0]", "--range", "0", "1",
                           "--scheduler", "tcp://127.0.0.1:8786", *QUICK_DIAGRAM)
    assert (status, out) == (1, "")
    (line,) = err.splitlines()
    assert line.startswith("bifwatch: error: ") and 'pip install "bifwatch[dask]"' in line, line
    assert not (tmp_path / ".bifwatch-sweeps").exists()  # the empty default store is not left behind


def test_workers_that_kept_dying_are_one_line_with_status_1(tmp_path, capsys, monkeypatch):
    def dying(*args, **kwargs):
        raise RuntimeError("a local worker process died 4 times (max_restarts=3), e.g. killed by the "
                           "out-of-memory killer")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(bw, "parameter_map", dying)
    status, out, err = run(capsys, "map", "example:tent", "--param", "W[0,0]", "--range", "0", "1", "--param",
                           "A[0]", "--range", "0", "1", "--grid", "2", "2", "--no-progress")
    assert (status, out) == (1, "")
    assert err.splitlines() == ["bifwatch: error: a local worker process died 4 times (max_restarts=3), e.g. "
                                "killed by the out-of-memory killer"]


def test_a_restarted_pool_is_one_warning_line(capsys, monkeypatch):
    """The sweep's logged warning (a worker died, a new pool) reaches the command line as one line."""
    import logging

    from bifwatch.cli import _cycles

    def restarting(args):
        logging.getLogger("bifwatch.sweep._run").warning(
            "a local worker process died (%s); starting a new pool for the %d unfinished tasks", "killed", 3)
        return 0

    monkeypatch.setattr(_cycles, "run", restarting)
    status, out, err = run(capsys, *TENT, "--max-order", "1")
    assert (status, out) == (0, "")
    assert err.splitlines() == ["bifwatch: warning: a local worker process died (killed); starting a new "
                                "pool for the 3 unfinished tasks"]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("diagram", "example:tent", "--param", "W[0,0]", "--range", "1", "1"),
         "--range must have lo < hi; got an empty range (1.0, 1.0)"),
        (("diagram", "example:tent", "--param", "W[0,0]", "--range", "0", "inf"),
         "--range must be finite; got (0.0, inf)"),
        ((*TENT, "--orders", "4-2"), "--orders ranges must be ascending"),
        (("ghost",), "the following arguments are required: command; usage: bifwatch ghost"),
    ],
    ids=["range-empty", "range-infinite", "orders-descending", "ghost-without-command"],
)
def test_python_api_words_are_translated(capsys, args, line):
    text = usage_error(capsys, *args, match=re.escape(line))
    assert "`range`" not in text and "`orders`" not in text and "ghost_command" not in text


def test_map_names_the_second_range_when_it_overflows(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    usage_error(capsys, "map", "example:tent", "--param", "W[0,0]", "--range", "-2", "1.8", "--param", "A[0]",
                "--range", "-1e300", "1e300", "--grid", "3", "3", "--no-progress",
                match=r"not finite along the second --range: at A\[0\] = -1e\+300")
