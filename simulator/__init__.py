"""erpsim: a synthetic Business Central-shaped ERP world for B2B web-store teams."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("erpsim")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
