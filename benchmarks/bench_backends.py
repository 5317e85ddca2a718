"""Training speed of every lab's models on this CPU: TensorFlow (oneDNN on, off, AVX2-only) against JAX.

    python benchmarks/bench_backends.py                  # 2 rounds of every configuration, rows into results.md
    python benchmarks/bench_backends.py --rounds 1 --models lab02 --no-write

The models are the labs' own: each builder function (``build_cnn_sequential``, ``deeplens_resnet``, ...) is
read from the solution notebook's source in solutions/ and executed with the lab's cpu-profile SIZES, so the
benchmark follows the labs when they change. Each is trained with Adam on random inputs of the lab's shape
for a fixed number of steps (after warm-up steps that trace and compile) with ``model.fit``, as the labs do.

Configurations, each in its own process: TensorFlow with oneDNN (the default), TensorFlow with oneDNN
restricted to AVX2 (``ONEDNN_MAX_CPU_ISA=AVX2``: how a laptop without AVX-512 runs it), TensorFlow without
oneDNN (``TF_ENABLE_ONEDNN_OPTS=0``, Eigen kernels, built for AVX whatever the CPU), JAX, and JAX with XLA's
code generation restricted to AVX2 (``XLA_FLAGS=--xla_cpu_max_isa=AVX2``). Before timing, each restriction
is verified: oneDNN's own log (``ONEDNN_VERBOSE``) names the ISA it dispatches to, and the machine code XLA
generates is searched for AVX-512 registers (zmm, mask registers). The machine is shared: the
configurations alternate within every round, in a rotating order, the median over rounds is kept, and
the load average is recorded with every measurement.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"

# name: (solution source, expression building the model with the lab's functions, input shape, classes
# (1: one logit, binary cross-entropy), batch size as in the lab, timed steps)
MODELS = {
    "lab02 dense": ("02_mnist_cnn", "build_dense()", (28, 28, 1), 10, 128, 200),
    "lab02 cnn": ("02_mnist_cnn", "build_cnn_sequential()", (28, 28, 1), 10, 128, 20),
    "lab03 cnn": ("03_galaxy_morphology", "build_cnn((64, 64, 3), 10)", (64, 64, 3), 10, 64, 10),
    "lab04 small_cnn": ("04_strong_lenses", "small_cnn((64, 64, 3))", (64, 64, 3), 1, 64, 10),
    "lab04 resnet": (
        "04_strong_lenses",
        "deeplens_resnet((64, 64, 3), SIZES['width'], SIZES['blocks'])",
        (64, 64, 3),
        1,
        64,
        6,
    ),
    "lab05 dmdt_cnn": ("05_light_curves", "dmdt_cnn((23, 24, 1), 11)", (23, 24, 1), 11, 64, 30),
    "lab05 gru": ("05_light_curves", "gru_model((400, 3), 11, SIZES['units'])", (400, 3), 11, 64, 4),
    "lab05 conv1d": ("05_light_curves", "conv1d_model((400, 3), 11, SIZES['width'])", (400, 3), 11, 64, 20),
}
WARMUP_STEPS = 3
AVX2_ONLY = {"ONEDNN_MAX_CPU_ISA": "AVX2"}
CONFIGURATIONS = {  # name: (KERAS_BACKEND, environment)
    "TensorFlow, oneDNN": ("tensorflow", {}),
    "TensorFlow, oneDNN AVX2": ("tensorflow", AVX2_ONLY),
    "TensorFlow, no oneDNN": ("tensorflow", {"TF_ENABLE_ONEDNN_OPTS": "0"}),
    "JAX": ("jax", {}),
    "JAX, XLA AVX2": ("jax", {"XLA_FLAGS": "--xla_cpu_max_isa=AVX2"}),
}
REFERENCE = "TensorFlow, oneDNN"


# ---------------------------------------------------------------- the labs' models, read from their source
class _CpuRuntime:
    """Stands in for course_utils.setup()'s Runtime when a solution's SIZES statement is executed."""

    profile = "cpu"

    @staticmethod
    def pick(*, smoke, cpu, full):
        return cpu


def lab_namespace(source: str) -> dict:
    """The solution's top-level functions and its cpu-profile SIZES, executed with keras, layers and NumPy."""
    import keras
    import numpy as np
    from keras import layers

    path = SOLUTIONS / f"{source}.py"
    tree = ast.parse(path.read_text(), filename=str(path))
    wanted = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        or (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "SIZES" for t in node.targets))
    ]
    namespace = {"keras": keras, "layers": layers, "np": np, "math": math, "runtime": _CpuRuntime()}
    for node in wanted:
        with contextlib.suppress(NameError):  # a SIZES entry computed from data the notebook loads: left out
            exec(compile(ast.Module([node], []), str(path), "exec"), namespace)
    return namespace


