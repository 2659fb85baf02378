#!/usr/bin/python3
"""PyTorch reference of the AEIR training step, for timing only.

    /usr/bin/python3 bench/torch/reference.py DUMP [--warmup 3] [--threads 2]

DUMP is a directory written by `go run ./bench/torch -dump DUMP`: the
constants, the initial weights of our model (and discriminators), the
structural banks and every step's inputs (augmented pixels, token ids,
positives). This script builds the same networks with torch.nn, loads those
weights and runs the same steps with the same losses:

  f: [Conv3x3 -> ReLU -> MaxPool2] x 3 -> Flatten -> Dropout -> Linear -> L2
  g: EmbeddingBag(mean) -> Linear -> ReLU -> Dropout -> Linear -> L2
  L_con: bidirectional hinge, sum of violations, same-image pairs excluded
  L_adv: per modality GRL -> MLP discriminator, BCE with logits (method aeir)
  L_str: hinge of target rows against a bank positive and in-batch source
         negatives of another image (method aeir)
  AdamW (dense), global gradient-norm clipping, constant learning rate.

It prints one JSON line like the Go side: source pairs per second over the
steps after the warm-up, peak resident memory, and per-step losses. Only
the arithmetic is PyTorch's; the inputs are prepared by Go beforehand, so
this side's time excludes the data preparation that the Go time includes.
"""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class GradReverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, lam):
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return -ctx.lam * g, None


class Model(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        layers, c, s = [], 3, cfg["image_size"]
        for ch in cfg["channels"]:
            layers += [nn.Conv2d(c, ch, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2)]
            c, s = ch, s // 2
        layers += [nn.Flatten(), nn.Dropout(cfg["dropout"]), nn.Linear(c * s * s, cfg["dim"])]
        self.img = nn.Sequential(*layers)
        self.bag = nn.EmbeddingBag(cfg["tokenizer"]["buckets"], cfg["text_embed"], mode="mean")
        self.txt = nn.Sequential(
            nn.Linear(cfg["text_embed"], cfg["text_hidden"]), nn.ReLU(),
            nn.Dropout(cfg["dropout"]), nn.Linear(cfg["text_hidden"], cfg["dim"]))

    def encode(self, x, ids, offsets):
        u = F.normalize(self.img(x), dim=1)
        v = F.normalize(self.txt(self.bag(ids, offsets)), dim=1)
        return u, v


def discriminator(d, h):
    return nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, 1))


def contrastive(u, v, groups, margin):
    s = u @ v.t()
    pos = s.diag()
    neg = groups[:, None] != groups[None, :]
    i2t = (margin - pos[:, None] + s).clamp(min=0) * neg
    t2i = (margin - pos[None, :] + s).clamp(min=0) * neg
    return (i2t.sum() + t2i.sum()) / u.shape[0]


def structural(z, pos, bank, pos_group, neg_rows, neg_group, margin):
    keep = pos >= 0
    if not bool(keep.any()):
        return z.sum() * 0
    z, pos, pg = z[keep], pos[keep], pos_group[keep]
    sp = (z * bank[pos]).sum(1)
    sq = z @ bank[neg_rows].t()
    mask = neg_group[None, :] != pg[:, None]
    return ((margin - sp[:, None] + sq).clamp(min=0) * mask).sum() / z.shape[0]


