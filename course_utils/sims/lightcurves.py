"""Light curves of variable stars, quasars and supernovae, observed with a ground-based survey's cadence.

``simulate_light_curves(n, seed=...)`` draws a population of classes (``LIGHT_CURVE_CLASSES``), their
parameters from the ranges of the literature (stated per class below), and observes each with an
irregular cadence: seasons of 5–8 months a year, nights lost to weather, visits near local midnight
(hence the one-day alias), one or two bands, photometric errors that grow with magnitude (the LSST
error model of Ivezić et al. 2019) and a few outliers. The result is padded to a rectangle:

    time  (n, L) float64  days (MJD-like, sorted within each light curve; 0 where padded)
    mag   (n, L) float32  observed magnitude (0 where padded)
    err   (n, L) float32  1-sigma magnitude error (0 where padded)
    band  (n, L) int8     passband in PLAsTiCC's numbering (0 u, 1 g, 2 r, 3 i, 4 z, 5 y; -1 where padded)
    mask  (n, L) bool     True for real epochs; the first ``n_epochs`` of each row

plus label (n,) int, class_names, class_weights (PLAsTiCC's log-loss weight of each class), source, is_real, and
a catalog (astropy Table) of the truth: class, label, period (days, NaN when not periodic),
amplitude (peak-to-peak in r of the noise-free model, mag), mean_mag (r), n_epochs, n_bands, m5
(5-sigma depth) and PLAsTiCC's target number for the class.

Shapes, in magnitudes relative to the mean (positive = fainter): pulsators rise in a fraction ``rise``
of the cycle and decline in the rest along a half cosine each way, so the peak-to-peak amplitude is
exactly the drawn one; eclipsing binaries have a flat maximum (Algol) or continuous ellipsoidal light
(W UMa), with primary minimum depth exactly the drawn one; quasars are a damped random walk (Kelly et al.
2009); supernovae are Bazin et al. (2009) flux curves on a host galaxy's constant light.
Hard cases come from the distributions themselves: 15-epoch light curves, stars within half a
magnitude of the survey's depth, periods of 0.5 and 1 day (the cadence's aliases), RRc next to W UMa
(whose light curve is a near-sinusoid at half its period), Cepheids and RRab seen at low S/N.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from astropy.table import Table

from course_utils.taxonomy import PLASTICC_WEIGHTS

PASSBANDS = ("u", "g", "r", "i", "z", "y")  # PLAsTiCC's passband numbering
G, R = 1, 2


@dataclass(frozen=True)
class LightCurveClass:
    """One class: its PLAsTiCC counterpart, shape family, and parameter ranges (with their sources)."""

    name: str
    plasticc_target: int
    family: str  # pulsator, algol, wuma, drw, supernova, constant
    period: tuple[float, float] | None = None  # days, drawn log-uniform
    amplitude: tuple[float, float] = (0.0, 0.0)  # r-band peak-to-peak (pulsators, W UMa), primary depth (Algol)
    rise: tuple[float, float] = (0.5, 0.5)  # fraction of the cycle spent rising (pulsators)
    g_over_r: float = 1.0  # g amplitude / r amplitude
    colour: tuple[float, float] = (0.3, 0.6)  # mean g - r
    source: str = ""


LIGHT_CURVE_CLASSES = (
    LightCurveClass(
        "constant",
        65,
        "constant",
        colour=(0.2, 1.2),
        source="non-variable stars (PLAsTiCC has M dwarfs, target 65, whose flares we do not model)",
    ),
    LightCurveClass(
        "RRab",
        92,
        "pulsator",
        (0.45, 0.9),
        (0.5, 1.2),
        (0.12, 0.2),
        1.3,
        (0.2, 0.45),
        "RR Lyrae ab: P 0.45-0.9 d, V amplitude 0.5-1.3 mag, steep rise (Smith 1995; Catelan & Smith 2015)",
    ),
    LightCurveClass(
        "RRc",
        92,
        "pulsator",
        (0.2, 0.45),
        (0.2, 0.55),
        (0.4, 0.5),
        1.25,
        (0.15, 0.3),
        "RR Lyrae c: P 0.2-0.45 d, amplitude 0.2-0.55 mag, near-sinusoidal (Smith 1995)",
    ),
    LightCurveClass(
        "Cepheid",
        92,
        "pulsator",
        (3.0, 50.0),
        (0.3, 1.1),
        (0.25, 0.35),
        1.5,
        (0.5, 1.0),
        "classical Cepheids: P 3-50 d, V amplitude 0.3-1.1 mag (Soszynski et al. 2008, OGLE-III LMC)",
    ),
    LightCurveClass(
        "delta_Scuti",
        92,
        "pulsator",
        (0.03, 0.25),
        (0.1, 0.6),
        (0.4, 0.5),
        1.3,
        (0.1, 0.3),
        "high-amplitude delta Scuti: P 0.03-0.25 d, amplitude 0.1-0.6 mag (Breger 2000)",
    ),
    LightCurveClass(
        "Algol",
        16,
        "algol",
        (0.5, 10.0),
        (0.3, 1.5),
        colour=(0.0, 0.6),
        source="detached eclipsing binaries (EA): P 0.5-10 d, primary depth 0.3-1.5 mag, eclipses "
        "4-12 % of the orbit (Prsa et al. 2011, Kepler EB catalogue)",
    ),
    LightCurveClass(
        "W_UMa",
        16,
        "wuma",
        (0.22, 0.6),
        (0.15, 0.75),
        colour=(0.3, 0.7),
        source="contact binaries (EW): P 0.22-0.6 d, amplitude 0.15-0.75 mag, nearly equal minima "
        "(Rucinski 1993; Paczynski et al. 2006)",
    ),
    LightCurveClass(
        "Mira",
        53,
        "pulsator",
        (100.0, 500.0),
        (2.5, 6.0),
        (0.4, 0.5),
        1.2,
        (1.2, 2.0),
        "Mira and long-period variables: P 100-500 d, amplitude > 2.5 mag in V (GCVS definition; "
        "Soszynski et al. 2009)",
    ),
    LightCurveClass(
        "QSO",
        88,
        "drw",
        colour=(0.0, 0.4),
        source="quasars as a damped random walk: tau 50-500 d, SF_inf 0.1-0.35 mag (MacLeod et al. "
        "2010, SDSS Stripe 82)",
    ),
    LightCurveClass(
        "SN_Ia",
        90,
        "supernova",
        colour=(-0.1, 0.3),
        source="type Ia supernovae: Bazin rise time 1.5-4 d, fall time 15-35 d (Bazin et al. 2009; "
        "peak absolute magnitude -19.3, so 18-21 mag at z ~ 0.05-0.2)",
    ),
    LightCurveClass(
        "SN_II",
        42,
        "supernova",
        colour=(0.0, 0.5),
        source="core-collapse supernovae: Bazin rise time 1-8 d, fall time 40-120 d (II-P plateaus, "
        "Anderson et al. 2014), fainter than Ia at a given distance",
    ),
)
CLASS_NAMES = tuple(c.name for c in LIGHT_CURVE_CLASSES)


def simulate_light_curves(
    n: int,
    *,
    seed: int = 0,
    classes=None,
    n_epochs: tuple[int, int] = (15, 400),
    years: float = 3.0,
    bands: tuple[int, ...] = (1, 2),
    outlier_rate: float = 0.01,
):
    """Simulate ``n`` light curves, equal numbers of each class (``classes`` names, default all).

    n_epochs: (low, high) number of epochs, drawn log-uniform per light curve; L = high.
    years: survey length; bands: passbands observed (PLAsTiCC numbers; g = 1, r = 2), each light curve
    observed in one or, with probability one half, two of them. Returns a Bunch of the arrays above.
    """
    from sklearn.utils import Bunch

    kinds = _validated_classes(classes)
    low, high = (int(v) for v in n_epochs)
    if not (2 <= low <= high):
        raise ValueError(f"n_epochs must be (low, high) with 2 <= low <= high, got {n_epochs!r}.")
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}.")
    if not set(bands) <= set(range(len(PASSBANDS))) or not bands:
        raise ValueError(f"bands must be PLAsTiCC passband numbers 0-5, got {bands!r}.")
    rng = np.random.default_rng(seed)
    label = rng.permutation(np.resize(np.arange(len(kinds)), n))
    count = np.round(np.exp(rng.uniform(np.log(low), np.log(high + 0.5), n))).astype(int).clip(low, high)
    time, mask, m5 = observe_times(rng, count, high, years)
    count = mask.sum(axis=1)
    band = _bands(rng, mask, np.asarray(bands))
    mag = np.zeros(time.shape)
    period = np.full(n, np.nan)
    amplitude = np.zeros(n)
    mean_mag = rng.uniform(14.0, m5 + 0.5)  # faint ones within the noise on purpose
    for k, cls in enumerate(kinds):
        rows = np.flatnonzero(label == k)
        if rows.size:
            mag[rows], period[rows], amplitude[rows], mean_mag[rows] = _model(
                cls, rng, time[rows], band[rows], mask[rows], mean_mag[rows]
            )
    depth = m5[:, None] + 0.25 * rng.standard_normal(time.shape, dtype=np.float32)  # seeing, moon, airmass
    err = error_model(mag, depth)
    observed = mag + err * rng.standard_normal(time.shape, dtype=np.float32)
    rows, cols = np.nonzero(mask & (rng.random(time.shape, dtype=np.float32) < outlier_rate))
    observed[rows, cols] += rng.choice([-1, 1], rows.size) * rng.uniform(0.5, 2.0, rows.size)  # 0.5-2 mag off
    observed, err = np.where(mask, observed, 0), np.where(mask, err, 0)
    catalog = Table(
        {
            "object_id": np.arange(n),
            "class": np.array([kinds[k].name for k in label]),
            "label": label,
            "target": np.array([kinds[k].plasticc_target for k in label]),
            "period": period,
            "amplitude": amplitude,
            "mean_mag": mean_mag,
            "n_epochs": count,
            "n_bands": sum(np.any(mask & (band == b), axis=1) for b in set(bands)),
            "m5": m5,
        }
    )
    catalog.meta["source"] = f"course_utils.sims.simulate_light_curves, seed {seed}"
    used = f"{n:,} simulated light curves (course_utils.sims.simulate_light_curves, seed {seed})"
    return Bunch(
        time=np.where(mask, time, 0.0),
        mag=observed.astype(np.float32),
        err=err.astype(np.float32),
        band=np.where(mask, band, -1).astype(np.int8),
        mask=mask,
        label=label,
        class_names=tuple(c.name for c in kinds),
        class_weights=np.array([PLASTICC_WEIGHTS.get(c.plasticc_target, 1.0) for c in kinds]),
        catalog=catalog,
        source=used,
        is_real=False,
    )


def keep_band(curves, band: int):
    """The light curves of ``curves`` (a bunch as returned above) in one passband only, re-packed so each
    row's epochs come first; L becomes the largest number of epochs in that band. Other keys are kept."""
    keep = curves.mask & (curves.band == band)
    order = np.argsort(~keep, axis=1, kind="stable")[:, : max(int(keep.sum(axis=1).max()), 1)]
    packed = {key: np.take_along_axis(curves[key], order, axis=1) for key in ("time", "mag", "err", "band")}
    mask = np.take_along_axis(keep, order, axis=1)
    packed = {
        key: np.where(mask, value, -1 if key == "band" else 0).astype(value.dtype) for key, value in packed.items()
    }
    return type(curves)(**{**curves, **packed, "mask": mask})


