"""What a logo may be, judged by its bytes alone (never its file name or declared type).

- PNG and JPEG: the magic bytes, then Pillow opens and verifies the image (a truncated or forged
  file fails), at most 4,096 px a side.
- SVG: parsed with the standard library's expat, refusing what defusedxml refuses (a DOCTYPE,
  entity declarations, external entities) and processing instructions, then every element and
  attribute is held against an allow-list of drawing vocabulary. Scripts, event handlers
  (``onload``), ``foreignObject``, ``<style>``, ``<image>`` and any reference that is not to the
  file itself (``href="https://…"``, ``url(http…)``) are refused with the reason, not silently
  removed: what is stored is exactly what was checked. Refusing is simpler to trust than
  rewriting; an SVG from a design tool exported as "plain SVG" passes. The logo is also served
  with a Content-Security-Policy that runs nothing (backend/api/branding/routes.py).
"""
from __future__ import annotations

import io
import re
from collections.abc import Callable
from xml.parsers import expat

LOGO_MAX_BYTES = 1024 * 1024  # 1 MB
LOGO_TYPES = ("image/png", "image/jpeg", "image/svg+xml")
MAX_SIDE = 4096

SVG_ELEMENTS = frozenset("""svg g defs symbol use title desc path rect circle ellipse line polyline polygon
text tspan linearGradient radialGradient stop clipPath mask pattern""".split())
SVG_ATTRIBUTES = frozenset("""id x y x1 y1 x2 y2 cx cy r rx ry fx fy width height d points viewBox
preserveAspectRatio version xmlns xmlns:xlink fill fill-opacity fill-rule stroke stroke-width stroke-linecap
stroke-linejoin stroke-opacity stroke-dasharray stroke-dashoffset stroke-miterlimit opacity transform
offset stop-color stop-opacity gradientUnits gradientTransform spreadMethod clip-path clip-rule
clipPathUnits mask maskUnits maskContentUnits patternUnits patternContentUnits patternTransform
font-family font-size font-style font-weight letter-spacing text-anchor dominant-baseline
alignment-baseline dx dy rotate textLength lengthAdjust href xlink:href display visibility
color vector-effect shape-rendering""".split())
NAMESPACES = {"xmlns": "http://www.w3.org/2000/svg", "xmlns:xlink": "http://www.w3.org/1999/xlink"}
_URL_RE = re.compile(r"url\(\s*['\"]?([^)'\"]*)", re.IGNORECASE)


class LogoRefused(ValueError):
    """The file is not an acceptable logo; the message says why, for a person."""


def check_logo(content: bytes) -> str:
    """The logo's media type (``image/png``, ``image/jpeg`` or ``image/svg+xml``), or
    :class:`LogoRefused`."""
    if len(content) > LOGO_MAX_BYTES:
        raise LogoRefused(f"The file is {len(content):,} bytes; a logo may be at most 1 MB "
                          f"({LOGO_MAX_BYTES:,} bytes).")
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return _check_raster(content, "PNG", "image/png")
    if content.startswith(b"\xff\xd8\xff"):
        return _check_raster(content, "JPEG", "image/jpeg")
    head = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:5].lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--")):
        check_svg(content)
        return "image/svg+xml"
    raise LogoRefused("This is not a PNG, JPEG or SVG image (judged by its content, not its name).")


def _check_raster(content: bytes, expected: str, mime: str) -> str:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.format != expected:
                raise LogoRefused(f"This file starts like a {expected} but is not one.")
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        if isinstance(err, LogoRefused):
            raise
        raise LogoRefused(f"This {expected} image is damaged or incomplete.") from err
    if width > MAX_SIDE or height > MAX_SIDE:
        raise LogoRefused(f"The image is {width}×{height} px; a logo may be at most {MAX_SIDE} px a side.")
    return mime


def _local_reference(value: str) -> bool:
    return value.strip().startswith("#")


def check_svg(content: bytes) -> None:
    """Refuse an SVG with anything outside the allow-list (see the module docstring)."""
    root: list[str] = []

    def refuse(message: str) -> None:
        raise LogoRefused(f"The SVG was refused: {message}.")

    def start(name: str, attrs: dict[str, str]) -> None:
        if not root:
            root.append(name)
            if name != "svg":
                refuse(f"its outermost element is <{name}>, not <svg>")
        if name not in SVG_ELEMENTS:
            refuse(f"the element <{name}> is not allowed (scripts, styles, images and foreign objects never are)")
        for attr, value in attrs.items():
            if attr not in SVG_ATTRIBUTES:
                refuse(f"the attribute {attr} on <{name}> is not allowed")
            if attr in NAMESPACES and value != NAMESPACES[attr]:
                refuse(f"the namespace {value} is not SVG's")
            if attr in ("href", "xlink:href") and not _local_reference(value):
                refuse(f"<{name}> refers outside the file ({attr}={value[:60]!r})")
            for target in _URL_RE.findall(value):
                if not _local_reference(target):
                    refuse(f"<{name}> {attr} refers outside the file (url({target[:60]}))")
            if "javascript:" in value.lower().replace(" ", ""):
                refuse(f"<{name}> {attr} holds a script")

    def forbidden(what: str) -> Callable[..., None]:
        def handler(*_args: object) -> None:
            refuse(f"it contains {what}")
        return handler

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = forbidden("a DOCTYPE")
    parser.EntityDeclHandler = forbidden("an entity declaration")
    parser.UnparsedEntityDeclHandler = forbidden("an entity declaration")
    def external_entity(*_args: object) -> int:
        refuse("it contains an external entity")
        return 0

    parser.ExternalEntityRefHandler = external_entity
    parser.ProcessingInstructionHandler = forbidden("a processing instruction")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(content, True)
    except expat.ExpatError as err:
        raise LogoRefused(f"The SVG is not well-formed XML ({expat.errors.messages[err.code]}, "
                          f"line {err.lineno}).") from err
    if not root:
        refuse("it has no <svg> element")
