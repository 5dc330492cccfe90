"""The CJK font the briefings draw with: Noto Sans CJK, registered with matplotlib from its
file; if it is missing the briefing fails (``BriefError``) instead of drawing boxes."""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path

from matplotlib import font_manager

from .briefing_model import BriefError

FONT_ENV = "RISKGRID_CJK_FONT"
FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian / Ubuntu fonts-noto-cjk
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch, Alpine
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora
)
PREFERRED_FAMILY = "Noto Sans CJK SC"  # simplified Chinese glyph forms from the collection

_font_lock = threading.Lock()


@functools.cache
def _cjk_font() -> tuple[str, str]:
    candidates = [os.environ[FONT_ENV]] if os.environ.get(FONT_ENV) else list(FONT_FILES)
    path = next((Path(p) for p in candidates if Path(p).is_file()), None)
    if path is None:
        raise BriefError(
            "未找到中文字体 Noto Sans CJK, 简报中的中文会显示为方框; 请安装 fonts-noto-cjk "
            f"或用 {FONT_ENV} 指定字体文件 (CJK font not found: {', '.join(candidates)})"
        )
    with _font_lock:
        font_manager.fontManager.addfont(str(path))
        bold = path.with_name(path.name.replace("Regular", "Bold"))
        if bold != path and bold.is_file():
            font_manager.fontManager.addfont(str(bold))
    families = [f.name for f in font_manager.fontManager.ttflist if Path(f.fname) == path]
    family = PREFERRED_FAMILY if PREFERRED_FAMILY in families else families[0]
    found = font_manager.findfont(
        font_manager.FontProperties(family=family), fallback_to_default=False
    )
    if Path(found) != path:
        raise BriefError(f"中文字体注册失败 CJK font not registered: {path} -> {found}")
    return family, str(path)


def cjk_font() -> tuple[str, str]:
    """(family, file) of the CJK font the briefings draw with, registered with matplotlib."""
    return _cjk_font()
