"""The PLAsTiCC loader on files in the training set's exact format, served with a Zenodo-style record from
127.0.0.1: checksums from the record, the cache, the asinh magnitudes, and the loud stand-in offline."""

from __future__ import annotations

import gzip
import hashlib
import json

import numpy as np
import pytest

from course_utils.data.zenodo import ZENODO_API_ENV
from course_utils.loaders import load_plasticc
from httpserver import FileServer, closed_port_url

METADATA = """object_id,ra,decl,gal_l,gal_b,ddf,hostgal_specz,hostgal_photoz,hostgal_photoz_err,distmod,mwebv,target
615,349.046051,-61.943836,320.796530,-51.753706,1,0.0000,0.0000,0.0000,nan,0.017,92
713,53.085938,-27.784405,223.525509,-54.460748,1,1.8181,1.6267,0.2552,45.4063,0.007,88
730,33.574219,-6.579593,170.455585,-61.548219,1,0.2320,0.2262,0.0157,40.2561,0.021,42
"""


def lightcurves() -> str:
    rng = np.random.default_rng(1)
    lines = ["object_id,mjd,passband,flux,flux_err,detected_bandwise"]
    for obj, n in ((615, 9), (713, 5), (730, 7)):
        for mjd in np.sort(rng.uniform(59580, 60500, n)):
            band = int(rng.integers(0, 6))
            flux = rng.normal(-20 if obj == 730 else 300, 30)  # 730: negative fluxes, as after difference imaging
            lines.append(f"{obj},{mjd:.4f},{band},{flux:.6f},{abs(rng.normal(10, 2)):.6f},{int(flux > 50)}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def zenodo(monkeypatch):
    """A Zenodo-style records API serving the two files, with their md5 checksums as the record lists them."""
    files = {
        "plasticc_train_metadata.csv.gz": gzip.compress(METADATA.encode()),
        "plasticc_train_lightcurves.csv.gz": gzip.compress(lightcurves().encode()),
    }
    with FileServer() as server:
        record = {
            "id": 2539456,
            "files": [
                {
                    "key": name,
                    "size": len(data),
                    "checksum": "md5:" + hashlib.md5(data).hexdigest(),
                    "links": {"self": server.add(f"files/{name}", data)},
                }
                for name, data in files.items()
            ],
        }
        server.add("api/records/2539456", json.dumps(record).encode())
        monkeypatch.setenv(ZENODO_API_ENV, server.url("api/records"))
        monkeypatch.delenv("COURSE_OFFLINE", raising=False)
        yield server, files


def test_reads_the_training_set_format_verified_and_cached(zenodo, tmp_path, capsys):
    server, _ = zenodo
    curves = load_plasticc(data_home=tmp_path)
    assert curves.is_real and "STAND-IN" not in capsys.readouterr().out
    assert curves.time.shape == curves.mag.shape == curves.mask.shape == (3, 9)
    assert curves.mask.sum(axis=1).tolist() == [9, 5, 7] == list(curves.catalog["n_epochs"])
    assert curves.class_names == ("SN_II", "AGN", "RR_Lyrae") and curves.label.tolist() == [2, 1, 0]
    assert list(curves.catalog["class"]) == ["RR_Lyrae", "AGN", "SN_II"]
    assert all(np.all(np.diff(t[m]) > 0) for t, m in zip(curves.time, curves.mask))
    assert np.all(np.isfinite(curves.mag[curves.mask])) and np.all(curves.err[curves.mask] > 0)
    bright = curves.mag[0][curves.mask[0]]
    assert np.allclose(bright, 27.5 - 2.5 * np.log10(300), atol=0.25)  # asinh magnitudes ~ Pogson when bright
    assert np.all(curves.mag[2][curves.mask[2]] > bright.max())  # negative fluxes: faint, but finite
    assert np.all(curves.band[~curves.mask] == -1) and set(curves.band[curves.mask]) <= set(range(6))
    assert curves.class_weights.tolist() == [1.0, 1.0, 1.0]
    load_plasticc(data_home=tmp_path, n=2)
    assert all(count == 1 for name, count in server.requests.items() if name.startswith("files/"))


def test_a_file_that_does_not_match_the_record_is_refused(zenodo, tmp_path):
    server, files = zenodo
    server.add("files/plasticc_train_metadata.csv.gz", gzip.compress(METADATA.replace("92\n", "90\n").encode()))
    with pytest.raises(ValueError, match="(?i)hash"):
        load_plasticc(data_home=tmp_path)


def test_offline_or_unreachable_the_simulator_stands_in_loudly(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(ZENODO_API_ENV, closed_port_url("api/records"))
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    curves = load_plasticc(n=22, data_home=tmp_path, timeout=5)
    out = capsys.readouterr().out
    assert not curves.is_real and "STAND-IN" in out and "could not be read" in out and "2539456" in out
    assert curves.source.startswith("STAND-IN") and len(curves.label) == 22
    with pytest.raises(OSError):
        load_plasticc(n=22, data_home=tmp_path, offline=False, timeout=5)
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    assert "COURSE_OFFLINE=1" in (load_plasticc(n=11, data_home=tmp_path), capsys.readouterr().out)[1]
