"""keraslint: a static linter for the strings Keras resolves by name, starting with activations."""
import os
import sys


def _protect_sys_path() -> None:
    """Drop the working directory (and the script's directory) from the front of ``sys.path``.

    ``python -m keraslint`` puts the working directory first, so a scanned repository's own
    ``json.py`` or ``click.py`` would be imported instead of the real module. As pylint does, it
    is removed here, before keraslint imports anything else. Entries named by PYTHONPATH stay.
    """
    pythonpath = set(os.environ.get("PYTHONPATH", "").split(os.pathsep)) - {""}
    try:
        working = os.getcwd()
    except OSError:  # the working directory was deleted
        working = None
    sys.path[:] = [
        entry for index, entry in enumerate(sys.path)
        if not (index == 0 and entry in ("", ".", working) and entry not in pythonpath)
    ]


_protect_sys_path()

__version__ = "0.1.0"
