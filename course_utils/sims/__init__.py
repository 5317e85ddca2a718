"""Simulators that stand in for real survey data in the labs.

Strong lenses (:mod:`course_utils.sims.lenses`): SIE-plus-shear lenses, Sérsic light, PSF, noise, several
bands, with a truth catalog (written and read in the lens-finding challenge layout by
:mod:`course_utils.data.challenge_io`). Galaxies (:mod:`course_utils.sims.galaxies`): the ten Galaxy10
DECaLS classes from bulge, disk, spiral arms, bars and mergers. Light curves
(:mod:`course_utils.sims.lightcurves`): periodic variables, supernovae and AGN in PLAsTiCC's taxonomy.

The names below are imported when first used (PEP 562), so ``import course_utils.sims`` costs nothing until
a simulator is called.
"""

from __future__ import annotations

import importlib

_HOMES = {
    "simulate_lenses": "lenses",
    "sie_deflection": "lenses",
    "shear_deflection": "lenses",
    "simulate_galaxy10": "galaxies",
    "GALAXY10_DECALS_CLASSES": "galaxies",
    "simulate_light_curves": "lightcurves",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    globals()[name] = value  # found once: later look-ups do not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))
