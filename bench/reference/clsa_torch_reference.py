#!/usr/bin/env python3
"""CLSA's reference figures on this machine's CPU: PyTorch + torchvision + Pillow, 2 threads.

What it measures (each section in a fresh process, so each reports its own peak RSS):
  augment   one weak + one strong view per image from 256 px JPEGs (decode included), in one
            process with 1 torch thread (as each DataLoader worker runs): both views at 224 px,
            both at 96 px, and the paper's single-crop setting (weak 224 px, scale 0.2-1;
            strong 96 px, scale 0.086-0.429).
  loader    the single-crop setting through torch's DataLoader, 2 worker processes, batches of 16
            (how the reference implementation feeds its GPUs).
Training runs on --threads torch threads (2 by default: the machine's 2 cores).

  resnet18  ResNet-18 with the small-image stem (3x3 stride-1 first conv, no max-pool), 32 px,
            batch 64: a query step and a CLSA step (below).
  resnet50  torchvision ResNet-50, 224 px, batch 16: a query step.

A "query step" is forward + backward + SGD (momentum 0.9, weight decay 1e-4) of the query
encoder (backbone + 2-layer MLP projector to 128, L2-normalised) on one batch of random images,
with the mean of the embedding as a stand-in loss: the work bench/clsa-train.bench.ts times as
"query step", so the two compare directly. A "CLSA step" is a whole training step of the method:
key encoder forward (no gradient, batch-norm in 2 shuffled sub-batches), weak and strong query
forwards (strong views at half the side), InfoNCE over the batch's keys plus a 4096-key queue
(tau = 0.2) plus the DDM loss (T2 = 0.2), backward, SGD, momentum update of the key encoder
(0.999), enqueue.

The views follow the design brief (docs: CLSA - what the engine must implement): torchvision's
weak transform (RandomResizedCrop, ColorJitter(0.4, 0.4, 0.4, 0.1) p = 0.8, grayscale p = 0.2,
Pillow Gaussian blur sigma in [0.1, 2] p = 0.5, flip, ToTensor, Normalize) and, for the strong
view, the same followed by 5 rounds of one of 14 Pillow ops, applied with p = 0.5 at a magnitude
v in [1, 10) (clsa_views.py).

  python3 bench/reference/clsa_torch_reference.py [--sections augment,loader,resnet18,resnet50]
          [--images 64] [--repeats 3] [--steps 3] [--threads 2]

Prints one JSON object on stdout; progress goes to stderr. Needs Debian's python3-torch,
python3-torchvision and python3-pil (or the same from pip).
"""
import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts in the repository
from clsa_views import AUGMENT_SETTINGS, TwoViews, synthetic_jpegs, view_transform  # noqa: E402

SECTIONS = ("augment", "loader", "resnet18", "resnet50")


def log(message):
    print(message, file=sys.stderr, flush=True)


def peak_rss_mib(who=resource.RUSAGE_SELF):
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)  # Linux reports KiB


def throughput(name, images, rates):
    """Images/s over repeated timed passes: the median, and the best."""
    return {
        "name": name,
        "images": images,
        "images_per_s": round(statistics.median(rates), 1),
        "best_images_per_s": round(max(rates), 1),
    }


def section_augment(args):
    jpegs = synthetic_jpegs(args.images)
    results = []
    for name, ((wsize, wscale), (ssize, sscale)) in AUGMENT_SETTINGS.items():
        views = TwoViews(jpegs, view_transform(wsize, wscale, False), view_transform(ssize, sscale, True))
        for i in range(8):
            _ = views[i]
        rates = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            for i in range(len(views)):
                _ = views[i]
            rates.append(len(views) / (time.perf_counter() - t0))
        log(f"augment {name}: {statistics.median(rates):.1f} images/s")
        results.append(throughput(name, len(views), rates))
    return {"augmentation": results, "peak_rss_mib": peak_rss_mib()}


def section_loader(args):
    import torch

    (wsize, wscale), (ssize, sscale) = AUGMENT_SETTINGS["single-crop (weak 224 + strong 96)"]
    weak, strong = view_transform(wsize, wscale, False), view_transform(ssize, sscale, True)
    views = TwoViews(synthetic_jpegs(args.images), weak, strong)
    loader = torch.utils.data.DataLoader(views, batch_size=16, num_workers=2, persistent_workers=True)
    for _ in loader:  # starts the workers
        pass
    rates = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        for _ in loader:
            pass
        rates.append(len(views) / (time.perf_counter() - t0))
    del loader
    log(f"loader: {statistics.median(rates):.1f} images/s")
    return {
        "loader": throughput("single-crop (weak 224 + strong 96), DataLoader 2 workers, batch 16", len(views), rates),
        "peak_rss_mib": peak_rss_mib(),
        "worker_peak_rss_mib": peak_rss_mib(resource.RUSAGE_CHILDREN),
    }


# --- training steps ------------------------------------------------------------------------------


def query_encoder(arch, small_stem):
    """Backbone (classifier removed) + projector: Linear(width, width), ReLU, Linear(width, 128)."""
    import torch.nn as nn
    import torchvision

    backbone = getattr(torchvision.models, arch)()
    width = backbone.fc.in_features
    if small_stem:
        backbone.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
        backbone.maxpool = nn.Identity()
    backbone.fc = nn.Identity()
    return nn.Sequential(backbone, nn.Linear(width, width), nn.ReLU(inplace=True), nn.Linear(width, 128))


def embed(encoder, images):
    import torch.nn.functional as F

    return F.normalize(encoder(images), dim=1)


def sgd(encoder):
    import torch

    return torch.optim.SGD(encoder.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)


def query_step(encoder, optimizer, images):
    optimizer.zero_grad(set_to_none=True)
    embed(encoder, images).mean().backward()
    optimizer.step()


