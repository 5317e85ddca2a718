"""Plain data between a student's kernel and the grader's judge: a strict codec that never unpickles or evals.

``encode(value)`` gives JSON-able data, ``decode(data)`` the value back. Carried as they are: None, bool, int,
float, str, bytes, file paths (pathlib), lists, tuples and dicts of carried values; NumPy arrays and
scalars of numeric or bool dtypes (any byte order, so a big-endian FITS array stays big-endian); NumPy random generators (their bit
generator's state); Keras models and layers as config + weights, rebuilt with Keras' safe deserialization.
Tensors (TensorFlow, JAX) travel as NumPy arrays. Anything else arrives as an ``Opaque`` description named
like its type, so a check's message reads as it would in the student's own kernel.

Decoding takes untrusted data: every field is checked, sizes are capped (``MAX_BYTES`` of array data per
message), and a Keras config is rebuilt only from Keras' own classes; anything else raises ``Undecodable``.
"""

from __future__ import annotations

import base64
import math
import re
import sys
from pathlib import Path, PurePath
from typing import Any

MAX_BYTES = 256 * 2**20  # array and bytes data in one message
MAX_DEPTH = 32
MAX_ITEMS = 2_000_000  # container entries in one message
MAX_TEXT = 2**20  # characters of one string
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,99}")
DTYPE = re.compile(r"[<>|=][biuf][1248]|[<>|=]c(8|16)")
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")
TENSOR_MODULES = ("tensorflow", "jax", "jaxlib", "torch", "keras")


class Undecodable(ValueError):
    """The data is not something this codec carries, or breaks its limits; the message says what."""