def observe_times(rng: np.random.Generator, count: np.ndarray, length: int, years: float):
    """Epochs of a ground-based survey, (len(count), length) days sorted per row, with the row's mask and
    5-sigma depth m5 (mag). Each row: a field visible 5-8 months a year, 15-40 % of nights lost to bad
    weather (in spells of two or more nights), visits within 5 h of local midnight, so most time differences
    are close to whole days; several visits may fall on one night."""
    n = len(count)
    season = rng.uniform(150, 240, (n, 1))  # days per year the field is up
    start = rng.uniform(0, 365.25, (n, 1))
    season32 = season.astype(np.float32)
    visible = rng.random((n, 2 * length), dtype=np.float32) * (years * season32)  # uniform over the visible time
    year = np.floor(visible / season32)
    night = np.floor(year * np.float32(365.25) + (visible - year * season32) + start.astype(np.float32))
    kept = ~_weather(rng, night, years)
    kept &= np.cumsum(kept, axis=1, dtype=np.int16) <= count[:, None]  # in random order: keep the first ones
    night = np.sort(np.where(kept, night, np.inf), axis=1)[:, :length]  # whole nights, exact in float32
    mask = np.isfinite(night)  # rows where weather left too few nights keep fewer epochs
    offset = rng.random((n, length)) + rng.random((n, length)) - 1  # triangular on [-1, 1]
    time = np.sort(np.where(mask, night + 0.5 + 0.2 * offset, np.inf), axis=1)  # local midnight +- 5 h
    return np.where(mask, time + 60_000.0, 0.0), mask, rng.uniform(20.5, 21.5, n)


