#!/usr/bin/python3
"""PyTorch forward references for the tensor-engine tests (tests/NativeNet.Tests/Ops/TorchReferenceTests.cs).

Run with Debian's python3 (torch 1.13, numpy):  /usr/bin/python3 tools/reference/op_fixtures.py
Writes tests/fixtures/ops/:
  manifest.json      one entry per case: op, params, input names, output names, and the archive holding its arrays
  <family>.npz       a zip of .npy arrays (read entry by entry with Npy.Read):
                       <case>.<input>.npy       float64 inputs drawn from a fixed numpy seed (the float32 run casts them)
                       <case>.<output>.f64.npy  torch's output for float64 inputs
                       <case>.<output>.f32.npy  torch's output for float32 inputs (cast of the same values)
  repr.json          repr(tensor) strings for the ToString tests
Deterministic: rerunning rewrites identical files (fixed zip timestamps). Keep it small (< 300 KB in all).
"""
import io
import json
import os
import sys
import zipfile

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures", "ops")
rng = np.random.default_rng(20240611)
manifest = []
archives = {}  # family -> {entry name: array}
shared = {}  # (family, id(input array)) -> (entry name, array kept alive so ids stay unique)
family = "misc"


def rand(*shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, size=shape)


def save(name, arr):
    archives.setdefault(family, {})[name] = np.array(arr, order="C")  # ascontiguousarray would make 0-D arrays 1-D


def write_archives():
    for fam, arrays in archives.items():
        with zipfile.ZipFile(os.path.join(OUT, fam + ".npz"), "w", zipfile.ZIP_DEFLATED) as z:
            for name, arr in arrays.items():
                buf = io.BytesIO()
                np.save(buf, arr, allow_pickle=False)
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, buf.getvalue())


def case(name, op, fn, inputs, params=None, outputs=("y",), dtypes=("float64", "float32")):
    """fn(*torch_inputs) -> tensor or tuple of tensors (one per output name)."""
    entries = []
    for k, v in inputs.items():
        key = (family, id(v))
        if key not in shared:  # cases that reuse one input array store it once
            shared[key] = (f"{name}.{k}.npy", v)
            save(shared[key][0], np.asarray(v, dtype=np.float64))
        entries.append(shared[key][0])
    for dt in dtypes:
        tdt = torch.float64 if dt == "float64" else torch.float32
        ts = [torch.tensor(np.asarray(v, dtype=np.float64)).to(tdt) for v in inputs.values()]
        ys = fn(*ts)
        if not isinstance(ys, tuple):
            ys = (ys,)
        assert len(ys) == len(outputs), name
        for oname, y in zip(outputs, ys):
            save(f"{name}.{oname}.{'f64' if dt == 'float64' else 'f32'}.npy", y.detach().numpy())
    manifest.append({"name": name, "file": family + ".npz", "op": op, "params": params or {}, "inputs": list(inputs),
                     "input_entries": entries, "outputs": list(outputs), "dtypes": list(dtypes)})


def creation(name, op, fn, params, dtype):
    y = fn()
    assert str(y.dtype) == "torch." + dtype, (name, y.dtype)
    save(f"{name}.y.npy", y.numpy())
    manifest.append({"name": name, "file": family + ".npz", "op": op, "params": dict(params, dtype=dtype), "inputs": [],
                     "input_entries": [], "outputs": ["y"], "dtypes": [dtype]})