class Opaque:
    """Stands for a value the codec does not carry: its type's name and a short repr."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


class _Budget:
    def __init__(self):
        self.bytes = 0
        self.items = 0

    def spend(self, n_bytes: int = 0, items: int = 1) -> None:
        self.bytes += n_bytes
        self.items += items
        if self.bytes > MAX_BYTES:
            raise Undecodable(f"more than {MAX_BYTES // 2**20} MiB of array data")
        if self.items > MAX_ITEMS:
            raise Undecodable(f"more than {MAX_ITEMS:,} values")


# --------------------------------------------------------------------------------------------------
# Encoding (in the kernel for results, in the judge for arguments)


def encode(value: Any) -> Any:
    """JSON-able data for ``value``; raises Undecodable past the size limits."""
    return _encode(value, _Budget(), 0)


def _encode(value, budget: _Budget, depth: int):
    if depth > MAX_DEPTH:
        raise Undecodable(f"nested deeper than {MAX_DEPTH} levels")
    budget.spend()
    if value is None or isinstance(value, (bool, str)) or type(value) in (int, float):
        if isinstance(value, str):
            budget.spend(len(value), 0)
        return value if not (type(value) is float and not math.isfinite(value)) else {"t": "float", "v": repr(value)}
    if isinstance(value, (bytes, bytearray)):
        budget.spend(len(value), 0)
        return {"t": "bytes", "v": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, PurePath):
        return {"t": "path", "v": _encode(str(value), budget, depth + 1)}
    if isinstance(value, (list, tuple)):
        return {
            "t": "list" if isinstance(value, list) else "tuple",
            "v": [_encode(item, budget, depth + 1) for item in value],
        }
    if isinstance(value, dict):
        return {
            "t": "dict",
            "v": [[_encode(k, budget, depth + 1), _encode(v, budget, depth + 1)] for k, v in value.items()],
        }
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        if isinstance(value, numpy.ndarray):
            return _encode_array(numpy.ascontiguousarray(value) if value.ndim else value, budget, "ndarray")
        if isinstance(value, numpy.generic) and _carried_dtype(value.dtype):
            return _encode_array(numpy.asarray(value), budget, "npscalar")
        if isinstance(value, numpy.random.Generator):
            bits = value.bit_generator
            return {"t": "rng", "bit_generator": type(bits).__name__, "state": _encode(bits.state, budget, depth + 1)}
    if isinstance(value, int):  # int and float subclasses (bool and NumPy scalars done above)
        return int(value)
    if isinstance(value, float):
        return _encode(float(value), budget, depth)
    keras = sys.modules.get("keras")
    if keras is not None and isinstance(value, (keras.Model, keras.layers.Layer)):
        return _encode_keras(value, keras, budget, depth)
    if numpy is not None and type(value).__module__.split(".")[0] in TENSOR_MODULES and hasattr(value, "__array__"):
        try:
            array = numpy.asarray(value)
        except Exception:  # a symbolic tensor has no values
            array = None
        if array is not None and _carried_dtype(array.dtype):
            return _encode_array(numpy.ascontiguousarray(array) if array.ndim else array, budget, "ndarray")
    return _opaque(value)


def _carried_dtype(dtype) -> bool:
    return dtype.kind in "biufc" and not dtype.fields and not dtype.subdtype


def _encode_array(array, budget: _Budget, tag: str) -> dict:
    if not _carried_dtype(array.dtype):
        return _opaque(array)
    budget.spend(array.nbytes, 0)
    return {
        "t": tag,
        "dtype": array.dtype.str,
        "shape": list(array.shape),
        "v": base64.b64encode(array.tobytes()).decode("ascii"),
    }


def _encode_keras(obj, keras, budget: _Budget, depth: int) -> dict:
    config = keras.saving.serialize_keras_object(obj)
    weights = obj.get_weights() if obj.built else []
    return {"t": "keras", "config": config, "weights": [_encode_array(w, budget, "ndarray") for w in weights]}


def _opaque(value) -> dict:
    try:
        text = repr(value)
    except Exception as error:  # a repr that fails says so
        text = f"<{type(value).__name__} whose repr raised {type(error).__name__}>"
    return {"t": "opaque", "type": type(value).__name__[:100], "repr": text[:300]}


# --------------------------------------------------------------------------------------------------
# Decoding (untrusted input)


def decode(data: Any) -> Any:
    """The value ``data`` stands for; raises Undecodable for anything else."""
    return _decode(data, _Budget(), 0)


def _field(data: dict, key: str, kind):
    value = data.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise Undecodable(f"field {key!r} of a {data.get('t')!r} should be {getattr(kind, '__name__', kind)}")
    return value


def _decode(data, budget: _Budget, depth: int):
    if depth > MAX_DEPTH:
        raise Undecodable(f"nested deeper than {MAX_DEPTH} levels")
    budget.spend()
    if data is None or isinstance(data, (bool, int, float)):
        return data
    if isinstance(data, str):
        if len(data) > MAX_TEXT:
            raise Undecodable(f"a string longer than {MAX_TEXT:,} characters")
        return data
    if not isinstance(data, dict):
        raise Undecodable(f"unexpected {type(data).__name__}")
    tag = data.get("t")
    if tag == "float":
        text = _field(data, "v", str)
        if text not in ("nan", "inf", "-inf"):
            raise Undecodable(f"float {text!r}")
        return float(text)
    if tag == "bytes":
        raw = _base64(_field(data, "v", str), budget)
        return raw
    if tag == "path":
        return Path(_field(data, "v", str))
    if tag in ("list", "tuple"):
        items = [_decode(item, budget, depth + 1) for item in _field(data, "v", list)]
        return items if tag == "list" else tuple(items)
    if tag == "dict":
        result = {}
        for pair in _field(data, "v", list):
            if not (isinstance(pair, list) and len(pair) == 2):
                raise Undecodable("a dict entry should be a [key, value] pair")
            key = _decode(pair[0], budget, depth + 1)
            try:
                result[key] = _decode(pair[1], budget, depth + 1)
            except TypeError:
                raise Undecodable(f"unhashable dict key of type {type(key).__name__}") from None
        return result
    if tag in ("ndarray", "npscalar"):
        array = _decode_array(data, budget)
        return array if tag == "ndarray" else array.reshape(())[()]
    if tag == "rng":
        return _decode_rng(data, budget, depth)
    if tag == "keras":
        return _decode_keras(data, budget)
    if tag == "opaque":
        name = _field(data, "type", str)
        if not NAME.fullmatch(name):
            name = "object"
        return type(name.replace(".", "_"), (Opaque,), {})(_field(data, "repr", str)[:300])
    raise Undecodable(f"unknown kind {tag!r}")


def _base64(text: str, budget: _Budget) -> bytes:
    budget.spend(len(text) * 3 // 4, 0)
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise Undecodable("invalid base64 data") from None


def _decode_array(data: dict, budget: _Budget):
    import numpy as np

    dtype_text = _field(data, "dtype", str)
    if not DTYPE.fullmatch(dtype_text):
        raise Undecodable(f"dtype {dtype_text!r} is not a numeric or bool dtype")
    dtype = np.dtype(dtype_text)
    shape = _field(data, "shape", list)
    if len(shape) > 32 or not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n for n in shape):
        raise Undecodable(f"shape {shape!r:.80}")
    size = math.prod(shape)
    if size * dtype.itemsize > MAX_BYTES:
        raise Undecodable(f"an array of {size:,} values is larger than {MAX_BYTES // 2**20} MiB")
    raw = _base64(_field(data, "v", str), budget)
    if len(raw) != size * dtype.itemsize:
        raise Undecodable(f"{len(raw)} bytes for an array of shape {tuple(shape)} and dtype {dtype_text}")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def _decode_rng(data: dict, budget: _Budget, depth: int):
    import numpy as np

    name = _field(data, "bit_generator", str)
    if name not in BIT_GENERATORS:
        raise Undecodable(f"bit generator {name!r}")
    state = _decode(data.get("state"), budget, depth + 1)
    bits = getattr(np.random, name)()
    try:
        bits.state = state
    except (TypeError, ValueError, KeyError) as error:
        raise Undecodable(f"a {name} state that NumPy refuses ({error})") from None
    return np.random.Generator(bits)


def _check_keras_config(config, path: str = "config") -> None:
    """Only Keras' own classes: every serialized object names a keras module, no Lambda, no custom class."""
    if isinstance(config, list):
        for item in config:
            _check_keras_config(item, path)
        return
    if not isinstance(config, dict):
        return
    if "class_name" in config:
        name, module = config.get("class_name"), config.get("module")
        if name == "__lambda__" or name == "Lambda":
            raise Undecodable(
                "it contains a Lambda layer (Python code), which the grader does not run; use Keras' built-in layers"
            )
        if not (isinstance(name, str) and NAME.fullmatch(name)):
            raise Undecodable(f"a layer of class {name!r:.60}")
        if module is not None and not (isinstance(module, str) and (module == "keras" or module.startswith("keras."))):
            raise Undecodable(
                f"its layer or model class {name} is defined in {module!r:.60}, not in Keras; the "
                "grader rebuilds only Keras' built-in layers and models (Sequential or "
                "keras.Model(inputs, outputs))"
            )
        if config.get("registered_name") not in (None, name):
            raise Undecodable(
                f"its class {config.get('registered_name')!r:.60} is a custom (registered) class; the "
                "grader rebuilds only Keras' built-in layers"
            )
    for key, value in config.items():
        _check_keras_config(value, f"{path}.{key}")


def _decode_keras(data: dict, budget: _Budget):
    config = data.get("config")
    if not isinstance(config, dict):
        raise Undecodable("a Keras object without its config")
    _check_keras_config(config)
    weights = [_decode_array(w, budget) for w in _field(data, "weights", list) if isinstance(w, dict)]
    import keras

    try:
        obj = keras.saving.deserialize_keras_object(config, safe_mode=True)
    except Exception as error:  # Keras refuses or fails: say so, never retry unsafely
        raise Undecodable(
            f"Keras could not rebuild it from its config ({type(error).__name__}: {str(error)[:200]})"
        ) from None
    if weights:
        try:
            obj.set_weights(weights)
        except Exception as error:
            raise Undecodable(
                f"its weights do not fit the rebuilt model ({type(error).__name__}: {str(error)[:200]})"
            ) from None
    return obj
