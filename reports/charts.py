"""Inline SVG charts: no scripts, no external resources, readable without colour.

Every drawn data mark carries `class="mark"` and a `<title>` (the browser's tooltip), so a
page can be checked for drawn charts and every value can be read by hovering. A suppressed
value is drawn as a hatched placeholder labelled "s", never as a number.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

SUPPRESSED = "s"
_FONT = "font-family='system-ui,sans-serif' font-size='11'"
_HATCH = (
    "<defs><pattern id='hatch-{id}' width='6' height='6' patternUnits='userSpaceOnUse' "
    "patternTransform='rotate(45)'><line x1='0' y1='0' x2='0' y2='6' stroke='#999' "
    "stroke-width='2'/></pattern></defs>"
)


def _svg(chart_id: str, width: int, height: int, label: str, body: str) -> str:
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' id='{escape(chart_id)}' class='chart' "
        f"role='img' aria-label='{escape(label)}' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' {_FONT}><title>{escape(label)}</title>"
        f"{_HATCH.format(id=escape(chart_id))}{body}</svg>"
    )


def _shade(value: int, maximum: int) -> str:
    """A blue from light to dark by share of the maximum."""
    share = value / maximum if maximum else 0.0
    lightness = 92 - int(share * 60)
    return f"hsl(212,70%,{lightness}%)"


def fmt_value(value: int | float | None) -> str:
    if value is None:
        return SUPPRESSED
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}"


def flow_matrix(
    chart_id: str,
    origins: Sequence[str],
    destinations: Sequence[str],
    cells: dict[tuple[str, str], tuple[int | None, bool]],
    label: str,
) -> str:
    """Origin (rows) x destination (columns) heat map; a cell is (published total, partly suppressed).

    A cell whose every month is suppressed shows "s"; one with some months suppressed shows its
    published total followed by "+s".
    """
    cell, left, top = 34, 40, 30
    width = left + cell * max(len(destinations), 1) + 10
    height = top + cell * max(len(origins), 1) + 10
    maximum = max((v for v, _ in cells.values() if v is not None), default=0)
    parts = [
        f"<text x='{left + i * cell + cell / 2}' y='{top - 8}' text-anchor='middle'>{escape(d)}</text>"
        for i, d in enumerate(destinations)
    ]
    parts += [
        f"<text x='{left - 6}' y='{top + j * cell + cell / 2 + 4}' text-anchor='end'>{escape(o)}</text>"
        for j, o in enumerate(origins)
    ]
    for j, origin in enumerate(origins):
        for i, dest in enumerate(destinations):
            if (origin, dest) not in cells:
                continue
            value, partial = cells[(origin, dest)]
            x, y = left + i * cell, top + j * cell
            fill = f"url(#hatch-{escape(chart_id)})" if value is None else _shade(value, maximum)
            text = SUPPRESSED if value is None else f"{value}{'+s' if partial else ''}"
            tip = f"{origin} to {dest}: {text}"
            colour = "#fff" if value is not None and maximum and value > maximum * 0.6 else "#111"
            parts.append(
                f"<g class='mark'><title>{escape(tip)}</title>"
                f"<rect x='{x + 1}' y='{y + 1}' width='{cell - 2}' height='{cell - 2}' "
                f"fill='{fill}' stroke='#ccc'/><text x='{x + cell / 2}' y='{y + cell / 2 + 4}' "
                f"text-anchor='middle' font-size='9' fill='{colour}'>{escape(text)}</text></g>"
            )
    return _svg(chart_id, width, height, label, "".join(parts))


def bar_chart(
    chart_id: str, labels: Sequence[str], values: Sequence[int | float | None], label: str
) -> str:
    """Vertical bars, one per label; suppressed values as short hatched bars marked "s"."""
    bar, gap, left, top, plot_h = 22, 6, 50, 20, 180
    width = left + (bar + gap) * max(len(labels), 1) + 40  # room for the last slanted label
    height = top + plot_h + 60
    maximum = max((v for v in values if v is not None), default=0) or 1
    parts = [
        f"<line x1='{left}' y1='{top + plot_h}' x2='{width - 5}' y2='{top + plot_h}' stroke='#444'/>",
        f"<text x='{left - 6}' y='{top + 4}' text-anchor='end'>{escape(fmt_value(maximum))}</text>",
        f"<text x='{left - 6}' y='{top + plot_h}' text-anchor='end'>0</text>",
    ]
    for i, (name, value) in enumerate(zip(labels, values, strict=True)):
        x = left + i * (bar + gap)
        h = 8 if value is None else max(1.0, plot_h * value / maximum)
        fill = f"url(#hatch-{escape(chart_id)})" if value is None else "hsl(212,70%,45%)"
        tip = f"{name}: {fmt_value(value)}"
        parts.append(
            f"<g class='mark'><title>{escape(tip)}</title><rect x='{x}' y='{top + plot_h - h:.1f}' "
            f"width='{bar}' height='{h:.1f}' fill='{fill}'/></g>"
            f"<text transform='translate({x + bar / 2 + 4},{top + plot_h + 8}) rotate(60)'>"
            f"{escape(name)}</text>"
        )
    return _svg(chart_id, width, height, label, "".join(parts))


def hbar_chart(
    chart_id: str, labels: Sequence[str], values: Sequence[int | float | None], label: str
) -> str:
    """Horizontal bars with the value printed at the end; suitable for long labels."""
    row, left, plot_w = 20, 180, 360
    width = left + plot_w + 80
    height = row * max(len(labels), 1) + 10
    maximum = max((v for v in values if v is not None), default=0) or 1
    parts = []
    for j, (name, value) in enumerate(zip(labels, values, strict=True)):
        y = 5 + j * row
        w = 6 if value is None else max(1.0, plot_w * value / maximum)
        fill = f"url(#hatch-{escape(chart_id)})" if value is None else "hsl(212,70%,45%)"
        text = fmt_value(value)
        parts.append(
            f"<text x='{left - 6}' y='{y + 13}' text-anchor='end'>{escape(name)}</text>"
            f"<g class='mark'><title>{escape(f'{name}: {text}')}</title>"
            f"<rect x='{left}' y='{y + 2}' width='{w:.1f}' height='{row - 5}' fill='{fill}'/></g>"
            f"<text x='{left + w + 4:.1f}' y='{y + 13}'>{escape(text)}</text>"
        )
    return _svg(chart_id, width, height, label, "".join(parts))