def training_data(input_shape, n_classes, n, seed=0):
    """Random inputs of the lab's shape (sequences padded with zeros after a random length) and labels."""
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, *input_shape)).astype("float32")
    if len(input_shape) == 2:  # light curves: real epochs, then zero padding (masked by the GRU)
        lengths = rng.integers(20, input_shape[0], size=n)
        x[np.arange(input_shape[0])[None, :] >= lengths[:, None]] = 0.0
    y = rng.integers(0, max(n_classes, 2), size=n)
    return x, (y.astype("float32") if n_classes == 1 else y)


def measure(model_names: list[str]) -> list[dict]:
    """In this process: images/s of each model, timed over its steps after the warm-up steps."""
    import keras

    results = []
    for name in model_names:
        source, expression, input_shape, n_classes, batch, steps = MODELS[name]
        keras.utils.set_random_seed(0)
        model = eval(expression, lab_namespace(source))  # noqa: S307 - the course's own solution code
        loss = (
            keras.losses.BinaryCrossentropy(from_logits=True) if n_classes == 1 else "sparse_categorical_crossentropy"
        )
        model.compile(optimizer="adam", loss=loss)
        x, y = training_data(input_shape, n_classes, batch * steps)
        model.fit(x[: batch * WARMUP_STEPS], y[: batch * WARMUP_STEPS], batch_size=batch, epochs=1, verbose=0)
        load, start = os.getloadavg()[0], time.perf_counter()
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)
        seconds = time.perf_counter() - start
        results.append(
            dict(
                model=name,
                images_per_second=batch * steps / seconds,
                seconds=seconds,
                load=max(load, os.getloadavg()[0]),
                parameters=model.count_params(),
            )
        )
    return results


# ---------------------------------------------------------------- configurations, each in a fresh process
def environment(configuration: str) -> dict:
    backend, extra = CONFIGURATIONS[configuration]
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("ONEDNN_MAX_CPU_ISA", "TF_ENABLE_ONEDNN_OPTS", "XLA_FLAGS", "ONEDNN_VERBOSE")
    }
    return env | {"KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"} | extra


def run_child(configuration: str, model_names: list[str]) -> list[dict]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", ",".join(model_names)],
        capture_output=True,
        text=True,
        env=environment(configuration),
        timeout=3600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{configuration} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


VERIFY_CODE = """
import numpy as np, keras
from keras import layers
model = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(8, 3, activation="relu"), layers.Flatten(),
                          layers.Dense(10)])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.train_on_batch(np.zeros((8, 28, 28, 1), "float32"), np.zeros(8, "int32"))
"""


def verify(configuration: str) -> str:
    """What the configuration really runs on: oneDNN's ISA and convolution kernel, or XLA's registers."""
    backend, _ = CONFIGURATIONS[configuration]
    env = environment(configuration)
    if backend == "tensorflow":
        env["ONEDNN_VERBOSE"] = "1"
        out = subprocess.run(
            [sys.executable, "-c", VERIFY_CODE], capture_output=True, text=True, env=env, timeout=600
        ).stdout
        isa = re.search(r"onednn_verbose,.*isa:([^\n,]*)", out)
        conv = re.search(r"exec,cpu,convolution,([^,]*)", out)
        convolution = f"convolutions by oneDNN's {conv.group(1)}" if conv else "convolutions by Eigen"
        return f"{convolution}; oneDNN ISA {isa.group(1).strip() if isa else 'none (not called)'}"
    with tempfile.TemporaryDirectory() as dump:
        env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} --xla_dump_to={dump}".strip()
        subprocess.run([sys.executable, "-c", VERIFY_CODE], capture_output=True, env=env, timeout=600, check=True)
        objects = list(Path(dump).glob("*.o"))
        if not objects or shutil.which("objdump") is None:
            return "XLA machine code not inspected (no dumped objects or no objdump)"
        assembly = "".join(
            subprocess.run(["objdump", "-d", str(o)], capture_output=True, text=True).stdout for o in objects
        )
    avx512 = len(re.findall(r"%zmm|%k[1-7]|%[xy]mm(?:1[6-9]|2\d|3[01])", assembly))
    return (
        f"XLA generated code: {avx512} AVX-512 register uses (zmm, k1-k7, xmm/ymm16-31) "
        f"in {len(objects)} compiled modules"
    )


