"""The dashboard's visual language: platform and status colours, number formats, figure style."""
from __future__ import annotations

import math

# One colour per platform (brand-like, darkened where needed for contrast on white).
PLATFORM_COLOURS = {
    "facebook": "#1877F2",
    "instagram": "#C13584",
    "x": "#14171A",
    "twitter": "#14171A",
    "linkedin": "#0A66C2",
    "youtube": "#CC0000",
    "tiktok": "#00A3A3",
    "pinterest": "#BD081C",
    "threads": "#5B5B5B",
    "mastodon": "#6364FF",
    "bluesky": "#0085FF",
    "snapchat": "#B8A100",
    "web": "#6F42C1",
}
FALLBACK_COLOURS = ["#6F42C1", "#FD7E14", "#20C997", "#D63384", "#0DCAF0", "#795548"]
COMBINED_COLOUR = "#212529"
TARGET_COLOUR = "#B02A37"
CAMPAIGN_FILL = "rgba(255, 193, 7, 0.18)"

# Goal status → (label, colour). Colours meet WCAG AA (≥ 4.5:1) against white text.
STATUS = {
    "achieved": ("Achieved", "#0B5ED7"),
    "on_track": ("On track", "#146C43"),
    "at_risk": ("At risk", "#9A4D00"),
    "off_track": ("Off track", "#B02A37"),
    "not_started": ("Not started", "#495057"),
    "no_data": ("No data", "#495057"),
}
STATUS_ORDER = ["off_track", "at_risk", "on_track", "achieved", "not_started", "no_data"]


def status_label(status: str | None) -> str:
    return STATUS.get(status or "no_data", (str(status or "No data").replace("_", " ").capitalize(), ""))[0]


def status_colour(status: str | None) -> str:
    return STATUS.get(status or "no_data", ("", "#495057"))[1]


def platform_colour(platform: str | None, index: int = 0) -> str:
    if platform and platform.lower() in PLATFORM_COLOURS:
        return PLATFORM_COLOURS[platform.lower()]
    return FALLBACK_COLOURS[index % len(FALLBACK_COLOURS)]


def compact(value: float | int | None, digits: int = 1) -> str:
    """12345 → '12.3k', 1_234_567 → '1.2M', 950 → '950'; None → '–'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
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


def percent(value: float | None, digits: int = 2) -> str:
    """A ratio as a percentage: 0.0345 → '3.45%'."""
    if value is None:
        return "–"
    return f"{value * 100:.{digits}f}%"


def money(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.2f}"


def signed_change(change: float | None, change_percent: float | None, unit: str = "number") -> str:
    """'+1.2k (+3.4%)' – the change against the previous period, in words a reader scans."""
    if change is None:
        return "no previous data"
    if unit == "ratio":
        main = f"{change * 100:+.2f} pp"
    elif unit == "currency":
        main = f"{change:+,.2f}"
    else:
        main = ("+" if change > 0 else "") + compact(change)
    if change_percent is not None:
        main += f" ({change_percent:+.1f}%)"
    return main


FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


def base_layout(title: str, y_title: str = "", x_title: str = "Date", height: int = 320) -> dict:
    return {
        "title": {"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 15}},
        "font": {"family": FONT, "size": 12, "color": "#212529"},
        "height": height,
        "margin": {"l": 56, "r": 16, "t": 56, "b": 44},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "hovermode": "x unified",
        "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right",
                   "font": {"size": 11}, "bgcolor": "rgba(255,255,255,0)"},
        "xaxis": {"title": {"text": x_title}, "showgrid": False, "linecolor": "#adb5bd"},
        "yaxis": {"title": {"text": y_title}, "gridcolor": "#e9ecef", "tickformat": "~s", "rangemode": "tozero"},
    }
