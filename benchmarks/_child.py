"""Launcher of a measured command: ``python benchmarks/_child.py RESULT module:function [args...]``.

Runs in the fresh process it measures: calls the function with ``sys.argv`` set to the arguments,
then writes its own CPU time (``getrusage(RUSAGE_SELF)``) and its own peak memory (``VmHWM`` of this
process's memory map, counted from exec) to RESULT as JSON. ``target`` ``-`` runs nothing, which
measures an empty child (the interpreter alone).
"""

from __future__ import annotations

import importlib
import json
import resource
import sys


def _peak_bytes() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def main() -> None:
    result, target, *args = sys.argv[1:]
    code = 0
    try:
        if target != "-":
            module, _, name = target.partition(":")
            sys.argv = [target, *args]
            getattr(importlib.import_module(module), name)()
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    finally:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        with open(result, "w", encoding="utf-8") as out:
            json.dump(
                {"cpu": usage.ru_utime + usage.ru_stime, "peak_bytes": _peak_bytes(), "exit_code": code}, out
            )
    sys.exit(code)


if __name__ == "__main__":
    main()