def _weather(rng, night, years):
    """True for nights lost to bad weather: per row a random 15-40 % of two-night blocks (so spells last
    two nights or more), the blocks' boundaries shifted at random per row."""
    n = len(night)
    lost_fraction = rng.uniform(0.15, 0.4, (n, 1))
    blocks = rng.random((n, int((years + 1) * 365.25) // 2 + 2)) < lost_fraction
    index = ((night + rng.integers(0, 2, (n, 1))) // 2).astype(np.intp)
    return np.take_along_axis(blocks, index, axis=1)


def error_model(mag, m5, sigma_sys: float = 0.005):
    """Magnitude errors (mag) at magnitude ``mag`` for 5-sigma depth ``m5``: LSST's model (Ivezić et al. 2019,
    eq. 5, gamma = 0.039) plus a systematic floor: 0.005 mag for bright stars, 0.2 mag at m5."""
    x = 10.0 ** (0.4 * (mag - m5))
    return np.sqrt(sigma_sys**2 + (0.04 - 0.039) * x + 0.039 * x**2)


def pulsation(phase, rise):
    """Pulsator shape in [0, 1] (1 = brightest) at ``phase`` (cycles): a half-cosine rise over the fraction
    ``rise`` of the cycle ending at phase 0, a half-cosine decline over the rest."""
    phase = phase % 1.0
    decline = 1.0 - rise
    w = np.where(phase < decline, phase / decline, 1.0 + (phase - decline) / rise)
    return 0.5 * (1.0 + np.cos(np.pi * w))


def eclipses(phase, depth, width, secondary):
    """Algol light (mag, positive = fainter): flat out of eclipse, a primary eclipse of ``depth`` at phase 0
    and a secondary of ``secondary`` x depth at phase 0.5, each lasting ``width`` of the orbit."""

    def dip(offset):
        return np.clip(1.0 - np.abs(offset) / (width / 2), 0.0, None) ** 0.7

    phase = phase % 1.0
    return depth * (dip(np.minimum(phase, 1.0 - phase)) + secondary * dip(phase - 0.5))


def contact_binary(phase, depth, asymmetry):
    """W UMa light (mag): continuous ellipsoidal variation with minima of ``depth`` at phase 0 and
    ``(1 - asymmetry) x depth`` at phase 0.5, maxima at quadrature."""
    return depth * 0.5 * (1.0 + np.cos(4 * np.pi * phase)) * (1.0 - asymmetry * 0.5 * (1.0 - np.cos(2 * np.pi * phase)))


def bazin_flux(t, t0, rise, fall):
    """Bazin et al. (2009) transient flux, peak-normalised: exp(-(t - t0)/fall) / (1 + exp(-(t - t0)/rise))."""
    x = t - t0
    flux = np.exp(-np.clip(x / fall, -50, 50)) / (1.0 + np.exp(-np.clip(x / rise, -50, 50)))
    peak = rise * np.log(fall / rise - 1.0)  # where the derivative vanishes
    return flux / (np.exp(-peak / fall) / (1.0 + np.exp(-peak / rise)))


def damped_random_walk(rng, time, mask, tau, sf_inf):
    """Zero-mean damped random walk (mag) at ``time`` (n, L), tau and sf_inf of shape (n,), sampled exactly (Kelly et al. 2009):
    x_i = x_{i-1} e^{-dt/tau} + sigma sqrt(1 - e^{-2 dt/tau}) N(0, 1), sigma = SF_inf / sqrt(2)."""
    sigma = sf_inf / np.sqrt(2.0)
    out = np.zeros(time.shape)
    x = sigma * rng.standard_normal(len(time))
    out[:, 0] = x
    for i in range(1, time.shape[1]):
        decay = np.exp(-np.maximum(time[:, i] - time[:, i - 1], 0.0) / tau)
        step = decay * x + sigma * np.sqrt(1.0 - decay**2) * rng.standard_normal(len(time))
        x = np.where(mask[:, i], step, x)
        out[:, i] = x
    return out


def _model(cls: LightCurveClass, rng, time, band, mask, mean_mag):
    """Noise-free magnitudes (m, L), period, r-band amplitude and mean r magnitude for rows of one class."""
    m = len(time)
    colour = rng.uniform(*cls.colour, m)[:, None]
    in_g = band == G
    offset = np.where(in_g, colour, 0.0)
    period = np.full(m, np.nan)
    if cls.period is not None:
        period = np.exp(rng.uniform(np.log(cls.period[0]), np.log(cls.period[1]), m))
        phase = (time - rng.uniform(0, 1, m)[:, None] * period[:, None]) / period[:, None]
    amplitude = rng.uniform(*cls.amplitude, m)
    scale = np.where(in_g, cls.g_over_r, 1.0)
    if cls.family == "pulsator":
        shape = pulsation(phase, rng.uniform(*cls.rise, m)[:, None])
        delta = amplitude[:, None] * scale * (0.5 - shape)
        if cls.name == "Mira":  # bright: 6-14 mag at maximum, fainter than a survey's saturation only at r ~ 14
            mean_mag = rng.uniform(14.0, 18.5, m)
    elif cls.family == "algol":
        delta = eclipses(
            phase, amplitude[:, None], rng.uniform(0.04, 0.12, m)[:, None], rng.uniform(0.0, 0.5, m)[:, None]
        )
    elif cls.family == "wuma":
        delta = contact_binary(phase, amplitude[:, None], rng.uniform(0.0, 0.2, m)[:, None])
    elif cls.family == "drw":
        tau = np.exp(rng.uniform(np.log(50), np.log(500), m))
        delta = damped_random_walk(rng, time, mask, tau, rng.uniform(0.1, 0.35, m)) * scale
        mean_mag = rng.uniform(17.5, 21.5, m)
        in_r = mask & (band == R)
        amplitude = np.where(
            in_r.any(axis=1),
            np.max(np.where(in_r, delta, -np.inf), axis=1) - np.min(np.where(in_r, delta, np.inf), axis=1),
            0.0,
        )
    elif cls.family == "supernova":
        ia = cls.name == "SN_Ia"
        rise = rng.uniform(1.5, 4.0, m) if ia else rng.uniform(1.0, 8.0, m)
        fall = rng.uniform(15, 35, m) if ia else rng.uniform(40, 120, m)
        first, last = time[:, 0], np.max(np.where(mask, time, -np.inf), axis=1)
        t0 = rng.uniform(first - 10, np.maximum(last - 30, first + 1))  # seen at least partly
        host = rng.uniform(20.0, 22.5, m)
        peak = rng.uniform(18.0, 21.0, m) if ia else rng.uniform(18.5, 21.5, m)
        excess = 10 ** (-0.4 * (peak - host))[:, None] * bazin_flux(time, t0[:, None], rise[:, None], fall[:, None])
        excess = excess * np.where(in_g, np.exp(-np.clip(time - t0[:, None], 0, None) / (40.0 if ia else 80.0)), 1.0)
        delta = -2.5 * np.log10(1.0 + np.clip(excess, 0.0, None))
        amplitude = 2.5 * np.log10(1.0 + 10 ** (-0.4 * (peak - host)))
        mean_mag = host
    else:  # constant
        delta = np.zeros(time.shape)
    return mean_mag[:, None] + offset + delta, period, amplitude, mean_mag


def _bands(rng, mask, bands):
    """Passband per epoch: r (else the first band) for every epoch or, for half the rows when two bands are
    given, 60 % of the visits in r and 40 % in the other band at random."""
    primary = R if R in bands else int(bands[0])
    band = np.full(mask.shape, primary)
    if len(bands) >= 2:
        other = next(int(b) for b in bands if b != primary)
        two = rng.random(len(mask)) < 0.5
        band = np.where(two[:, None] & (rng.random(mask.shape) >= 0.6), other, band)
    return band


def _validated_classes(classes) -> tuple[LightCurveClass, ...]:
    if classes is None:
        return LIGHT_CURVE_CLASSES
    by_name = {c.name: c for c in LIGHT_CURVE_CLASSES}
    unknown = [c for c in classes if c not in by_name]
    if unknown or not classes:
        raise ValueError(f"unknown light-curve classes {unknown}; choose from {', '.join(CLASS_NAMES)}.")
    return tuple(by_name[c] for c in classes)
