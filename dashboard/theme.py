"""The dashboard's visual language: platform and status colours, number formats, figure style."""
from __future__ import annotations

import functools
import math

from backend import i18n
from backend.services.goal_terms import status_term

# One colour per platform, kept the same in every figure: brand-like where the brand colour
# stands out, otherwise a hue no other platform uses. No platform is near-black, so the combined
# "All channels" line (dark and dashed) is never mistaken for a channel.
PLATFORM_COLOURS = {
    "facebook": "#1877F2",
    "instagram": "#C13584",
    "x": "#FD7E14",
    "twitter": "#FD7E14",
    "linkedin": "#0B3D75",
    "youtube": "#CC0000",
    "tiktok": "#00A3A3",
    "pinterest": "#7A1F3D",
    "threads": "#868E96",
    "mastodon": "#6364FF",
    "bluesky": "#4DABF7",
    "snapchat": "#B8A100",
    "blog": "#2F9E44",
    "web": "#2F9E44",
    "yammer": "#9C36B5",
}
# For platforms without a colour of their own, and for a second channel of the same platform.
FALLBACK_COLOURS = ["#2F9E44", "#9C36B5", "#E64980", "#795548", "#15AABF", "#5C940D", "#F59F00", "#495057"]
COMBINED_COLOUR = "#212529"
COMBINED_LINE = {"color": COMBINED_COLOUR, "width": 3, "dash": "dash"}
TARGET_COLOUR = "#B02A37"
CAMPAIGN_FILL = "rgba(255, 193, 7, 0.18)"
# Campaigns that overlap get different colours: (span fill, label text), pale fills under the lines.
CAMPAIGN_COLOURS = (
    ("rgba(255, 193, 7, 0.18)", "#6b5200"),   # amber
    ("rgba(32, 201, 151, 0.16)", "#0b5e46"),  # teal
    ("rgba(111, 66, 193, 0.13)", "#4a2c85"),  # purple
    ("rgba(253, 126, 20, 0.15)", "#8a4100"),  # orange
    ("rgba(214, 51, 132, 0.12)", "#8c1f57"),  # pink
)
YEAR_EARLIER_LINE = {"color": "#868e96", "width": 2, "dash": "dot"}

# A tone of the goal vocabulary (backend/services/goal_terms.py) → its colour. Every colour meets
# WCAG AA (≥ 4.5:1) against white text, as status badges and bars carry white labels.
TONE_COLOURS = {
    "blue": "#0B5ED7",
    "green": "#146C43",
    "orange": "#9A4D00",
    "red": "#B02A37",
    "purple": "#6F42C1",
    "grey": "#495057",
    "indigo": "#3D3D99",
    "teal": "#0F6B5C",
    "cyan": "#0B6378",
    "brown": "#7A4E2D",
}


def tone_colour(tone: str) -> str:
    return TONE_COLOURS.get(tone, TONE_COLOURS["grey"])


def status_label(status: str | None) -> str:
    return status_term(status).label


def status_colour(status: str | None) -> str:
    return tone_colour(status_term(status).tone)


def platform_colour(platform: str | None, index: int = 0) -> str:
    if platform and platform.lower() in PLATFORM_COLOURS:
        return PLATFORM_COLOURS[platform.lower()]
    return FALLBACK_COLOURS[index % len(FALLBACK_COLOURS)]


