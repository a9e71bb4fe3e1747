"""ydemo: runs the yd binary that yd-core's platform wheel installs."""

__version__ = "0.1.0"
