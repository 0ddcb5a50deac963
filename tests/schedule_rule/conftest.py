"""The schedule tests' helpers (programs, interpreter) and the design-space helpers."""

import sys
from pathlib import Path

for _sub in ("schedule", "space_generator"):
    _p = str(Path(__file__).resolve().parents[1] / _sub)
    if _p not in sys.path:
        sys.path.insert(0, _p)
