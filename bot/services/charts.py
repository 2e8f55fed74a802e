"""The report's chart: a PNG made headless with matplotlib, the same bytes for the same report.

matplotlib's object API (`Figure` + the Agg canvas) is used directly, not pyplot: no global
figure registry, no GUI backend, nothing shared between threads that render at once. Fonts
and sizes are set on each artist rather than through global rcParams for the same reason.
DejaVu Sans ships with matplotlib, so the output does not depend on the machine's fonts, and
the PNG carries no metadata (no version, no date), so equal input gives equal bytes.
"""

from __future__ import annotations

import io
import re
import warnings

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from bot.services.reports import BrandReport

# Slack previews an image about 360-480 px wide and opens it larger: 960x600 px keeps 11-13 px
# text legible in the preview and sharp when opened.
WIDTH_IN, HEIGHT_IN, DPI = 9.6, 6.0, 100
FONT = "DejaVu Sans"
TITLE_SIZE, LABEL_SIZE, TICK_SIZE = 15, 12, 11
# Colour-blind-safe (Okabe-Ito), in a fixed order so a platform keeps its colour across weeks.
PLATFORM_COLOURS = {
    "facebook": "#0072B2",
    "instagram": "#CC79A7",
    "x": "#000000",
    "youtube": "#D55E00",
    "bluesky": "#56B4E9",
    "linkedin": "#009E73",
}
OTHER_COLOURS = ("#E69F00", "#F0E442", "#999999")
MEDIAN_COLOUR = "#D55E00"
TARGET_COLOUR = "#666666"
MAX_TICKS = 16

# A brand name with emoji draws a box for each (DejaVu has no emoji); that is expected, not a
# warning worth a log line on every weekly report.
warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)


def _minutes(seconds: float) -> float:
    return seconds / 60


def render_chart(brand: BrandReport, *, title: str) -> bytes:
    """Volume per day by platform (stacked bars) over the median first response per day (line,
    minutes, with the target dashed). `title` is shown as given (plain text, no mathtext)."""
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    # Fixed margins: a layout engine would cost more time than the whole drawing.
    figure.subplots_adjust(left=0.08, right=0.98, top=0.93, bottom=0.08, hspace=0.12)
    FigureCanvasAgg(figure)
    volume_axes, response_axes = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    days = list(range(len(brand.days)))
    labels = [d.day.strftime("%d %b") for d in brand.days]

    platforms = sorted({p for d in brand.days for p, _ in d.volume_by_platform}, key=_platform_order)
    bottoms = [0] * len(days)
    handles: list[Patch] = []
    for index, platform in enumerate(platforms):
        counts = [dict(d.volume_by_platform).get(platform, 0) for d in brand.days]
        colour = PLATFORM_COLOURS.get(platform, OTHER_COLOURS[index % len(OTHER_COLOURS)])
        # One collection per platform, not a Rectangle artist per bar and day: the same bars
        # at a fraction of the cost on a 90-day chart.
        bars = [
            [(d - 0.4, b), (d - 0.4, b + c), (d + 0.4, b + c), (d + 0.4, b)]
            for d, b, c in zip(days, bottoms, counts, strict=True)
            if c
        ]
        volume_axes.add_collection(PolyCollection(bars, facecolors=colour, edgecolors="none", linewidths=0))
        handles.append(Patch(facecolor=colour, label=platform))
        bottoms = [b + c for b, c in zip(bottoms, counts, strict=True)]
    volume_axes.set_ylabel("Items", fontsize=LABEL_SIZE, fontname=FONT)
    # A fixed title position (y=1): an automatic one measures every tick of both axes on
    # each draw to dodge labels that this chart never puts above the bars.
    volume_axes.set_title(_literal(title), fontsize=TITLE_SIZE, fontname=FONT, loc="left", y=1.0)
    if platforms:
        volume_axes.legend(
            handles=handles,
            loc="upper left",
            fontsize=TICK_SIZE,
            frameon=False,
            ncols=min(len(platforms), 6),
            prop={"family": FONT},
        )
        volume_axes.set_ylim(0, max(bottoms) * 1.25 or 1)
    else:
        volume_axes.set_ylim(0, 1)
        volume_axes.text(
            0.5,
            0.5,
            "No items",
            ha="center",
            va="center",
            fontsize=LABEL_SIZE,
            fontname=FONT,
            transform=volume_axes.transAxes,
        )

    medians = [
        _minutes(d.first_response_median.total_seconds())
        if d.first_response_median is not None
        else float("nan")
        for d in brand.days
    ]
    response_axes.plot(
        days, medians, color=MEDIAN_COLOUR, marker="o", linewidth=2, label="median first response"
    )
    response_axes.axhline(
        _minutes(brand.target.total_seconds()),
        color=TARGET_COLOUR,
        linestyle="--",
        linewidth=1,
        label="target",
    )
    response_axes.set_ylabel("Minutes", fontsize=LABEL_SIZE, fontname=FONT)
    known = [m for m in medians if m == m]  # NaN marks a day without replies
    top = max([*known, _minutes(brand.target.total_seconds())])
    response_axes.set_ylim(0, top * 1.35 or 1)  # room above for the legend
    response_axes.legend(loc="upper left", fontsize=TICK_SIZE, frameon=False, ncols=2, prop={"family": FONT})

    step = max(1, -(-len(days) // MAX_TICKS))
    response_axes.set_xticks(days[::step], labels[::step])
    response_axes.set_xlim(-0.6, max(len(days) - 0.4, 0.4))
    for axes in (volume_axes, response_axes):
        # Set on the tick style, not label by label: asking for the labels builds every tick
        # (markers, transforms, texts) once more before the draw builds them again.
        axes.tick_params(labelsize=TICK_SIZE, labelfontfamily=FONT)
        # Four or five gridlines read as well as eight and cost half the tick artists.
        axes.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=axes is volume_axes))
        axes.spines[["top", "right"]].set_visible(False)
        axes.grid(axis="y", color="#dddddd", linewidth=0.8)
        axes.set_axisbelow(True)

    buffer = io.BytesIO()
    # No Software/date chunks: the same report gives the same bytes.
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _platform_order(platform: str) -> tuple[int, str]:
    known = list(PLATFORM_COLOURS)
    return (known.index(platform) if platform in known else len(known), platform)


_UNSHOWABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]|[\ud800-\udfff]")


def _literal(text: str) -> str:
    # `$` starts mathtext in matplotlib; a brand called "$5 Pizza" must show as written.
    # Control characters and lone surrogates have no glyph and cannot be encoded: shown as U+FFFD.
    return _UNSHOWABLE.sub("\ufffd", text).replace("$", r"\$")
