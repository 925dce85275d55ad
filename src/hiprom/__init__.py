"""hiprom: seated hip internal/external rotation range of motion from a camera.

Data flows one way: capture -> pose -> kinematics -> assessment ->
(server, report, store, batch, cli). Lower stages never import higher ones.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hiprom")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
