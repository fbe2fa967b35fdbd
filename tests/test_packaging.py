"""Packaging: every package folder is listed in setup.cfg, and no generic import name ships."""
import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _config() -> configparser.ConfigParser:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    return cfg


def test_every_package_folder_is_listed_in_setup_cfg():
    listed = set(_config()["options"]["packages"].split())
    on_disk = {".".join(p.parent.relative_to(ROOT).parts)
               for p in (ROOT / "tinygrad_cnn").rglob("__init__.py")}
    assert on_disk - listed == set(), "add these to [options] packages in setup.cfg"


def test_cli_folder_installs_under_a_project_specific_name():
    cfg = _config()["options"]
    mapping = dict(line.split(" = ") for line in cfg["package_dir"].strip().splitlines())
    assert mapping == {"tinygrad_cnn_cli": "cli"}
    names = {n.split(".")[0] for n in cfg["packages"].split()}
    assert not names & {"cli", "plugins", "tests", "benchmarks"}
