"""The classes the course's real data sets and its simulators share: names, counts, weights.

A neutral module: ``course_utils.data`` (the real data) and ``course_utils.sims`` (the simulators that stand
in for it) both import these, and neither imports the other (tests/test_layers.py enforces it).
"""

from __future__ import annotations

GALAXY10_DECALS_CLASSES = (
    "Disturbed Galaxies",
    "Merging Galaxies",
    "Round Smooth Galaxies",
    "In-between Round Smooth Galaxies",
    "Cigar Shaped Smooth Galaxies",
    "Barred Spiral Galaxies",
    "Unbarred Tight Spiral Galaxies",
    "Unbarred Loose Spiral Galaxies",
    "Edge-on Galaxies without Bulge",
    "Edge-on Galaxies with Bulge",
)
"""Galaxy10 DECaLS class names as astroNN documents them; a galaxy's label is its index in this tuple."""

GALAXY10_DECALS_COUNTS = (1081, 1853, 2645, 2027, 334, 2043, 1829, 2628, 1423, 1873)
"""Number of galaxies of each class in the real Galaxy10 DECaLS file (17,736 in all)."""

# Class names from each data set's documentation (astroNN docs "Galaxy10 SDSS" and
# "Galaxy10 DECaLS"; github.com/henrysky/Galaxy10). The two variants number their classes
# differently: class 3 is "Smooth, Cigar shaped" in SDSS but "In-between Round Smooth" in DECaLS.
GALAXY10_CLASSES = {
    "sdss": (
        "Disk, Face-on, No Spiral",
        "Smooth, Completely round",
        "Smooth, in-between round",
        "Smooth, Cigar shaped",
        "Disk, Edge-on, Rounded Bulge",
        "Disk, Edge-on, Boxy Bulge",
        "Disk, Edge-on, No Bulge",
        "Disk, Face-on, Tight Spiral",
        "Disk, Face-on, Medium Spiral",
        "Disk, Face-on, Loose Spiral",
    ),
    "decals": GALAXY10_DECALS_CLASSES,  # the galaxy simulator renders exactly these classes
}

PLASTICC_CLASSES = {  # PLAsTiCC training-set target -> class name (Kessler et al. 2019)
    6: "uLens_single",
    15: "TDE",
    16: "EB",
    42: "SN_II",
    52: "SN_Iax",
    53: "Mira",
    62: "SN_Ibc",
    64: "KN",
    65: "M_dwarf",
    67: "SN_Ia-91bg",
    88: "AGN",
    90: "SN_Ia",
    92: "RR_Lyrae",
    95: "SLSN_I",
}
PLASTICC_WEIGHTS = {15: 2.0, 64: 2.0, 99: 2.0}  # the challenge's log-loss weights; every other class 1