def conv_cases():
    specs = [
        # name, x shape, w shape, bias, stride, padding, dilation, groups
        ("conv_k4_s2_p2_bias", (2, 3, 7, 6), (4, 3, 4, 4), True, (2, 2), (2, 2), (1, 1), 1),
        ("conv_nonsquare", (1, 2, 6, 9), (3, 2, 2, 4), True, (2, 3), (1, 2), (1, 1), 1),
        ("conv_dilation_2x3", (1, 2, 9, 10), (2, 2, 3, 3), False, (1, 1), (2, 1), (2, 3), 1),
        ("conv_groups2_s2", (2, 4, 7, 6), (6, 2, 3, 3), True, (2, 2), (0, 0), (1, 1), 2),
        ("conv_depthwise_x2", (1, 3, 6, 6), (6, 1, 3, 3), True, (2, 2), (1, 1), (1, 1), 3),
        ("conv_1x1", (2, 5, 3, 4), (3, 5, 1, 1), False, (1, 1), (0, 0), (1, 1), 1),
        ("conv_16ch", (1, 16, 5, 5), (8, 16, 3, 3), True, (1, 1), (1, 1), (1, 1), 1),
        ("conv_stride3_pad2", (2, 1, 8, 7), (2, 1, 4, 3), True, (3, 3), (2, 2), (1, 1), 1),
    ]
    for name, xs, ws, bias, s, p, d, g in specs:
        inputs = {"x": rand(*xs), "w": rand(*ws)}
        if bias:
            inputs["b"] = rand(ws[0])
        case(name, "conv2d", lambda x, w, b=None: F.conv2d(x, w, b, s, p, d, g), inputs,
             {"stride": list(s), "padding": list(p), "dilation": list(d), "groups": g})


