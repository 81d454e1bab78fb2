"""`curator config show`: the effective settings, as a settings file you can paste."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from curator.commands.common import add_db_option
from curator.errors import EXIT_OK
from curator.settings import Settings, default_settings_path, load_settings


def register(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("config", help="show the effective settings")
    csub = c.add_subparsers(dest="config_command", metavar="ACTION")
    csub.required = True
    show = csub.add_parser("show", help="print every setting as TOML, with where each value came from",
                           description="Print the effective settings in the settings file's own format: "
                                       "paste the output into the settings file to pin them.")
    show.add_argument("--json", action="store_true", help="print a JSON object instead")
    add_db_option(show)
    show.set_defaults(run=run_show)


def run_show(args: argparse.Namespace) -> int:
    settings = load_settings().with_overrides("flag", db=args.db)
    if args.json:
        json.dump(as_json(settings), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(as_toml(settings))
    return EXIT_OK


def as_toml(settings: Settings) -> str:
    """Every setting under its table, each with its source as a comment; an unset one is commented out
    (TOML has no null), so the text loads back as a settings file with the same values."""
    path = default_settings_path()
    lines = [f"# settings file: {path}{'' if path.is_file() else ' (not present: defaults apply)'}",
             f"# catalog: {settings.db_path}"]
    table = None
    for tbl, key, value, source in settings.effective():
        if tbl != table:
            lines += ["", f"[{tbl}]"]
            table = tbl
        if value is None:
            lines.append(f"# {key} is unset  # {source}")
        else:
            lines.append(f"{key} = {toml_value(value)}  # {source}")
    return "\n".join(lines) + "\n"


def as_json(settings: Settings) -> dict[str, Any]:
    path = default_settings_path()
    tables: dict[str, dict[str, Any]] = {}
    for tbl, key, value, source in settings.effective():
        tables.setdefault(tbl, {})[key] = {"value": value, "source": source}
    return {"settings_file": str(path), "settings_file_exists": path.is_file(),
            "catalog": str(settings.db_path), "settings": tables}


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {type(value).__name__}")
