"""Numbers written the Chinese way: 7,044 人, 1,900 户, 74.46%, 6,500 元; data text made literal
for Plotly (:func:`plotly_text`)."""

from __future__ import annotations

from typing import Any

DASH = "—"


def num(value: int | float | None) -> str:
    """Thousands separators, no decimals: 7,044."""
    if value is None:
        return DASH
    return f"{value:,.0f}"


def persons(value: int | None) -> str:
    """7,044 人."""
    return f"{num(value)} 人"


def households(value: int | None) -> str:
    """1,900 户."""
    return f"{num(value)} 户"


def pct(fraction: float | None, digits: int = 2) -> str:
    """A fraction as a percentage with two decimals: 0.7446 -> 74.46%."""
    if fraction is None:
        return DASH
    return f"{fraction * 100:.{digits}f}%"


def yuan(value: float | None) -> str:
    """6,500 元."""
    if value is None or value != value:  # None or NaN
        return DASH
    return f"{value:,.0f} 元"


def hp(pair: dict[str, Any]) -> str:
    """A households/persons pair: 1,900 户 / 7,044 人."""
    return f"{households(pair.get('households'))} / {persons(pair.get('persons'))}"


def month_label(month: str) -> str:
    """2024-10 -> 2024年10月."""
    year, mon = month.split("-")
    return f"{year}年{int(mon)}月"


def date_text(value: Any) -> str:
    """A date as YYYY-MM-DD, or a dash when missing."""
    if value is None or value != value:
        return DASH
    text = str(value)
    return text[:10] if text else DASH


def plotly_text(value: Any) -> str:
    """A string from data (a unit, household, site or cause name) as Plotly text that shows it
    literally.

    Plotly draws hover labels, tick labels, bar texts and annotations through its pseudo-HTML
    renderer: ``<b>``, ``<br>``, ``<a href>``, ``<span style>`` ... are tags, and ``&amp;``
    ``&lt;`` ``&gt;`` ``&nbsp;`` ``&mu;`` ... and numeric references are decoded (``&quot;`` is
    not). Escaping ``&``, ``<`` and ``>`` (only these: a quote would show as ``&quot;``) leaves
    no tag and no entity of the data's own, so ``<b>x</b>`` shows as typed. Not for HTML
    components or ``textContent``, which are literal already.
    """
    text = "" if value is None else str(value)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