def pool_cases():
    mp = [
        ("maxpool_k3_s1_p1", (1, 2, 6, 5), (3, 3), (1, 1), (1, 1), (1, 1), False),
        ("maxpool_ceil_k2", (1, 2, 7, 9), (2, 2), (2, 2), (0, 0), (1, 1), True),
        ("maxpool_ceil_k3_p1", (1, 1, 8, 8), (3, 3), (2, 2), (1, 1), (1, 1), True),
        ("maxpool_ceil_k3_s3", (1, 1, 10, 11), (3, 3), (3, 3), (0, 0), (1, 1), True),
        ("maxpool_dilation2", (1, 1, 7, 7), (2, 2), (1, 1), (0, 0), (2, 2), False),
        ("maxpool_nonsquare", (2, 1, 6, 7), (2, 3), (2, 1), (1, 1), (1, 1), False),
    ]
    for name, xs, k, s, p, d, ceil in mp:
        case(name, "max_pool2d", lambda x: F.max_pool2d(x, k, s, p, d, ceil_mode=ceil), {"x": rand(*xs)},
             {"kernel": list(k), "stride": list(s), "padding": list(p), "dilation": list(d), "ceil_mode": ceil})
    ap = [
        ("avgpool_k3_s3_p1_incl", (1, 2, 8, 7), (3, 3), (3, 3), (1, 1), False, True),
        ("avgpool_k3_s3_p1_excl", (1, 2, 8, 7), (3, 3), (3, 3), (1, 1), False, False),
        ("avgpool_ceil_p1_incl", (1, 1, 6, 5), (3, 3), (2, 2), (1, 1), True, True),
        ("avgpool_ceil_p1_excl", (1, 1, 6, 5), (3, 3), (2, 2), (1, 1), True, False),
        ("avgpool_ceil_nopad", (1, 2, 5, 7), (2, 2), (2, 2), (0, 0), True, True),
        ("avgpool_nonsquare", (2, 1, 5, 6), (3, 2), (1, 2), (1, 0), False, True),
        ("avgpool_ceil_kernel_over_input", (1, 2, 2, 2), (3, 3), (3, 3), (0, 0), True, True),
        ("avgpool_ceil_s3_p1_excl", (1, 1, 7, 8), (3, 3), (3, 3), (1, 1), True, False),
    ]
    for name, xs, k, s, p, ceil, incl in ap:
        case(name, "avg_pool2d", lambda x: F.avg_pool2d(x, k, s, p, ceil_mode=ceil, count_include_pad=incl),
             {"x": rand(*xs)},
             {"kernel": list(k), "stride": list(s), "padding": list(p), "ceil_mode": ceil, "count_include_pad": incl})
    ad = [
        ("adaptive_7x5_to_3x2", (2, 3, 7, 5), (3, 2)),
        ("adaptive_global", (2, 2, 6, 6), (1, 1)),
        ("adaptive_5x7_to_4x4", (1, 2, 5, 7), (4, 4)),
        ("adaptive_upsample", (1, 1, 3, 3), (5, 4)),
        ("adaptive_3d_input", (2, 5, 6), (2, 4)),
    ]
    for name, xs, o in ad:
        case(name, "adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, o), {"x": rand(*xs)}, {"output": list(o)})


def softmax_cases():
    x = rand(3, 4, 5) * 5
    for d in (0, -2, 2, -1):  # dim 1 is covered by make_fixtures.py (branch infra)
        case(f"softmax_dim{d}", "softmax", lambda t: torch.softmax(t, d), {"x": x}, {"dim": d})
        case(f"log_softmax_dim{d}", "log_softmax", lambda t: torch.log_softmax(t, d), {"x": x}, {"dim": d})
    big = rand(4, 6) * 30 + 1000
    case("softmax_large", "softmax", lambda t: torch.softmax(t, 1), {"x": big}, {"dim": 1})
    case("log_softmax_large", "log_softmax", lambda t: torch.log_softmax(t, 1), {"x": big}, {"dim": 1})
    withinf = rand(3, 4)
    withinf[0, 1] = -np.inf
    withinf[2, :3] = -np.inf
    case("softmax_neg_inf", "softmax", lambda t: torch.softmax(t, 1), {"x": withinf}, {"dim": 1})
    case("log_softmax_neg_inf_dim0", "log_softmax", lambda t: torch.log_softmax(t, 0), {"x": withinf}, {"dim": 0})


def matmul_cases():
    specs = [
        ("matmul_1d_1d", (5,), (5,)),
        ("matmul_2d_1d", (3, 4), (4,)),
        ("matmul_1d_3d", (4,), (2, 4, 3)),
        ("matmul_3d_2d", (2, 3, 4), (4, 6)),
        ("matmul_2d_3d", (3, 4), (2, 4, 2)),
        ("matmul_bcast_both", (3, 1, 2, 4), (2, 4, 3)),
        ("matmul_4d_4d", (2, 3, 2, 5), (2, 3, 5, 3)),
    ]
    for name, sa, sb in specs:
        case(name, "matmul", lambda a, b: torch.matmul(a, b), {"a": rand(*sa), "b": rand(*sb)})


def stat_cases():
    x = rand(3, 4, 5) * 3 + 1
    dimsets = [None, [-2], [0, 2], [-1], [2, 0, 1]]  # dim=1 alone is in make_fixtures.py
    for i, dims in enumerate(dimsets):
        for corr in (1, 0):
            for keep in (False, True):
                if i % 2 == 1 and keep:  # keep the fixture count down
                    continue
                tag = f"{i}_c{corr}_k{int(keep)}"
                kw = {"dim": dims} if dims is not None else {}
                case(f"var_{tag}", "var", lambda t: torch.var(t, **kw, unbiased=bool(corr), keepdim=keep) if dims is not None else torch.var(t, unbiased=bool(corr)),
                     {"x": x}, {"dims": dims, "correction": corr, "keepdim": keep if dims is not None else False})
                case(f"std_{tag}", "std", lambda t: torch.std(t, **kw, unbiased=bool(corr), keepdim=keep) if dims is not None else torch.std(t, unbiased=bool(corr)),
                     {"x": x}, {"dims": dims, "correction": corr, "keepdim": keep if dims is not None else False})
    for i, dims in enumerate([[-2], [0, 2], [-1], [0, 1, 2]]):
        for keep in (False, True):
            case(f"logsumexp_{i}_k{int(keep)}", "logsumexp", lambda t: torch.logsumexp(t, dims, keepdim=keep), {"x": x},
                 {"dims": dims, "keepdim": keep})
    big = rand(3, 4) * 100 + 800
    case("logsumexp_large", "logsumexp", lambda t: torch.logsumexp(t, [-1]), {"x": big}, {"dims": [-1], "keepdim": False})
    x4 = rand(2, 3, 4, 5)
    for op, fn in (("sum", torch.sum), ("mean", torch.mean), ("amax", torch.amax), ("amin", torch.amin)):
        for dims in ([0, 2], [1, 3], [-1, -3], [0, 3]):
            for keep in (False, True):
                tag = "_".join(str(d).replace("-", "m") for d in dims)
                case(f"{op}_nonadjacent_{tag}_k{int(keep)}", op, lambda t: fn(t, dims, keepdim=keep), {"x": x4},
                     {"dims": dims, "keepdim": keep})


def unary_cases():
    g = np.concatenate([np.linspace(-6, 6, 61), [-10.0, -3.5, -1e-3, 0.0, 1e-4, 7.5, 12.0]])
    for approx in ("none", "tanh"):
        case(f"gelu_{approx}_range", "gelu", lambda t: F.gelu(t, approximate=approx), {"x": g}, {"approximate": approx})
    e = np.array([0.0, -0.0, 5e-324, 1e-300, 1e-30, 1e-10, -1e-10, 1e-5, -1e-5, 1e-3, 0.1, -0.3, 0.5, 0.9, 1.0, -1.5,
                  2.0, 2.49, 2.5, -2.5, 2.51, 3.0, 3.7, -4.2, 5.0, 5.9, 5.99, 6.0, 6.01, -6.5, 10.0, 27.0, -27.0,
                  1e10, np.inf, -np.inf, np.nan])
    case("erf", "erf", lambda t: torch.erf(t), {"x": e})
    c = np.array([-3.0, -1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0, 3.0, np.nan, np.inf, -np.inf])
    for name, lo, hi in (("both", -0.5, 0.75), ("min", -0.3, None), ("max", None, 0.2), ("inverted", 1.0, -1.0)):
        case(f"clamp_{name}", "clamp", lambda t: torch.clamp(t, lo, hi), {"x": c}, {"min": lo, "max": hi})
    r = np.array([-7.0, -5.5, -3.0, -1.0, -0.25, 0.0, 0.25, 1.0, 3.0, 4.5, 7.0, -1e-8])
    for s in (3.0, -3.0, 1.5, -0.7):
        case(f"remainder_{str(s).replace('-', 'm').replace('.', 'p')}", "remainder", lambda t: torch.remainder(t, s),
             {"x": r}, {"s": s})
    nb = np.array([-3.0, -2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 2.0, 3.0])
    for p in (2.0, 3.0, -1.0, -2.0, 0.5, 1.5, 0.0):
        case(f"pow_{str(p).replace('-', 'm').replace('.', 'p')}", "pow_scalar", lambda t: torch.pow(t, p), {"x": nb}, {"p": p})
    base = np.array([[-2.0, -1.5, 0.5], [2.0, -3.0, 1.25]])
    expo = np.array([[2.0, 3.0, -1.0], [0.5, -2.0, 2.5]])
    case("pow_tensor_negative_base", "pow_tensor", lambda a, b: torch.pow(a, b), {"a": base, "b": expo})
    case("pow_tensor_bcast", "pow_tensor", lambda a, b: torch.pow(a, b), {"a": np.abs(rand(2, 3)) + 0.5, "b": rand(3)})


def argmax_cases():
    x = np.array([[1.0, 3.0, 3.0, 2.0], [5.0, 5.0, 5.0, 5.0], [-1.0, -2.0, -1.0, -2.0]])
    for op, fn in (("argmax", torch.argmax), ("argmin", torch.argmin)):
        for dim in (0, 1, -1):
            for keep in (False, True):
                case(f"{op}_ties_d{dim}_k{int(keep)}".replace("-", "m"), op, lambda t: fn(t, dim, keepdim=keep), {"x": x},
                     {"dim": dim, "keepdim": keep})
        case(f"{op}_ties_flat", op, lambda t: fn(t), {"x": x}, {"dim": None, "keepdim": False})
        x3 = np.zeros((2, 3, 4))
        x3[0, 1, :] = 1.0
        x3[1, 2, 1] = 1.0
        x3[1, 0, 1] = 1.0
        case(f"{op}_ties_3d_mid", op, lambda t: fn(t, 1), {"x": x3 * (1 if op == "argmax" else -1)}, {"dim": 1, "keepdim": False})
    n = np.array([[1.0, np.nan, 3.0, np.nan], [2.0, 1.0, 0.0, 1.0]])
    case("argmax_nan", "argmax", lambda t: torch.argmax(t, 1), {"x": n}, {"dim": 1, "keepdim": False})
    case("argmin_nan", "argmin", lambda t: torch.argmin(t, 1), {"x": n}, {"dim": 1, "keepdim": False})
    case("max_dim_ties", "max_dim", lambda t: torch.max(t, 1), {"x": x}, {"dim": 1, "keepdim": False}, outputs=("values", "indices"))
    case("min_dim_ties_keep", "min_dim", lambda t: torch.min(t, 0, keepdim=True), {"x": x}, {"dim": 0, "keepdim": True},
         outputs=("values", "indices"))


def creation_cases():
    for i, (a, b, s, dt) in enumerate([(0, 1, 0.1, "float32"), (-3, 3, 0.7, "float32"), (1, 2.5, 0.5, "float64"),
                                       (0, 10, 1, "int64"), (0, -5, -1.5, "float32"), (2, 17, 3, "int64"),
                                       (0.5, 4, 1, "float32"), (-1, 1, 0.25, "float64")]):
        creation(f"arange_{i}", "arange", lambda: torch.arange(a, b, s, dtype=getattr(torch, dt)),
                 {"start": a, "end": b, "step": s}, dt)
    for i, (a, b, n, dt) in enumerate([(0, 1, 7, "float32"), (-2, 3, 50, "float32"), (1, 1, 1, "float32"),
                                       (0, 1, 0, "float32"), (10, -10, 9, "float64"), (0, 1, 2, "float64"),
                                       (-1e3, 1e-3, 33, "float32")]):
        creation(f"linspace_{i}", "linspace", lambda: torch.linspace(a, b, n, dtype=getattr(torch, dt)),
                 {"start": a, "end": b, "steps": n}, dt)


def gen_values(spec):
    n = spec["n"]
    if spec["kind"] == "arange":
        return [float(i) for i in range(n)]
    if spec["kind"] == "mix":  # exact in binary64 on both sides
        return [((i * 7919) % 1000) / 37.0 - 13.0 for i in range(n)]
    raise ValueError(spec)


def repr_cases():
    cases = []

    def add(name, values, shape, dtype, requires_grad=False, op=None, gen=None):
        dt = getattr(torch, dtype)
        vals = gen_values(gen) if gen else values
        if dtype == "bool":
            t = torch.tensor([bool(v) for v in vals], dtype=dt)
        elif dtype in ("int64", "int32", "uint8"):
            t = torch.tensor([int(v) for v in vals], dtype=dt)
        else:
            t = torch.tensor([float(v) for v in vals], dtype=dt)
        t = t.reshape(shape)
        if requires_grad:
            t.requires_grad_(True)
        if op == "mul2":
            t = t * 2
        entry = {"name": name, "shape": list(shape), "dtype": dtype, "requires_grad": requires_grad, "op": op,
                 "expected": repr(t)}
        if gen:
            entry["gen"] = gen
        else:
            entry["values"] = [repr(float(v)) for v in values]
        cases.append(entry)

    add("int64_1d", [1, 2, 3], [3], "int64")
    add("int64_2d", [1, -20, 3, 400, 5, 6], [2, 3], "int64")
    add("int32_2d", [7, 0, -1, 12], [2, 2], "int32")
    add("uint8", [0, 255, 17], [3], "uint8")
    add("bool", [1, 0, 1, 1], [2, 2], "bool")
    add("float_int_values", [1.0, 2.0], [2], "float32")
    add("float_int_values_2d", [1.0, -2.0, 30.0, 4.0], [2, 2], "float32")
    add("float_plain", [0.5, -1.25, 3.0], [3], "float32")
    add("float_one_third", [1 / 3, 2 / 3, 1.0], [3], "float32")
    add("float_small_sci", [1e-5, 1.0, 100.0], [3], "float32")
    add("float_big_sci", [1e10, 1.0], [2], "float32")
    add("float_ratio_sci", [123456789.0, 1.5], [2], "float32")
    add("float_int_sci", [1.0, 5000.0], [2], "float32")
    add("float_tiny", [1e-20, -3e-7], [2], "float32")
    add("float64", [1.5, 2.25], [2], "float64")
    add("float64_third", [1 / 3, -2.0], [2], "float64")
    add("float_nonfinite", [float("nan"), float("inf"), float("-inf"), 1.5], [4], "float32")
    add("float_nonfinite_int", [float("nan"), 1.0, 2.0], [3], "float32")
    add("float_all_nan", [float("nan"), float("nan")], [2], "float32")
    add("float_neg_zero", [-0.0, 1.0], [2], "float32")
    add("float_zeros", [0.0, 0.0, 0.0], [3], "float32")
    add("float_3d", [], [2, 3, 4], "float32", gen={"kind": "mix", "n": 24})
    add("float_wrap", [], [30], "float32", gen={"kind": "mix", "n": 30})
    add("int_wrap", [], [40], "int64", gen={"kind": "arange", "n": 40})
    add("scalar_float", [3.5], [], "float32")
    add("scalar_int", [7], [], "int64")
    add("scalar_float64", [0.1], [], "float64")
    add("requires_grad", [1.0, 2.0], [2], "float32", requires_grad=True)
    add("requires_grad_float64", [1.0, 2.5], [2], "float64", requires_grad=True)
    add("grad_fn", [1.0, 2.0], [2], "float32", requires_grad=True, op="mul2")
    add("empty_1d", [], [0], "float32")
    add("empty_2d", [], [2, 0], "float32")
    add("empty_int64", [], [0], "int64")
    add("empty_3d_float64", [], [0, 3, 1], "float64")
    add("summarized_int_1d", [], [2000], "int64", gen={"kind": "arange", "n": 2000})
    add("summarized_float_2d", [], [30, 100], "float32", gen={"kind": "mix", "n": 3000})
    add("summarized_float_3d", [], [12, 10, 10], "float32", gen={"kind": "mix", "n": 1200})
    add("summarized_int_2d", [], [1001, 1], "int64", gen={"kind": "arange", "n": 1001})

    # The issue's autograd example: a = [1, 2, 3]; a.pow(2).mean().backward(); print(a.grad)
    a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a.pow(2).mean().backward()
    cases.append({"name": "issue_grad_example", "special": "issue_grad", "expected": repr(a.grad)})
    return cases


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith((".npy", ".npz", ".json")):
            os.remove(os.path.join(OUT, f))
    torch.set_num_threads(1)
    global family
    for family, make in (("conv", conv_cases), ("pool", pool_cases), ("softmax", softmax_cases), ("matmul", matmul_cases),
                         ("stats", stat_cases), ("unary", unary_cases), ("argmax", argmax_cases),
                         ("creation", creation_cases)):
        make()
    write_archives()
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        lines = ",\n  ".join(json.dumps(c) for c in manifest)
        f.write('{"generator": "tools/reference/op_fixtures.py", "torch": "%s", "cases": [\n  %s\n]}\n' % (torch.__version__, lines))
    with open(os.path.join(OUT, "repr.json"), "w") as f:
        json.dump({"generator": "tools/reference/op_fixtures.py", "torch": torch.__version__, "cases": repr_cases()}, f, indent=1)
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"{len(manifest)} op cases, {total / 1024:.0f} KB in {os.path.relpath(OUT)}")


if __name__ == "__main__":
    sys.exit(main())