def _lab(hex_colour: str) -> tuple[float, float, float]:
    """sRGB hex → CIE L*a*b* (D65), to tell whether two colours look alike."""
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = [((c + 0.055) / 1.055) ** 2.4 if c > 0.04045 else c / 12.92 for c in rgb]
    xyz = ((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b,
           (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883)
    f = [t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in xyz]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def colour_distance(a: str, b: str) -> float:
    """CIE76 ΔE between two hex colours (below ~20 two thin lines are easily confused)."""
    return math.dist(_lab(a), _lab(b))


DISTINCT = 20.0


def series_colours(platforms: list[str | None]) -> list[str]:
    """A colour per channel of one figure: the platform's own colour, unless an earlier channel
    already has it (or one that looks alike, or the combined line's) — then the first fallback
    colour that looks like none of them. Same input, same colours (so they are remembered)."""
    return list(_series_colours(tuple(platforms)))


@functools.lru_cache(maxsize=512)
def _series_colours(platforms: tuple[str | None, ...]) -> tuple[str, ...]:
    taken = [COMBINED_COLOUR]
    out = []
    for i, platform in enumerate(platforms):
        colour = platform_colour(platform, i)
        if any(colour_distance(colour, t) < DISTINCT for t in taken):
            spare = [c for c in FALLBACK_COLOURS if all(colour_distance(c, t) >= DISTINCT for t in taken)]
            colour = spare[0] if spare else FALLBACK_COLOURS[i % len(FALLBACK_COLOURS)]
        taken.append(colour)
        out.append(colour)
    return tuple(out)


def _english() -> bool:
    """English keeps the product's own compact style (12.3k); the other locales use CLDR's."""
    return i18n.current_locale() == "en"


def compact(value: float | int | None, digits: int = 1) -> str:
    """12345 → '12.3k', 1_234_567 → '1.2M', 950 → '950' in English; '12,3 tn', '12,3k' and
    '12,3 tys.' in sv, nb and pl (CLDR's short forms); None → '–'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if not _english():
        return i18n.compact(value, digits)
    sign = "-" if value < 0 else ""
    v = abs(float(value))
    units = ((1e3, "k"), (1e6, "M"), (1e9, "B"), (1e12, "T"))
    for i in range(len(units) - 1, -1, -1):
        limit, suffix = units[i]
        if v >= limit:
            scaled = round(v / limit, digits)
            if scaled >= 1000 and i + 1 < len(units):  # 999,999 rounds to 1000k: say 1M
                limit, suffix = units[i + 1]
                scaled = round(v / limit, digits)
            return f"{sign}{scaled:.{digits}f}".rstrip("0").rstrip(".") + suffix
    if v == int(v):
        return f"{sign}{int(v)}"
    return f"{sign}{v:.{digits}f}".rstrip("0").rstrip(".")


def metric_value(value: float | None, unit: str | None = None) -> str:
    """A metric's value as labels show it: a ratio as a percentage, money with cents, anything
    else compact (never scientific notation, at most four significant figures)."""
    if unit == "ratio":
        return percent(value)
    if unit == "currency":
        return money(value)
    return compact(value)


def exact(value: float | None, unit: str | None = None) -> str:
    """The full value, for a hover or a title: '12,345.5', '3.4500%' ('12 345,5', '3,4500 %' in sv)."""
    if value is None:
        return "–"
    if unit == "ratio":
        return percent(value, 4)
    if not _english():
        return i18n.number(value, 2)
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"


def percent(value: float | None, digits: int = 2) -> str:
    """A ratio as a percentage: 0.0345 → '3.45%' ('3,45 %' in sv and nb, '3,45%' in pl)."""
    if value is None:
        return "–"
    if not _english():
        return i18n.percent(value, digits)
    return f"{value * 100:.{digits}f}%"


def money(value: float | None) -> str:
    if value is None:
        return "–"
    if not _english():
        return i18n.decimal(value, 2)
    return f"{value:,.2f}"


def signed_change(change: float | None, change_percent: float | None, unit: str = "number") -> str:
    """'+1.2k (+3.4%)' – the change against the previous period, in words a reader scans."""
    if change is None:
        return i18n.gettext("no previous data")
    plus = "+" if change > 0 else ""
    if unit == "ratio":
        main = i18n.gettext("%(value)s pp", value=plus + (f"{change * 100:.2f}" if _english()
                                                           else i18n.decimal(change * 100, 2)))
    elif unit == "currency":
        main = plus + money(change)
    else:
        main = plus + compact(change)
    if change_percent is not None:
        pct = f"{change_percent:+.1f}%" if _english() else ("+" if change_percent > 0 else "") + i18n.percent(
            change_percent / 100, 1)
        main += f" ({pct})"
    return main


FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


def base_layout(title: str, y_title: str = "", x_title: str = "Date", height: int = 320) -> dict:
    return {
        "title": {"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 15}},
        "font": {"family": FONT, "size": 12, "color": "#212529"},
        "height": height,
        "margin": {"l": 56, "r": 16, "t": 56, "b": 32},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "hovermode": "x unified",
        # Under the plot, from the left: on a phone a legend of long channel names wraps into
        # rows that, above the plot, ran into the title.
        "legend": {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0, "xanchor": "left",
                   "font": {"size": 11}, "bgcolor": "rgba(255,255,255,0)"},
        "xaxis": {"title": {"text": x_title}, "showgrid": False, "linecolor": "#adb5bd"},
        "yaxis": {"title": {"text": y_title}, "gridcolor": "#e9ecef", "tickformat": "~s", "rangemode": "tozero"},
    }