def adversarial(disc, z, n_source, lam):
    logits = disc(GradReverse.apply(z, lam)).squeeze(1)
    y = torch.zeros_like(logits)
    y[:n_source] = 1
    return F.binary_cross_entropy_with_logits(logits, y)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dump")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    meta = json.load(open(os.path.join(a.dump, "meta.json")))
    cfg, B, T, D = meta["model"], meta["batch"], meta["target"], meta["model"]["dim"]
    S = cfg["image_size"]

    model = Model(cfg)
    modules = [model]
    dimg = dtxt = None
    if meta["adv"]:
        dimg, dtxt = discriminator(D, meta["disc_hidden"]), discriminator(D, meta["disc_hidden"])
        modules += [dimg, dtxt]
    # our parameter order: conv/linear weights and biases of f, the bag, g, then the discriminators
    ours = [p for m in modules for p in m.parameters()]
    w = np.fromfile(os.path.join(a.dump, "params.f32"), dtype="<f4")
    off = 0
    if len(ours) != len(meta["params"]):
        sys.exit(f"reference: {len(ours)} tensors, dump has {len(meta['params'])}")
    with torch.no_grad():
        for p, spec in zip(ours, meta["params"]):
            if list(p.shape) != spec["shape"]:
                sys.exit(f"reference: {spec['name']} has shape {spec['shape']}, ours {list(p.shape)}")
            n = p.numel()
            p.copy_(torch.from_numpy(w[off:off + n].reshape(spec["shape"])))
            off += n
    opt = torch.optim.AdamW(ours, lr=meta["lr"], betas=(0.9, 0.999), eps=1e-8, weight_decay=meta["weight_decay"])

    banks = None
    if meta["str"]:
        b = np.fromfile(os.path.join(a.dump, "banks.f32"), dtype="<f4")
        ni, nt = meta["num_src_img"], meta["num_src_txt"]
        src_img = torch.from_numpy(b[:ni * D].reshape(ni, D))
        src_txt = torch.from_numpy(b[ni * D:(ni + nt) * D].reshape(nt, D))
        text_image = torch.tensor(meta["text_image"])
        banks = (src_img, src_txt, text_image)

    # load every step's inputs before timing (the Go side prepares its own)
    steps = []
    for i, st in enumerate(meta["steps"]):
        raw = open(os.path.join(a.dump, f"step-{i:03d}.bin"), "rb").read()
        npx = (B + T) * 3 * S * S
        px = np.frombuffer(raw, dtype="<f4", count=npx).reshape(B + T, 3, S, S)
        ids = np.frombuffer(raw, dtype="<i4", offset=4 * npx, count=st["num_ids"])
        steps.append(dict(
            x=torch.from_numpy(px.copy()), ids=torch.from_numpy(ids.astype(np.int64)),
            offsets=torch.tensor(st["offsets"], dtype=torch.int64),
            groups=torch.tensor(st["groups"]), texts=torch.tensor(st["texts"]),
            img_pos=torch.tensor(st.get("img_pos") or [], dtype=torch.int64),
            txt_pos=torch.tensor(st.get("txt_pos") or [], dtype=torch.int64),
            lam=st["lambda"]))

    con_hist, loss_hist = [], []
    model.train()
    start = None
    for i, st in enumerate(steps):
        if i == a.warmup:
            start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        u, v = model.encode(st["x"], st["ids"], st["offsets"])
        con = contrastive(u[:B], v[:B], st["groups"], meta["margin"])
        loss = con
        total = con.item()
        if meta["adv"]:
            loss = loss + adversarial(dimg, u, B, st["lam"]) + adversarial(dtxt, v, B, st["lam"])
        if meta["str"]:
            src_img, src_txt, text_image = banks
            # target image -> positive source sentence, negatives: the batch's source sentences
            si = structural(u[B:], st["img_pos"], src_txt, text_image[st["img_pos"].clamp(min=0)],
                            st["texts"], text_image[st["texts"]], meta["str_margin"])
            # target sentence -> positive source image, negatives: the batch's source images
            stx = structural(v[B:], st["txt_pos"], src_img, st["txt_pos"], st["groups"], st["groups"], meta["str_margin"])
            loss = loss + meta["str_weight"] * (si + stx)
            total += meta["str_weight"] * (si.item() + stx.item())
        loss.backward()
        if meta["clip"] > 0:
            torch.nn.utils.clip_grad_norm_(ours, meta["clip"])
        opt.step()
        con_hist.append(con.item())
        loss_hist.append(total)
    sec = time.perf_counter() - start
    timed = len(steps) - a.warmup
    print(json.dumps(dict(
        impl="pytorch", variant=f"torch {torch.__version__}", method=meta["method"], steps=len(steps),
        timed_steps=timed, batch=B, seconds=sec, samples_per_s=timed * B / sec,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        threads=torch.get_num_threads(), con=con_hist, loss=loss_hist)))


if __name__ == "__main__":
    main()
