"""The rule that grades a monitored household whose file leaves 风险等级 blank.

- red (红): a sudden severe hardship (突发严重困难户), or income per person below the monitoring
  line with two or more causes of risk;
- yellow (黄): income per person below the observation line, or two or more causes;
- blue (蓝): every other monitored household.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .model import Lines


def computed_risk_level(
    category: pd.Series, income: pd.Series, causes: pd.Series, lines: Lines
) -> pd.Series:
    """The rule's level (blue / yellow / red) per household; None where not monitored."""
    text = causes.fillna("").astype(str)
    n_causes = (text.str.count("、") + 1).where(text != "", 0)
    inc = pd.to_numeric(income, errors="coerce").astype(float)
    below_monitoring = (inc < lines.monitoring).fillna(False).to_numpy(dtype=bool)
    below_observation = (inc < lines.observation).fillna(False).to_numpy(dtype=bool)
    many = (n_causes >= 2).to_numpy(dtype=bool)
    sudden = (category == "sudden").to_numpy(dtype=bool)
    level = np.select(
        [sudden | (below_monitoring & many), below_observation | many], ["red", "yellow"], "blue"
    )
    monitored = category.notna() & (category != "")
    return pd.Series(level, index=category.index, dtype=object).where(monitored, None)


def regrade(frame: pd.DataFrame, lines: Lines) -> pd.DataFrame:
    """``frame`` with the rows whose 风险等级 was blank in the file (``risk_level_computed``)
    graded again under ``lines``: the grade follows the month's policy, not the lines of the day
    it was loaded. Rows the file graded are left as they are; a frame without the flag too."""
    if "risk_level_computed" not in frame.columns or frame.empty:
        return frame
    flagged = frame["risk_level_computed"].fillna(False).astype(bool).to_numpy()
    if not flagged.any():
        return frame
    out = frame.copy()
    part = out.loc[flagged]
    graded = computed_risk_level(
        part["category"], part["income_per_capita"], part["risk_causes"], lines
    )
    out.loc[flagged, "risk_level"] = graded.to_numpy(dtype=object)
    return out
