"""Charts as SVG drawn on the server with pygal, shown as images: no script runs on the page.

Each image's alt text is the chart's summary sentence, and the page puts the table behind
it beside the image, so the figures reach people who cannot see the picture. Horizontal
bars (`hbar`, for long names) are no image: the page draws them as labelled progress bars,
each name whole above its bars.
"""

from __future__ import annotations

import base64
from functools import lru_cache

import pygal
from pygal.style import Style

from handlers.dashboard import Chart

WIDTH, HEIGHT = 600, 400
DASHES = ("0", "12, 6", "3, 5", "14, 5, 3, 5", "6, 6", "2, 3")  # solid, dashed, dotted, dash-dot...
STYLE = Style(background="white", plot_background="white", foreground="#1d2430", foreground_strong="#1d2430",
              foreground_subtle="#d9dee5", opacity=".85", opacity_hover=".95",
              colors=("#1f5f8b", "#e0892b", "#2e7d4f", "#a33b20", "#6b4fa0", "#5b6573", "#0f8a8a", "#b5852b"),
              font_family="system-ui, sans-serif", label_font_size=16, major_label_font_size=16,
              legend_font_size=18, value_font_size=18, title_font_size=20, no_data_font_size=24)


def svg(chart: Chart) -> str:
    """The chart's SVG document. Drawing takes pygal tens of milliseconds, so a chart whose
    figures have not changed since it was last drawn is served from a cache."""
    return drawn(chart.kind, tuple(chart.labels), tuple((s.name, tuple(s.values)) for s in chart.series), chart.unit,
                 chart.scale)


@lru_cache(maxsize=512)
def drawn(kind_name: str, labels: tuple[str, ...], series: tuple[tuple[str, tuple[float | None, ...]], ...],
          unit: str, scale: tuple[int, int] | None = None) -> str:
    """One chart drawn; without pygal's tooltip script, which an image would not run anyway.
    Each line has a dash pattern of its own, so none is told apart by colour alone."""
    kind = pygal.Line if kind_name == "line" else pygal.Bar
    chart = kind(style=STYLE, js=[], width=WIDTH, height=HEIGHT, show_legend=True, legend_at_bottom=True,
                 legend_at_bottom_columns=3, truncate_legend=-1, truncate_label=-1, x_label_rotation=0,
                 y_title=unit or None, print_values=False, no_data_text="Nothing to show yet",
                 disable_xml_declaration=True, explicit_size=True, include_x_axis=scale is None, dots_size=4,
                 margin_bottom=24)
    chart.x_labels = list(labels)
    values = [v for _, vs in series for v in vs if v is not None]
    if scale is not None:
        chart.range = scale
        chart.y_labels = list(range(scale[0], scale[1] + 1))
    elif values and all(float(v).is_integer() for v in values) and kind_name != "line":  # counts: whole ticks
        top = max(1, int(max(values)))
        chart.y_labels = list(range(0, top + 1, max(1, top // 8)))
    for k, (name, vs) in enumerate(series):
        chart.add(name, list(vs), stroke_style={"width": 3, "dasharray": DASHES[k % len(DASHES)]} if kind_name == "line"
                  else None)
    rendered: str = chart.render(is_unicode=True)
    return rendered


def data_uri(chart: Chart) -> str:
    """The chart as an image address the page can carry inline (the CSP allows data: images)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg(chart).encode()).decode()
