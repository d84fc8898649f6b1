"""Charts drawn on the server as SVG: no script, nothing the strict CSP has to allow. Each chart has a
title and a description for screen readers, marks every value with a shape (not with colour alone),
and is shown beside a table of the same figures."""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40


def _ticks(top: float, count: int = 4) -> list[float]:
    """Round values from 0 up to at least `top` for the vertical axis."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [step * i for i in range(math.ceil(top / step - 1e-9) + 1)]


def _frame(ticks: list[float], fmt: Callable[[float], str], chart_id: str, title: str, description: str) -> list[str]:
    top = ticks[-1]
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{chart_id}-title">{escape(title)}</title>',
             f'<desc id="{chart_id}-desc">{escape(description)}</desc>']
    for tick in ticks:
        y = _y(tick, top)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(fmt(tick))}</text>')
    return parts


def _y(value: float, top: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / top if top else 1)


def _label_every(count: int) -> int:
    return max(1, -(-count // 8))


def line_chart(labels: Sequence[str], values: Sequence[float], chart_id: str, title: str,
               fmt: Callable[[float], str] = lambda v: f"{v:g}") -> Markup:
    """Values over time (one per label, oldest first) as a line with a marker on each value."""
    ticks = _ticks(max(values, default=0))
    parts = _frame(ticks, fmt, chart_id, title, f"{len(values)} values from {labels[0] if labels else ''} "
                   f"to {labels[-1] if labels else ''}; the table below gives each one.")
    span = (WIDTH - LEFT - RIGHT) / max(1, len(values) - 1)
    points = [(LEFT + i * span, _y(v, ticks[-1])) for i, v in enumerate(values)]
    if points:
        parts.append('<polyline class="line" fill="none" points="'
                     + " ".join(f"{x:.1f},{y:.1f}" for x, y in points) + '"/>')
    for (x, y), label, value in zip(points, labels, values, strict=True):
        parts.append(f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3"><title>{escape(label)}: '
                     f'{escape(fmt(value))}</title></circle>')
    every, last = _label_every(len(labels)), len(labels) - 1
    for i, label in enumerate(labels):
        if i == last or (i % every == 0 and last - i > every // 2):
            parts.append(f'<text class="axis" x="{points[i][0]:.1f}" y="{HEIGHT - BOTTOM + 18}" '
                         f'text-anchor="middle">{escape(label[5:])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(labels: Sequence[str], values: Sequence[float], chart_id: str, title: str,
              fmt: Callable[[float], str] = lambda v: f"{v:g}") -> Markup:
    """One bar per label, its value written above it."""
    ticks = _ticks(max(values, default=0))
    parts = _frame(ticks, fmt, chart_id, title, f"{len(values)} bars; the table below gives each value.")
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(values))
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x, y = LEFT + i * slot + slot * 0.15, _y(value, ticks[-1])
        bottom = _y(0, ticks[-1])
        parts.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{bottom - y:.1f}">'
                     f'<title>{escape(label)}: {escape(fmt(value))}</title></rect>')
        parts.append(f'<text class="value" x="{x + slot * 0.35:.1f}" y="{y - 4:.1f}" text-anchor="middle">'
                     f'{escape(fmt(value))}</text>')
        parts.append(f'<text class="axis" x="{x + slot * 0.35:.1f}" y="{HEIGHT - BOTTOM + 18}" '
                     f'text-anchor="middle">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
