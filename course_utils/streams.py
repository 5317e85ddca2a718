"""Training data that never repeats: freshly simulated lens stamps for every batch of every epoch, made in
background threads while the model trains, and early stopping on the validation AUROC.

A fixed training set of tens of thousands of stamps is learnt by heart after a few epochs (training AUROC
climbs while the test AUROC stalls); a simulator can instead make a new set every epoch, so the network
never sees a stamp twice. Import this module after ``course_utils.setup()``: it imports Keras.

    stream = LensStream(batches_per_epoch=300, batch_size=128, seed=42, transform=normalise_stamps)
    model.fit(stream, epochs=30, steps_per_epoch=stream.batches_per_epoch, callbacks=early_stopping_on_auroc(x_val, y_val, patience=4))
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
from sklearn.metrics import roc_auc_score

from course_utils.sims.lenses import simulate_lenses


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class LensStream(keras.utils.PyDataset):
    """Batches of newly simulated lenses and non-lenses (``course_utils.sims.simulate_lenses``).

    The stream is endless: Keras asks for batches 0, 1, 2, ... in order, and batch number ``i`` is batch
    ``i % batches_per_epoch`` of epoch ``i // batches_per_epoch``, ``batch_size`` stamps simulated with a
    seed drawn from (seed, epoch, index). So the same seed gives the same batches in the same order,
    whichever worker makes them, and every epoch holds new stamps (an endless stream, rather than Keras'
    end-of-epoch call, numbers the epochs: Keras also makes that call once before training starts).
    Each item is (x, y): x float32 (batch_size, size, size, n_bands), ``transform`` of the counts (e.g. a
    normalisation; the counts themselves when None); y float32 (batch_size,), 1 for a lens.
    ``workers``, ``use_multiprocessing`` and ``max_queue_size`` (batches made ahead) are Keras'
    (``keras.utils.PyDataset``). The default, two threads of the training process, keeps a CPU or GPU fed
    from two cores (benchmarks/bench_lens_stream.py): they simulate while the training step computes
    (Keras' backends release Python's lock then), the batches need no pickling, and the transform may be
    any function. The simulator holds that lock for much of its work, so threads make about one core's
    worth of stamps (~1,600 normalised 64x64 stamps/s on an AVX-512 core); for an accelerator that trains
    faster, ``use_multiprocessing=True`` uses both cores, at a cost: Keras starts a new pool every epoch
    and pickles every 6 MB batch back, and the transform must be a function the workers can reach (any
    function where Python forks them: Linux, Python 3.13 and earlier; elsewhere one importable from a module).
    ``simulator_options`` go to ``simulate_lenses`` (size, bands, seeing, snr_range, ...).
    """

    def __init__(
        self,
        batches_per_epoch: int,
        batch_size: int,
        *,
        seed: int = 0,
        transform: Callable[[np.ndarray], np.ndarray] | None = None,
        workers: int = 2,
        use_multiprocessing: bool = False,
        max_queue_size: int = 10,
        **simulator_options,
    ):
        super().__init__(
            workers=_positive_int("workers", workers),
            use_multiprocessing=bool(use_multiprocessing),
            max_queue_size=_positive_int("max_queue_size", max_queue_size),
        )
        self.batches_per_epoch = _positive_int("batches_per_epoch", batches_per_epoch)
        self.batch_size = _positive_int("batch_size", batch_size)
        if transform is not None and not callable(transform):
            raise TypeError(f"transform must be a function of the images (or None), got {transform!r}")
        self.seed, self.transform, self.simulator_options = int(seed), transform, simulator_options

    @property
    def num_batches(self) -> None:
        """None: the stream never ends, so pass ``fit(..., steps_per_epoch=stream.batches_per_epoch)``."""
        return None

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if index < 0:
            raise IndexError(f"batch {index}: batches are numbered from 0")
        return self.batch(*divmod(int(index), self.batches_per_epoch))

    def batch(self, epoch: int, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Batch ``index`` of epoch ``epoch`` (any epoch, e.g. to score the stamps a past epoch trained on)."""
        batch_seed = int(np.random.SeedSequence([self.seed, int(epoch), int(index)]).generate_state(1)[0])
        images, catalog = simulate_lenses(self.batch_size, seed=batch_seed, **self.simulator_options)
        x = images if self.transform is None else self.transform(images)
        return np.asarray(x, dtype=np.float32), np.asarray(catalog["is_lens"], dtype=np.float32)


class ValidationAUROC(keras.callbacks.Callback):
    """After every epoch, the area under the ROC curve (scikit-learn's ``roc_auc_score``, exact) of the
    model's scores on a fixed validation set, logged as ``name`` so that History, the progress bar and
    ``keras.callbacks.EarlyStopping`` (placed after it in the list) see it.

    x: inputs (n, ...); y: labels (n,), 1 for a lens, both classes present.
    """

    def __init__(self, x, y, *, batch_size: int = 256, name: str = "val_auroc"):
        super().__init__()
        self.x, self.y = np.asarray(x), np.asarray(y).ravel()
        if len(self.x) != len(self.y):
            raise ValueError(f"{len(self.x)} validation inputs but {len(self.y)} labels: give one label per input")
        if len(np.unique(self.y)) != 2:
            raise ValueError(
                "the validation labels need both classes (lenses and non-lenses) for an AUROC; "
                f"got the values {np.unique(self.y).tolist()}"
            )
        self.batch_size, self.name = _positive_int("batch_size", batch_size), name

    def on_epoch_end(self, epoch, logs=None):
        scores = np.asarray(self.model.predict(self.x, batch_size=self.batch_size, verbose=0)).reshape(len(self.y))
        if logs is not None:
            logs[self.name] = float(roc_auc_score(self.y, scores))


def early_stopping_on_auroc(
    x_val, y_val, *, patience: int = 3, batch_size: int = 256
) -> list[keras.callbacks.Callback]:
    """Callbacks for ``fit``: log ``val_auroc`` on (x_val, y_val) after every epoch, stop when it has not
    risen for ``patience`` epochs, and end with the weights of the best epoch."""
    return [
        ValidationAUROC(x_val, y_val, batch_size=batch_size),
        keras.callbacks.EarlyStopping(
            monitor="val_auroc", mode="max", patience=_positive_int("patience", patience), restore_best_weights=True
        ),
    ]