class ClsaStep:
    """One CLSA training step (N + K candidate layout, the reference code's)."""

    def __init__(self, encoder, optimizer, queue_size=4096, tau=0.2, t2=0.2, momentum=0.999, bn_groups=2):
        import copy

        import torch

        self.query, self.optimizer = encoder, optimizer
        self.key = copy.deepcopy(encoder).requires_grad_(False)
        self.queue = torch.nn.functional.normalize(torch.randn(queue_size, 128), dim=1)
        self.tau, self.t2, self.momentum, self.bn_groups = tau, t2, momentum, bn_groups

    def keys(self, images):
        import torch

        order = torch.randperm(images.shape[0])
        parts = [embed(self.key, chunk) for chunk in images[order].chunk(self.bn_groups)]
        keys = torch.empty(images.shape[0], 128)
        keys[order] = torch.cat(parts)
        return keys

    def __call__(self, key_view, weak_view, strong_view):
        import torch
        import torch.nn.functional as F

        with torch.no_grad():
            keys = self.keys(key_view)
        candidates = torch.cat([keys, self.queue])
        weak = embed(self.query, weak_view) @ candidates.T
        strong = embed(self.query, strong_view) @ candidates.T
        contrastive = F.cross_entropy(weak / self.tau, torch.arange(weak.shape[0]))
        target = F.softmax(weak.detach() / self.t2, dim=1)
        ddm = -(target * F.log_softmax(strong / self.t2, dim=1)).sum(dim=1).mean()
        self.optimizer.zero_grad(set_to_none=True)
        (contrastive + ddm).backward()
        self.optimizer.step()
        with torch.no_grad():
            for k, q in zip(self.key.parameters(), self.query.parameters()):
                k.mul_(self.momentum).add_(q.detach(), alpha=1 - self.momentum)
            self.queue = torch.cat([keys, self.queue])[: self.queue.shape[0]]


def timed_steps(step, steps, warmup=1):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def training_case(name, batch, seconds, measures):
    return {
        "name": name,
        "batch": batch,
        "step_s": round(seconds, 3),
        "images_per_s": round(batch / seconds, 1),
        "measures": measures,
    }


QUERY_MEASURES = "forward + backward + SGD of the query encoder (backbone + projector), loss = mean of the embedding"
CLSA_MEASURES = (
    "key forward (2 BN sub-batches) + weak and strong query forwards + InfoNCE over batch keys and a 4096 queue"
    " + DDM + backward + SGD + momentum update + enqueue"
)


def section_resnet(args, arch, side, batch, small_stem, label):
    import torch

    torch.manual_seed(1)
    encoder = query_encoder(arch, small_stem).train()
    optimizer = sgd(encoder)
    images = torch.randn(batch, 3, side, side)
    cases = []
    seconds = timed_steps(lambda: query_step(encoder, optimizer, images), args.steps)
    cases.append(training_case(f"{label}: query step", batch, seconds, QUERY_MEASURES))
    log(f"{cases[-1]['name']}: {seconds:.2f} s/step")
    if arch == "resnet18":
        step = ClsaStep(encoder, optimizer)
        small = side // 2
        views = [torch.randn(batch, 3, side, side), torch.randn(batch, 3, side, side), torch.randn(batch, 3, small, small)]
        seconds = timed_steps(lambda: step(*views), args.steps)
        cases.append(training_case(f"{label}: CLSA step (strong views {small} px)", batch, seconds, CLSA_MEASURES))
        log(f"{cases[-1]['name']}: {seconds:.2f} s/step")
    return {"training": cases, "peak_rss_mib": peak_rss_mib()}


def run_section(name, args):
    import torch

    # Pillow is single-threaded; torch's per-image tensor ops only wait on a second OpenMP thread
    torch.set_num_threads(1 if name == "augment" else args.threads)
    if name == "augment":
        return section_augment(args)
    if name == "loader":
        return section_loader(args)
    if name == "resnet18":
        return section_resnet(args, "resnet18", 32, 64, True, "ResNet-18 (small-image stem), 32 px, batch 64")
    return section_resnet(args, "resnet50", 224, 16, False, "ResNet-50, 224 px, batch 16")


# --- driver --------------------------------------------------------------------------------------


def versions():
    import numpy
    import PIL
    import torch
    import torchvision

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "pillow": PIL.__version__,
        "numpy": numpy.__version__,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--images", type=int, default=64, help="JPEGs per augmentation pass")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes per augmentation setting")
    parser.add_argument("--steps", type=int, default=3, help="timed training steps per case, after one warm-up")
    parser.add_argument("--threads", type=int, default=2, help="torch threads for the training steps")
    parser.add_argument("--section", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.section:
        print(json.dumps(run_section(args.section, args)))
        return
    threads = {"augment": 1, "loader": "2 worker processes, 1 thread each", "training": args.threads}
    report = {"threads": threads, "cpus": os.cpu_count(), "machine": platform.machine()}
    report["versions"] = versions()
    report.update({"augmentation": [], "training": [], "peak_rss_mib": {}})
    for name in args.sections.split(","):
        if name not in SECTIONS:
            parser.error(f"unknown section {name!r}; known: {', '.join(SECTIONS)}")
        command = [sys.executable, __file__, "--section", name, "--images", str(args.images)]
        command += ["--repeats", str(args.repeats), "--steps", str(args.steps), "--threads", str(args.threads)]
        result = json.loads(subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout)
        report["augmentation"] += result.get("augmentation", [])
        if "loader" in result:
            report["loader"] = result["loader"]
            report["peak_rss_mib"]["loader workers"] = result["worker_peak_rss_mib"]
        report["training"] += result.get("training", [])
        report["peak_rss_mib"][name] = result["peak_rss_mib"]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
