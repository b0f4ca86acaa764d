"""Charts as server-side SVG: no chart library, no script. Each chart is an ``<svg
role="img">`` named by its ``<title>`` and described by its ``<desc>`` (the figures in a
sentence); the page puts its data table and a CSV link beneath it. Colours come from
classes in ``static/app/stats.css`` (the CSP allows no inline style)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 30


def _frame(chart_id: str, title: str, desc: str, body: list[str], height: int = HEIGHT) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'preserveAspectRatio="xMidYMid meet" focusable="false">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>' + "".join(body) + "</svg>")


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _fmt(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ") if value >= 10 or value == int(value) \
        else f"{value:.1f}"


def _y_axis(top_value: float, plot_h: int, fmt=_fmt) -> list[str]:
    out = []
    for i in range(5):
        value = top_value * i / 4
        y = TOP + plot_h - plot_h * i / 4
        out.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" '
                   f'y2="{y:.1f}"/>')
        out.append(f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                   f'{escape(fmt(value))}</text>')
    return out


def line_chart(chart_id: str, title: str, desc: str, labels: Sequence[str],
               series: Sequence[tuple[str, str, Sequence[float | None]]], fmt=_fmt) -> Markup:
    """Lines over time: ``series`` is (name, css class, values); None leaves a gap."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    values = [v for _n, _c, vs in series for v in vs if v is not None]
    top_value = _nice_max(max(values, default=0))
    n = max(1, len(labels) - 1)
    body = _y_axis(top_value, plot_h, fmt)
    for _name, css, vs in series:
        runs: list[list[str]] = [[]]
        for i, v in enumerate(vs):
            if v is None:
                runs.append([])
                continue
            x = LEFT + plot_w * i / n
            y = TOP + plot_h - plot_h * v / top_value
            runs[-1].append(f"{x:.1f},{y:.1f}")
        for run in runs:
            if len(run) == 1:
                x, y = run[0].split(",")
                body.append(f'<circle class="series {css}" cx="{x}" cy="{y}" r="2.5"/>')
            elif run:
                body.append(f'<polyline class="series {css}" points="{" ".join(run)}"/>')
    for i in sorted({0, len(labels) // 2, len(labels) - 1}):
        if 0 <= i < len(labels):
            x = LEFT + plot_w * i / n
            anchor = "start" if i == 0 else "end" if i == len(labels) - 1 else "middle"
            body.append(f'<text class="tick" x="{x:.1f}" y="{HEIGHT - 8}" '
                        f'text-anchor="{anchor}">{escape(labels[i])}</text>')
    legend_x = LEFT + 8
    for name, css, _vs in series:
        body.append(f'<rect class="swatch {css}" x="{legend_x}" y="{TOP + 2}" width="12" '
                    f'height="12"/><text class="legend" x="{legend_x + 16}" y="{TOP + 12}">'
                    f'{escape(name)}</text>')
        legend_x += 24 + 8 * len(name)
    return _frame(chart_id, title, desc, body)


def bar_chart(chart_id: str, title: str, desc: str, items: Sequence[tuple[str, float]],
              css: str = "bar") -> Markup:
    """Vertical bars for a few categories, each labelled with its value."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top_value = _nice_max(max((v for _l, v in items), default=0))
    body = _y_axis(top_value, plot_h)
    slot = plot_w / max(1, len(items))
    for i, (label, value) in enumerate(items):
        h = plot_h * value / top_value
        x = LEFT + slot * i + slot * 0.2
        y = TOP + plot_h - h
        body.append(f'<rect class="{css}" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.6:.1f}" '
                    f'height="{h:.1f}"/>')
        body.append(f'<text class="value" x="{x + slot * 0.3:.1f}" y="{y - 4:.1f}" '
                    f'text-anchor="middle">{escape(_fmt(value))}</text>')
        body.append(f'<text class="tick" x="{x + slot * 0.3:.1f}" y="{HEIGHT - 8}" '
                    f'text-anchor="middle">{escape(label)}</text>')
    return _frame(chart_id, title, desc, body)


def hbar_chart(chart_id: str, title: str, desc: str, items: Sequence[tuple[str, float]]) \
        -> Markup:
    """Horizontal bars with long labels (articles, sections), largest first."""
    row_h = 24
    height = TOP + BOTTOM + row_h * max(1, len(items))
    label_w = 300
    plot_w = WIDTH - label_w - RIGHT - 48
    top_value = max((v for _l, v in items), default=0) or 1
    body = []
    for i, (label, value) in enumerate(items):
        y = TOP + row_h * i
        w = plot_w * value / top_value
        short = label if len(label) <= 48 else "…" + label[-47:]
        body.append(f'<text class="tick" x="{label_w - 6}" y="{y + 16}" text-anchor="end">'
                    f'{escape(short)}</text>')
        body.append(f'<rect class="bar" x="{label_w}" y="{y + 4}" width="{w:.1f}" '
                    f'height="{row_h - 8}"/>')
        body.append(f'<text class="value" x="{label_w + w + 6:.1f}" y="{y + 16}">'
                    f'{escape(_fmt(value))}</text>')
    if not items:
        body.append(f'<text class="tick" x="{WIDTH / 2}" y="{TOP + 16}" '
                    f'text-anchor="middle">—</text>')
    return _frame(chart_id, title, desc, body, height)