# ---------------------------------------------------------------- rounds, summary, results table
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--models", default="", help="comma-separated prefixes, e.g. lab02,lab05 gru")
    parser.add_argument("--no-write", action="store_true", help="print only; leave benchmarks/results.md alone")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child.split(","))))
        return
    prefixes = [p.strip() for p in args.models.split(",") if p.strip()]
    names = [n for n in MODELS if not prefixes or any(n.startswith(p) for p in prefixes)]
    if not names:
        raise SystemExit(f"--models {args.models!r} matches none of: {', '.join(MODELS)}")
    checks = {c: verify(c) for c in CONFIGURATIONS}
    for configuration, found in checks.items():
        print(f"{configuration:28s} {found}", flush=True)
    rates = {(c, n): [] for c in CONFIGURATIONS for n in names}
    loads = []
    order = list(CONFIGURATIONS)
    for round_ in range(args.rounds):
        for configuration in order[round_ % len(order) :] + order[: round_ % len(order)]:
            for row in run_child(configuration, names):
                rates[configuration, row["model"]].append(row["images_per_second"])
                loads.append(row["load"])
                print(
                    f"round {round_ + 1} {configuration:28s} {row['model']:16s} "
                    f"{row['images_per_second']:9,.0f} images/s  (load average {row['load']:.1f})",
                    flush=True,
                )
        # after every round, so that a run stopped early keeps the rounds it completed
        summarise(names, rates, loads, checks, round_ + 1, write=not args.no_write)


def summarise(names, rates, loads, checks, rounds, *, write):
    """Print the median images/s per model and configuration with their ratios; write them as rows."""
    median = {key: statistics.median(values) for key, values in rates.items()}
    load_note = f"load average {min(loads):.1f}-{max(loads):.1f} (machine shared with other jobs)"
    print(f"\nmedian images/s over {rounds} round(s); {load_note}")
    print(f"{'model':16s}" + "".join(f"{c:>26s}" for c in CONFIGURATIONS))
    for name in names:
        print(
            f"{name:16s}"
            + "".join(
                f"{median[c, name]:>16,.0f} ({median[c, name] / median[REFERENCE, name]:4.2f}x)" for c in CONFIGURATIONS
            ),
            flush=True,
        )
    if write:
        write_rows(names, median, checks, rounds, load_note)


@contextlib.contextmanager
def emulated(configuration: str):
    """The configuration's ISA restriction in this process's environment while its rows are written, so that
    the results table's machine column (benchmarks/_results.machine) names the ISA the models ran on."""
    _, extra = CONFIGURATIONS[configuration]
    saved = {k: os.environ.get(k) for k in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k)
            else:
                os.environ[k] = v


def write_rows(names, median, checks, rounds, load_note):
    sys.path.insert(0, str(Path(__file__).parent))
    from _results import write_result

    for name in names:
        source, _, shape, _, batch, steps = MODELS[name]
        benchmark = f"backends on CPU: {name} ({'x'.join(map(str, shape))}, batch {batch})"
        for configuration in CONFIGURATIONS:
            ratio = median[configuration, name] / median[REFERENCE, name]
            with emulated(configuration):
                write_result(
                    benchmark,
                    f"images/s, {configuration}",
                    median[configuration, name],
                    "images/s",
                    f"{ratio:.2f}x TensorFlow oneDNN; median of {rounds} rounds of {steps} steps; "
                    f"{checks[configuration]}; {load_note}",
                )
        with emulated("TensorFlow, oneDNN AVX2"), emulated("JAX, XLA AVX2"):
            write_result(
                benchmark,
                "JAX / TensorFlow on AVX2 only",
                median["JAX, XLA AVX2", name] / median["TensorFlow, oneDNN AVX2", name],
                "ratio",
                f"same run, median of {rounds} rounds; {load_note}",
            )


if __name__ == "__main__":
    main()
