#!/usr/bin/python3
"""Writes the .npy/.npz fixtures under tests/fixtures/npy/ with Debian's numpy, plus manifest.json holding each
array's dtype, shape and values (flattened in C order) so the C# tests compare against numpy, not against themselves.

Run from the repository root:  /usr/bin/python3 tools/reference/npy_fixtures.py
"""
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "npy")


def values(a):
    flat = np.ascontiguousarray(a).reshape(-1)
    if a.dtype == np.bool_:
        return [bool(v) for v in flat]
    if a.dtype.kind == "f":
        # repr of a Python float round-trips exactly; float32 values are exactly representable as doubles.
        return [float(v) for v in flat]
    return [int(v) for v in flat]


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(1234)
    base = rng.standard_normal((2, 3, 4))
    arrays = {
        "f4": (base * 3).astype("<f4"),
        "f8": (base * 1e5).astype("<f8"),
        "i8": (rng.integers(-2**40, 2**40, (3, 5))).astype("<i8"),
        "i4": (rng.integers(-2**30, 2**30, (4, 3))).astype("<i4"),
        "i2": (rng.integers(-2**15, 2**15, (7,))).astype("<i2"),
        "i1": np.array([-128, -1, 0, 1, 127], dtype="i1"),
        "u1": (rng.integers(0, 256, (2, 2, 3))).astype("u1"),
        "u2": np.array([0, 1, 65535, 40000], dtype="<u2"),
        "u4": np.array([0, 1, 4294967295, 3000000000], dtype="<u4"),
        "b1": np.array([[True, False, True], [False, False, True]]),
        "scalar_f4": np.array(2.5, dtype="<f4"),
        "empty_f4": np.zeros((0, 3), dtype="<f4"),
        "vec_i8": np.arange(6, dtype="<i8"),
        "be_f4": (base * 3).astype(">f4"),
        "be_f8": (base * 1e5).astype(">f8"),
        "be_i8": np.array([[1, -2, 2**40], [3, -2**50, 5]], dtype=">i8"),
        "be_i4": np.array([1, -2, 2**30, -7], dtype=">i4"),
        "be_i2": np.array([1, -2, 300, -32768], dtype=">i2"),
        "fortran_f4": np.asfortranarray((base[0] * 3).astype("<f4")),
        "fortran_3d_i8": np.asfortranarray(np.arange(24, dtype="<i8").reshape(2, 3, 4)),
        "fortran_be_f8": np.asfortranarray((base[1] * 7).astype(">f8")),
    }
    manifest = {}
    for name, a in arrays.items():
        np.save(os.path.join(OUT, name + ".npy"), a)
        back = np.load(os.path.join(OUT, name + ".npy"))
        assert back.dtype == a.dtype and back.shape == a.shape and back.flags.f_contiguous == a.flags.f_contiguous
        manifest[name] = {"dtype": a.dtype.str, "shape": list(a.shape), "fortran": bool(a.flags.f_contiguous and a.ndim > 1),
                          "values": values(a)}
    # Format version 2.0 (4-byte header length), as numpy writes for huge headers.
    with open(os.path.join(OUT, "v2_f8.npy"), "wb") as f:
        np.lib.format.write_array(f, arrays["f8"], version=(2, 0))
    manifest["v2_f8"] = dict(manifest["f8"])

    npz = {"weight": arrays["f4"], "bias": np.array([0.5, -1.5], dtype="<f4"), "labels": arrays["vec_i8"], "mask": arrays["b1"]}
    np.savez(os.path.join(OUT, "stored.npz"), **npz)
    np.savez_compressed(os.path.join(OUT, "compressed.npz"), **npz)
    np.savez(os.path.join(OUT, "positional.npz"), arrays["i4"], arrays["u1"])  # entries arr_0.npy, arr_1.npy
    manifest["npz"] = {k: {"dtype": v.dtype.str, "shape": list(v.shape), "values": values(v)} for k, v in npz.items()}
    manifest["positional"] = {k: {"dtype": v.dtype.str, "shape": list(v.shape), "values": values(v)}
                              for k, v in (("arr_0", arrays["i4"]), ("arr_1", arrays["u1"]))}
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
