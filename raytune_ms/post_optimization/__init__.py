"""Post-optimization: a Droplet search around the tuning's best records (the reference's
`meta_schedule.post_optimization`)."""

from .droplet import Droplet
from .post_opt import PostOpt, PostOptResult, post_optimize
from .space import Space

__all__ = ["Droplet", "PostOpt", "PostOptResult", "Space", "post_optimize"]
