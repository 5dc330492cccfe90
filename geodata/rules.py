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
