"""Charts (matplotlib, PNG) for the reports, with a Chinese font where one is installed.

The font is found among the system fonts (Noto CJK from fonts-noto-cjk, WenQuanYi, SimHei …);
without one the chart is still drawn and Chinese labels show as boxes, which is better than
no chart.
"""

from __future__ import annotations

import functools
import io

CANDIDATES = ("NotoSansCJK", "NotoSerifCJK", "SourceHanSans", "wqy", "SimHei", "simsun", "msyh")


@functools.cache
def cjk_font():
    """A matplotlib FontProperties for a CJK font, or None when there is none."""
    from matplotlib import font_manager

    for path in sorted(font_manager.findSystemFonts()):
        name = path.rsplit("/", 1)[-1]
        if any(c.lower() in name.lower() for c in CANDIDATES) and "Bold" not in name:
            return font_manager.FontProperties(fname=path)
    return None


def _figure(width=7.0, height=3.6):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, height), dpi=150)
    return plt, fig, ax


def _png(plt, fig) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def bar_chart(
    labels: list[str], series: dict[str, list[float]], *, title: str, ylabel: str = ""
) -> bytes:
    """Grouped bars: one group per label, one bar per series; values written on the bars."""
    plt, fig, ax = _figure(max(6.0, min(12.0, 0.45 * len(labels) * max(1, len(series)) + 3)))
    font = cjk_font()
    kw = {"fontproperties": font} if font else {}
    n = max(1, len(series))
    width = 0.8 / n
    for i, (name, values) in enumerate(series.items()):
        xs = [x + (i - (n - 1) / 2) * width for x in range(len(labels))]
        bars = ax.bar(xs, values, width, label=name)
        if len(labels) * n <= 24:
            for bar, v in zip(bars, values, strict=True):
                ax.annotate(f"{v:g}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                            ha="center", va="bottom", fontsize=7)  # fmt: skip
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(
        labels,
        rotation=30 if len(labels) > 6 else 0,
        ha="right" if len(labels) > 6 else "center",
        **kw,
    )
    ax.set_title(title, **kw)
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 0.5 of a case
    if ylabel:
        ax.set_ylabel(ylabel, **kw)
    if n > 1:
        ax.legend(prop=font)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(plt, fig)


def line_chart(labels: list[str], series: dict[str, list[float]], *, title: str) -> bytes:
    plt, fig, ax = _figure()
    font = cjk_font()
    kw = {"fontproperties": font} if font else {}
    for name, values in series.items():
        ax.plot(labels, values, marker="o", label=name)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, **kw)
    ax.set_title(title, **kw)
    if len(series) > 1:
        ax.legend(prop=font)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(plt, fig)
