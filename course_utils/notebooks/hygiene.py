"""Notebook metadata hygiene: keep what Colab and Jupyter need, drop editor noise, stable cell ids."""

from __future__ import annotations

import nbformat

KEEP_NOTEBOOK_METADATA = ("kernelspec", "language_info", "jupytext", "colab", "accelerator")
KEEP_LANGUAGE_INFO = ("name",)
KEEP_JUPYTEXT = ("formats",)
KEEP_CELL_METADATA = ("tags",)


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip widget state, execution info and editor settings in place; number cells c000, c001, ...

    Keeps kernelspec, the language name, jupytext's pairing formats and Colab's accelerator setting.
    """
    meta = nb.metadata
    for key in list(meta):
        if key not in KEEP_NOTEBOOK_METADATA:
            del meta[key]
    for key, keep in (("language_info", KEEP_LANGUAGE_INFO), ("jupytext", KEEP_JUPYTEXT)):
        if key in meta:
            meta[key] = {k: v for k, v in meta[key].items() if k in keep}
            if not meta[key]:
                del meta[key]
    nb.nbformat, nb.nbformat_minor = 4, 5
    for index, cell in enumerate(nb.cells):
        cell.id = f"c{index:03d}"
        cell.metadata = {k: v for k, v in cell.metadata.items() if k in KEEP_CELL_METADATA}
        if cell.cell_type == "code":
            for output in cell.outputs:
                if "execution_count" in output:
                    output.execution_count = cell.execution_count
                output.get("metadata", {}).pop("execution", None)
    return nb


def is_clean(nb: nbformat.NotebookNode) -> bool:
    """True when ``clean`` would change nothing."""
    before = nbformat.writes(nb)
    return nbformat.writes(clean(nbformat.reads(before, as_version=4))) == before
