"""The README documents every setting an operator can give."""

from pathlib import Path

from muistot.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_is_in_the_readme():
    text = README.read_text()
    missing = [name for name in Settings.model_fields if f"`MUISTOT_{name.upper()}`" not in text]
    assert missing == []
