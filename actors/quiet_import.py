"""Importing Ray without its notebook noise: in a notebook without ipywidgets, `import ray`
imports tqdm.auto (TqdmWarning "IProgress not found") and logs "Missing packages:
['ipywidgets']". Neither concerns raytune_ms (its progress bar picks its own tqdm class), so
the Ray layer imports Ray through this module first."""

import logging
import warnings

logging.getLogger("ray.widgets.util").setLevel(logging.WARNING)
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="IProgress not found")
    import ray  # noqa: F401
