#!/usr/bin/python3
"""PyTorch 1.13 references for NativeNet's NN and Optim tests.

Run with Debian's python3 (it has torch 1.13):  /usr/bin/python3 tools/reference/nn_fixtures.py
Writes small .npy files under tests/fixtures/nn/<case>/<name>.npy. Deterministic (fixed seeds).
"""
import os
import shutil

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures", "nn")


def save(case, **arrays):
    d = os.path.join(ROOT, case)
    os.makedirs(d, exist_ok=True)
    for name, a in arrays.items():
        if isinstance(a, torch.Tensor):
            a = a.detach().numpy()
        np.save(os.path.join(d, name + ".npy"), np.array(a, copy=True, order="C"))


def model_case():
    """The issue's net: Sequential(Conv2d, ReLU, MaxPool2d, Flatten, Linear); logits, CE loss, grads, 3 Adam steps."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 4, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
    x = torch.randn(8, 1, 8, 8)
    y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    state = {("param." + k): v.clone() for k, v in net.state_dict().items()}
    logits = net(x)
    loss = nn.CrossEntropyLoss()(logits, y)
    loss.backward()
    grads = {("grad." + k): p.grad.clone() for k, p in net.named_parameters()}
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    opt.step()
    for _ in range(2):
        opt.zero_grad()
        nn.CrossEntropyLoss()(net(x), y).backward()
        opt.step()
    after = {("adam3." + k): v.clone() for k, v in net.state_dict().items()}
    save("model", x=x, target=y, logits=logits, loss=loss, **state, **grads, **after)


OPTIMIZERS = {
    "sgd": lambda ps: torch.optim.SGD(ps, lr=0.1),
    "sgd_momentum": lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "sgd_nesterov": lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    "sgd_maximize": lambda ps: torch.optim.SGD(ps, lr=0.02, momentum=0.5, maximize=True),
    "adam": lambda ps: torch.optim.Adam(ps, lr=0.01),
    "adam_wd_amsgrad": lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, amsgrad=True),
    "adamw": lambda ps: torch.optim.AdamW(ps, lr=0.01, weight_decay=0.1),
    "adamw_amsgrad": lambda ps: torch.optim.AdamW(ps, lr=0.02, amsgrad=True),
    "rmsprop": lambda ps: torch.optim.RMSprop(ps, lr=0.01),
    "rmsprop_centered_momentum": lambda ps: torch.optim.RMSprop(ps, lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.01, momentum=0.5, centered=True),
}


def problem(dtype=torch.float32):
    """A small regression whose gradients depend on the parameters: mean((X·Wᵀ + b - Y)²) + 0.05·Σ W⁴."""
    g = torch.Generator().manual_seed(7)
    X = torch.randn(5, 4, generator=g, dtype=dtype)
    Y = torch.randn(5, 3, generator=g, dtype=dtype)
    W = torch.randn(3, 4, generator=g, dtype=dtype)
    b = torch.randn(3, generator=g, dtype=dtype)
    return X, Y, W, b


def loss_fn(X, Y, W, b):
    return ((X @ W.T + b - Y) ** 2).mean() + 0.05 * (W ** 4).sum()


def optimizer_cases(steps=8):
    X, Y, W0, b0 = problem()
    save("optim/problem", X=X, Y=Y, W=W0, b=b0)
    for name, make in OPTIMIZERS.items():
        W = W0.clone().requires_grad_()
        b = b0.clone().requires_grad_()
        opt = make([W, b])
        ws, bs = [], []
        for _ in range(steps):
            opt.zero_grad()
            loss_fn(X, Y, W, b).backward()
            opt.step()
            ws.append(W.detach().clone())
            bs.append(b.detach().clone())
        save("optim/" + name, W=torch.stack(ws), b=torch.stack(bs))
    # SGD with momentum under StepLR: the scheduler's lr reaches the update.
    W = W0.clone().requires_grad_()
    b = b0.clone().requires_grad_()
    opt = torch.optim.SGD([W, b], lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    ws = []
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(X, Y, W, b).backward()
        opt.step()
        sched.step()
        ws.append(W.detach().clone())
    save("optim/sgd_steplr", W=torch.stack(ws))


def scheduler_cases(steps=25):
    def run(name, make_sched, lrs=(0.1,)):
        ps = [torch.zeros(1, requires_grad=True) for _ in lrs]
        opt = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(ps, lrs)], lr=lrs[0])
        sched = make_sched(opt)
        out = [sched.get_last_lr()]
        for _ in range(steps):
            opt.step()
            sched.step()
            out.append(sched.get_last_lr())
        save("sched/" + name, lr=np.array(out, dtype=np.float64))

    run("steplr", lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=4, gamma=0.5))
    run("multisteplr", lambda o: torch.optim.lr_scheduler.MultiStepLR(o, milestones=[3, 7, 7, 12], gamma=0.3))
    run("exponentiallr", lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9))
    run("cosine", lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.001), lrs=(0.1, 0.02))


def batchnorm_cases():
    torch.manual_seed(1)
    r = lambda *s: torch.randn(*s, dtype=torch.float64)
    for name, shape, mod, momentum in [("bn2d", (4, 3, 5, 5), nn.BatchNorm2d, 0.1), ("bn2d_cma", (4, 3, 5, 5), nn.BatchNorm2d, None),
                                       ("bn1d_2d", (6, 4), nn.BatchNorm1d, 0.3), ("bn1d_3d", (5, 4, 3), nn.BatchNorm1d, 0.1)]:
        c = shape[1]
        bn = mod(c, momentum=momentum).double()
        with torch.no_grad():
            bn.weight.copy_(torch.rand(c, dtype=torch.float64) + 0.5)
            bn.bias.copy_(r(c))
        x1 = (r(*shape) * 2 + 1).requires_grad_()
        x2 = r(*shape) * 0.5 - 1
        x3 = r(*shape)
        w0, b0 = bn.weight.detach().clone(), bn.bias.detach().clone()
        y1 = bn(x1)
        up = r(*shape)
        (y1 * up).sum().backward()
        bn(x2)
        bn.eval()
        y3 = bn(x3)
        save("norm/" + name, weight=w0, bias=b0, x1=x1, x2=x2, x3=x3, y1=y1, up=up, gx1=x1.grad, gweight=bn.weight.grad,
             gbias=bn.bias.grad, running_mean=bn.running_mean, running_var=bn.running_var,
             num_batches_tracked=bn.num_batches_tracked, y3=y3)


def layernorm_case():
    torch.manual_seed(2)
    ln = nn.LayerNorm([3, 4], eps=1e-5).double()
    with torch.no_grad():
        ln.weight.copy_(torch.rand(3, 4, dtype=torch.float64) + 0.5)
        ln.bias.copy_(torch.randn(3, 4, dtype=torch.float64))
    x = torch.randn(2, 3, 4, dtype=torch.float64, requires_grad=True)
    y = ln(x)
    up = torch.randn(2, 3, 4, dtype=torch.float64)
    (y * up).sum().backward()
    save("norm/layernorm", weight=ln.weight, bias=ln.bias, x=x, y=y, up=up, gx=x.grad, gweight=ln.weight.grad, gbias=ln.bias.grad)


def embedding_case():
    torch.manual_seed(3)
    emb = nn.Embedding(10, 3, padding_idx=1).double()
    idx = torch.tensor([[0, 1, 4, 9], [4, 4, 1, 2]])
    w0 = emb.weight.detach().clone()
    y = emb(idx)
    up = torch.randn(2, 4, 3, dtype=torch.float64)
    (y * up).sum().backward()
    save("embedding", weight=w0, idx=idx, y=y, up=up, gweight=emb.weight.grad)


def loss_cases():
    torch.manual_seed(4)
    d = torch.float64

    def grad_case(name, fn, inp, *rest):
        x = inp.clone().requires_grad_()
        loss = fn(x, *rest)
        loss.sum().backward()
        save("loss/" + name, input=inp, loss=loss, grad=x.grad)

    logits = torch.randn(6, 4, dtype=d)
    tgt = torch.tensor([0, 3, -100, 1, 2, 3])
    weight = torch.tensor([0.5, 1.0, 2.0, 1.5], dtype=d)
    save("loss/ce_common", target=tgt, weight=weight)
    grad_case("ce_plain", lambda x, t: F.cross_entropy(x, t), logits, tgt.clamp(min=0))
    for red in ("mean", "sum", "none"):
        grad_case("ce_full_" + red, lambda x, t: F.cross_entropy(x, t, weight=weight, reduction=red, label_smoothing=0.1), logits, tgt)
    grad_case("ce_smooth_noweight", lambda x, t: F.cross_entropy(x, t, label_smoothing=0.25), logits, tgt)
    nd = torch.randn(3, 4, 2, 2, dtype=d)
    ndt = torch.randint(0, 4, (3, 2, 2))
    ndt[0, 1, 1] = -100
    save("loss/ce_nd_common", target=ndt)
    grad_case("ce_nd", lambda x, t: F.cross_entropy(x, t, weight=weight, label_smoothing=0.2), nd, ndt)
    probs = torch.softmax(torch.randn(6, 4, dtype=d), dim=1)
    save("loss/ce_prob_common", target=probs)
    grad_case("ce_prob", lambda x, t: F.cross_entropy(x, t, weight=weight, label_smoothing=0.1), logits, probs)
    grad_case("ce_prob_none", lambda x, t: F.cross_entropy(x, t, reduction="none"), logits, probs)

    logp = torch.log_softmax(torch.randn(6, 4, dtype=d), dim=1)
    nt = torch.tensor([0, 2, 1, 2, 3, 3])
    save("loss/nll_common", target=nt, weight=weight)
    for red in ("mean", "sum", "none"):
        grad_case("nll_" + red, lambda x, t: F.nll_loss(x, t, weight=weight, ignore_index=2, reduction=red), logp, nt)

    z = torch.randn(4, 3, dtype=d) * 3
    z[0, 0] = 0.0  # the gradient at exactly 0 must be σ(0) - y
    y = torch.rand(4, 3, dtype=d)
    pw = torch.tensor([1.0, 2.0, 0.5], dtype=d)
    bw = torch.tensor([1.0, 0.5, 2.0], dtype=d)
    save("loss/bce_common", target=y, pos_weight=pw, weight=bw)
    grad_case("bce_logits", lambda x, t: F.binary_cross_entropy_with_logits(x, t), z, y)
    grad_case("bce_logits_weighted", lambda x, t: F.binary_cross_entropy_with_logits(x, t, weight=bw, pos_weight=pw, reduction="sum"), z, y)
    grad_case("bce_logits_none", lambda x, t: F.binary_cross_entropy_with_logits(x, t, pos_weight=pw, reduction="none"), z, y)
    grad_case("bce_probs", lambda x, t: F.binary_cross_entropy(x, t, weight=bw), torch.sigmoid(z), y)

    a = torch.randn(5, 3, dtype=d)
    b = torch.randn(5, 3, dtype=d)
    b[0, 0] = a[0, 0]
    save("loss/reg_common", target=b)
    grad_case("mse", lambda x, t: F.mse_loss(x, t), a, b)
    grad_case("l1_sum", lambda x, t: F.l1_loss(x, t, reduction="sum"), a, b)
    grad_case("huber", lambda x, t: F.huber_loss(x, t, delta=0.5), a, b)
    grad_case("smooth_l1", lambda x, t: F.smooth_l1_loss(x, t, beta=0.5, reduction="none"), a, b)


def clip_case():
    torch.manual_seed(5)
    g1 = torch.randn(3, 4)
    g2 = torch.randn(5)
    out = {}
    for name, nt, mx in [("l2", 2.0, 1.0), ("l1", 1.0, 2.0), ("inf", float("inf"), 0.5), ("noop", 2.0, 100.0)]:
        ps = [torch.zeros(3, 4, requires_grad=True), torch.zeros(5, requires_grad=True)]
        ps[0].grad = g1.clone()
        ps[1].grad = g2.clone()
        total = torch.nn.utils.clip_grad_norm_(ps, mx, norm_type=nt)
        out[name + "_total"] = total
        out[name + "_g1"] = ps[0].grad
        out[name + "_g2"] = ps[1].grad
    save("clip", g1=g1, g2=g2, **out)


if __name__ == "__main__":
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    model_case()
    optimizer_cases()
    scheduler_cases()
    batchnorm_cases()
    layernorm_case()
    embedding_case()
    loss_cases()
    clip_case()
    n = sum(len(f) for _, _, f in os.walk(ROOT))
    size = sum(os.path.getsize(os.path.join(p, x)) for p, _, fs in os.walk(ROOT) for x in fs)
    print(f"wrote {n} files ({size // 1024} KiB) under {os.path.normpath(ROOT)}")
