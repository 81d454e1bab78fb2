"""The docs' generated reference pages match the code they are generated from, and the README's links resolve."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
GENERATOR = REPO / "docs" / "gen_reference.py"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_reference", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_reference_pages_are_what_the_code_generates() -> None:
    stale = [str(p.relative_to(REPO)) for p in _generator().stale_pages()]
    assert not stale, f"{', '.join(stale)} out of date: run `python docs/gen_reference.py` to refresh"


def test_each_fact_has_its_one_generated_table() -> None:
    gen = _generator()
    cli = (REPO / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    assert cli.count("| code | meaning |") == 1  # one exit-code table in the whole site
    for page in (REPO / "docs").rglob("*.md"):
        if page.name != "cli.md":
            assert "| code | meaning |" not in page.read_text(encoding="utf-8"), page
    from curator.errors import EXIT_CODES

    assert [int(m) for m in re.findall(r"^\| (\d+) \|", gen.exit_codes_md(), re.M)] == [c for c, _ in EXIT_CODES]


def test_every_setting_and_table_is_described() -> None:
    import dataclasses

    from curator.rules.reasons import ReasonRules
    from curator.settings import KEY_HELP, TABLE_HELP, TABLES, TOML_KEYS

    keys = set(TOML_KEYS) | {("reasons", f.name) for f in dataclasses.fields(ReasonRules)}
    assert set(KEY_HELP) == keys
    assert set(TABLE_HELP) == set(TABLES)
    page = _generator().settings_md()
    for table, key in keys:
        assert f"| `{key}` |" in page and f"### `[{table}]`" in page, (table, key)


def test_a_part_without_its_markers_is_an_error() -> None:
    import pytest

    with pytest.raises(ValueError, match="markers"):
        _generator().with_part("# a page\n", "keys", "body")


def test_the_generator_imports_no_torch() -> None:
    code = (f"import runpy, sys; g = runpy.run_path({str(GENERATOR)!r}, run_name='gen'); "
            "[g[f]() for f in ('exit_codes_md', 'settings_md', 'keys_md')]; "
            "print(sorted(m for m in ('torch', 'open_clip', 'torchvision') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_readme_links_resolve_and_it_stays_short() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme):
        if not target.startswith(("http://", "https://")):
            assert (REPO / target).exists(), target


def test_ci_runs_the_readme_test_command() -> None:
    command = 'pip install -c constraints.txt -e ".[test]" && python -m pytest'
    assert command in (REPO / "README.md").read_text(encoding="utf-8")
    assert command in (REPO / ".ci" / "run").read_text(encoding="utf-8")
