"""Settings are declared once, as data; each one is documented in README.md."""

from pathlib import Path

import pytest

from riskgrid.settings import SETTINGS, load_settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.env)
def test_every_setting_is_documented(setting):
    assert f"`{setting.env}`" in README, f"{setting.env} is not documented in README.md"
    assert setting.help


def test_parsed_from_environment_and_overrides():
    s = load_settings({"RISKGRID_PORT": "9000", "RISKGRID_MONITORING_LINE": "7500", "RISKGRID_DEBUG": "yes"})
    assert (s.port, s.monitoring_line, s.debug, s.db) == (9000, 7500.0, True, "sqlite:///riskgrid.db")
    assert load_settings({"RISKGRID_PORT": "9000"}, port=9100, db=None).port == 9100
    with pytest.raises(ValueError, match="RISKGRID_PORT"):
        load_settings({"RISKGRID_PORT": "x"})
