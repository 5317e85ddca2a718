"""Simulators that stand in for real survey data in the labs.

Strong lenses (:mod:`course_utils.sims.lenses`): SIE-plus-shear lenses, Sérsic light, PSF, noise, several
bands, with a truth catalog; written and read in the lens-finding challenge layout by
:mod:`course_utils.sims.challenge_io`. Galaxies (:mod:`course_utils.sims.galaxies`): the ten Galaxy10
DECaLS classes from bulge, disk, spiral arms, bars and mergers.
"""
from course_utils.sims.challenge_io import read_challenge_folder, write_challenge_folder
from course_utils.sims.galaxies import GALAXY10_DECALS_CLASSES, simulate_galaxy10
from course_utils.sims.lenses import shear_deflection, sie_deflection, simulate_lenses

__all__ = ["GALAXY10_DECALS_CLASSES", "read_challenge_folder", "shear_deflection", "sie_deflection",
           "simulate_galaxy10", "simulate_lenses", "write_challenge_folder"]
