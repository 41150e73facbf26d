"""The settings table (bot/config.py): validation, and the two files written from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import config
from bot.config import VARIABLES, ConfigError, StoreSettings, store_settings

ROOT = Path(__file__).resolve().parents[1]
FIX = "run `python scripts/settings_docs.py` to write it from bot/config.py"


def test_env_example_is_written_from_the_table():
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert text == config.env_example(), f".env.example disagrees with the table: {FIX}"


def test_the_readme_table_is_written_from_the_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start, end = readme.find(config.README_START), readme.find(config.README_END)
    assert 0 <= start < end, "the README lost the markers around its table of variables"
    table = readme[start : end + len(config.README_END)]
    assert table == config.readme_table(), f"the README's variables disagree: {FIX}"


def test_each_file_names_every_variable_once():
    env_example = (ROOT / ".env.example").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for var in VARIABLES:
        assert len(re.findall(rf"^#? ?{var.name}=", env_example, re.MULTILINE)) == 1, var.name
        assert readme.count(f"| `{var.name}` |") == 1, var.name


def test_every_default_passes_its_own_validation():
    for var in VARIABLES:
        assert var.help.endswith("."), var.name
        if var.default:
            assert var.value({}) is not None, var.name
        if var.example and not var.secret:
            assert var.value({var.name: var.example}) is not None, var.name


def test_only_the_config_module_reads_the_environment():
    readers = re.compile(r"os\.environ|getenv\(|dotenv")
    for path in sorted((ROOT / "bot").rglob("*.py")):
        if path.name != "config.py":
            assert not readers.search(path.read_text(encoding="utf-8")), path.name
    names = set(re.findall(r'"([A-Z][A-Z0-9_]{2,})"', (ROOT / "bot" / "config.py").read_text()))
    undocumented = names - {v.name for v in VARIABLES} - {"XDG_DATA_HOME"}
    assert not undocumented, f"read but not in the table: {undocumented}"


def test_store_settings_defaults_and_overrides(tmp_path):
    default = store_settings({"HOME": str(tmp_path)}, env_file=None)
    assert default.database_url is None and default.retention_days == 90
    assert default.db_path.parts[-2:] == ("mission-bot", "mission.db")
    xdg = store_settings({"XDG_DATA_HOME": str(tmp_path)}, env_file=None)
    assert xdg.db_path == tmp_path / "mission-bot" / "mission.db"
    url = "postgres://u:secret@db.internal:5432/mission"
    chosen = store_settings(
        {"MISSION_DB": str(tmp_path / "x.db"), "DATABASE_URL": url, "MISSION_RETENTION_DAYS": "30"},
        env_file=None,
    )
    assert chosen == StoreSettings(tmp_path / "x.db", url, 30)
    assert "secret" not in repr(chosen)


def test_a_dotenv_file_sets_the_store_too(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(f"MISSION_DB={tmp_path / 'from-file.db'}\nMISSION_RETENTION_DAYS=7\n")
    chosen = store_settings({"MISSION_RETENTION_DAYS": "14"}, env_file=env_file)
    assert chosen.db_path == tmp_path / "from-file.db" and chosen.retention_days == 14


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("DATABASE_URL", "mysql://user:hunter2@host/db"),
        ("DATABASE_URL", "hunter2"),
        ("MISSION_RETENTION_DAYS", "0"),
        ("MISSION_RETENTION_DAYS", "ninety"),
    ],
)
def test_store_config_errors_name_the_variable_and_hide_passwords(name, bad):
    with pytest.raises(ConfigError) as error:
        store_settings({name: bad}, env_file=None)
    assert name in str(error.value) and "hunter2" not in str(error.value)
