"""The real-data path, rehearsed: files in the published formats served from 127.0.0.1 through a
$COURSE_DATA_REGISTRY file, read by the loaders and by every lab notebook's real-data branch (smoke profile).

Adding a lab: one fixture function in tests/realdata.py (``LABS``).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_utils.data import GALAXY10_CLASSES, load_mnist
from course_utils.loaders import load_galaxy10
from course_utils.notebooks import execute
from httpserver import closed_port_url, serve_folder
from realdata import LABS, registry_file, write_galaxy10_decals, write_galaxy10_sdss, write_mnist

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def rehearsal(tmp_path, monkeypatch):
    """Serve a folder from 127.0.0.1 and point the registry at it; yields (folder, serve, base_url) where
    serve(files) writes the registry file for those files."""
    served = tmp_path / "served"
    served.mkdir()
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "cache"))
    for name in ("COURSE_DATA_MIRROR", "COURSE_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COURSE_ZENODO_API", closed_port_url("api/records"))  # never the real Zenodo
    with serve_folder(served) as base_url:

        def serve(files):
            monkeypatch.setenv("COURSE_DATA_REGISTRY", str(registry_file(tmp_path / "registry.json", files, base_url)))

        yield served, serve, base_url


def test_mnist_in_keras_format_is_read_from_the_registry_file(rehearsal):
    folder, serve, _ = rehearsal
    serve({"mnist": write_mnist(folder / "mnist.npz", n_train=50, n_test=20)})
    mnist = load_mnist(offline=False)
    assert mnist.is_real and mnist.source.startswith("MNIST from http://127.0.0.1")
    assert mnist.x_train.shape == (50, 28, 28) and mnist.x_train.dtype == np.uint8 and mnist.y_test.shape == (20,)


def test_galaxy10_sdss_and_decals_files_are_read_with_their_own_classes(rehearsal):
    folder, serve, _ = rehearsal
    serve(
        {
            "galaxy10_sdss": write_galaxy10_sdss(folder / "Galaxy10.h5", n=40),
            "galaxy10_decals": write_galaxy10_decals(folder / "Galaxy10_DECals.h5", n=30),
        }
    )
    sdss = load_galaxy10("sdss", n=20, offline=False)
    assert sdss.is_real and sdss.images.shape == (20, 69, 69, 3) and sdss.class_names == GALAXY10_CLASSES["sdss"]
    decals = load_galaxy10("decals", n=12, size=32, offline=False)
    assert decals.is_real and decals.images.shape == (12, 32, 32, 3) and decals.images.dtype == np.uint8
    assert decals.class_names == GALAXY10_CLASSES["decals"] and "resized 256->32 px" in decals.source
    assert decals.labels.dtype == np.int64 and set(decals.labels) <= set(range(10))


@pytest.mark.parametrize("notebook", sorted(LABS))
@pytest.mark.kernel
def test_every_lab_runs_its_real_data_branch(notebook, rehearsal, tmp_path, monkeypatch):
    """The lab, in the smoke profile, gets its real data from 127.0.0.1 and says so; no stand-in is used."""
    folder, serve, base_url = rehearsal
    data = LABS[notebook](folder, base_url)
    serve(data.files)
    for name, value in data.env.items():
        monkeypatch.setenv(name, value)
    result = execute.run_notebook(
        REPO / notebook, tmp_path / "executed.ipynb", tmp_path / "kernel.log", profile="smoke"
    )
    assert result.status == "ok", f"{notebook} failed on real data: {result.error} (log: {tmp_path / 'kernel.log'})"
    text = printed(nbformat.read(tmp_path / "executed.ipynb", as_version=4))
    missing = [marker for marker in data.markers if marker not in text]
    assert not missing, f"{notebook} did not print {missing}: its real-data branch did not run"
    assert not [word for word in data.stand_in if word in text], f"{notebook} used its stand-in"
    assert "Zenodo record" not in text  # no record is asked about the registry's served files, and the
    # records a lab reads directly (lab 05's PLAsTiCC) are served by the fixture


def printed(nb: nbformat.NotebookNode) -> str:
    """Everything the notebook's cells printed or displayed as text."""
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", "") or output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def test_challenge_stamps_are_matched_to_the_trained_bands_and_size(tmp_path):
    from course_utils.data import match_stamps
    from course_utils.loaders import load_lenses
    from realdata import write_lens_challenge

    challenge = load_lenses(write_lens_challenge(tmp_path / "challenge.tar.gz", n=6), data_home=tmp_path)
    assert challenge.is_real and challenge.bands == ("u", "g", "r", "i") and challenge.images.shape == (6, 101, 101, 4)
    assert "theta_E" not in challenge.catalog.colnames  # the challenge's own columns only
    matched = match_stamps(challenge, ("g", "r", "i"), 64)
    assert matched.shape == (6, 64, 64, 3) and matched.dtype == np.float32
    np.testing.assert_array_equal(matched[..., 0], challenge.images[:, 18:82, 18:82, 1])  # g, centred
    with pytest.raises(ValueError, match=r"not \['z'\]"):
        match_stamps(challenge, ("g", "r", "z"), 64)
    with pytest.raises(ValueError, match="smaller than the 128x128"):
        match_stamps(challenge, ("g", "r", "i"), 128)
