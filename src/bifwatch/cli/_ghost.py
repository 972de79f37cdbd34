"""``bifwatch ghost toy | rnn | points``: ghost points and abrupt learning."""

from __future__ import annotations

from . import _ghost_points, _ghost_rnn, _ghost_toy


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "ghost",
        help="ghost points and abrupt learning (Dinc et al.)",
        description="Ghost points: the saddle-node toy model, slow points of a model, low-rank RNNs.",
    )
    sub = p.add_subparsers(dest="ghost_command", required=True, parser_class=type(p))
    _ghost_toy.add_parser(sub)
    _ghost_points.add_parser(sub)
    _ghost_rnn.add_parser(sub)
