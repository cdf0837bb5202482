"""Checks shared by the tests of every report: valid PNGs, and HTML that embeds them all."""

from __future__ import annotations

import re
import struct
from pathlib import Path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, which must come first."""
    assert data[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    return struct.unpack(">II", data[16:24])


def assert_valid_report(written: list[Path], out: Path) -> str:
    """Check the files of a report (HTML, Markdown, then PNGs); return its HTML."""
    assert written[:2] == [out / "report.html", out / "report.md"]
    for png in written[2:]:
        width, height = png_size(png.read_bytes())
        assert 600 <= width <= 2400 and 300 <= height <= 2400, (png.name, width, height)
    html = (out / "report.html").read_text()
    sources = re.findall(r'src="([^"]*)"', html)
    assert len(sources) == len(written) - 2
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    assert "href=" not in html and ".png" not in html.replace("image/png", "")
    markdown = (out / "report.md").read_text()
    for png in written[2:]:
        assert f"]({png.name})" in markdown
    return html
