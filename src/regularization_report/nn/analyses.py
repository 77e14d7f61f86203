"""One training job: every seed of one (dataset, experiment, variant), and its analyses.

For each seed the job writes, under ``results/nn/<dataset>/<experiment>/<variant>/seed<k>/``:

- ``history.csv``: one row per epoch (see :func:`regularization_report.nn.training.fit`);
- ``steps.csv``: one row per logged step (only a header when the experiment logs none);
- ``run.json``: the resolved configs, the final and best metrics, test metrics
  (and, under ``test_rows``, each test row's correctness and cross-entropy),
  the status (completed, early_stopped, diverged) and the experiment's analyses;
- ``model.pt``: the checkpoint (state_dict and configs; load with ``load_checkpoint``).

Analyses (chosen per experiment in the config):

- ``mc_dropout``: Monte Carlo averaging of the softmax over dropout masks vs
  the single eval-mode pass (weight scaling), on the validation set;
- ``sparsity``: how many hidden ReLU outputs are exactly zero (eval mode);
- ``unit_percentiles``: during training, the 15th/50th/85th percentiles over
  the validation set of one last-hidden-layer unit's input (BN paper, Fig. 1);
- ``batch_size_eval``: batch norm in train mode (batch statistics) at several
  batch sizes vs eval mode (running statistics).
"""

from __future__ import annotations

import copy
import logging
import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from regularization_report.data.bundled import load_split
from regularization_report.files import write_csv, write_json
from regularization_report.nn import layers
from regularization_report.nn import spec as nn_spec
from regularization_report.nn.models import MLP, MLPConfig, count_parameters
from regularization_report.nn.training import (
    TensorData,
    TrainConfig,
    configure_threads,
    evaluate,
    resolve_device,
    save_checkpoint,
    set_deterministic,
    train_mlp,
    write_history,
)

log = logging.getLogger(__name__)


def plain(value: Any) -> Any:
    """JSON-safe copy: non-finite floats become None, tuples lists, tensors numbers."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, torch.Tensor):
        return plain(value.tolist())
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float) or hasattr(value, "__float__"):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


# --- analyses -----------------------------------------------------------------------
@torch.no_grad()
def mc_dropout(
    model: MLP, X: torch.Tensor, y: torch.Tensor, samples: list[int], *, seed: int
) -> dict[str, Any]:
    """Accuracy and loss of the mean softmax over ``T`` dropout masks, for each ``T``.

    Dropout at test time samples a thinned network; averaging many samples
    approximates the ensemble that eval mode (weight scaling) replaces with one
    pass (Srivastava et al. 2014, Section 7.5).
    """
    model.eval()
    eval_logits = model(X)
    eval_loss = nn.functional.cross_entropy(eval_logits, y).item()
    eval_acc = (eval_logits.argmax(1) == y).float().mean().item()
    dropouts = [m for m in model.modules() if isinstance(m, nn.Dropout | layers.Dropout)]
    for m in dropouts:
        m.train()  # masks on, batch norm (if any) stays in eval mode
    torch.manual_seed(seed + 10_000)
    total = torch.zeros_like(eval_logits)
    rows = []
    for t in range(1, max(samples) + 1):
        total += torch.softmax(model(X), dim=1)
        if t in samples:
            mean = total / t
            rows.append(
                {
                    "samples": t,
                    "loss": nn.functional.nll_loss(mean.clamp_min(1e-12).log(), y).item(),
                    "acc": (mean.argmax(1) == y).float().mean().item(),
                }
            )
    model.eval()
    return {"eval_loss": eval_loss, "eval_acc": eval_acc, "mc": rows}


@torch.no_grad()
def sparsity(model: MLP, X: torch.Tensor) -> dict[str, Any]:
    """Per hidden layer (eval mode): fraction of outputs exactly zero, mean output."""
    model.eval()
    trace = model.trace(X)
    return {
        "zero_fraction": [(a == 0).float().mean().item() for a in trace["activations"]],
        "mean_activation": [a.mean().item() for a in trace["activations"]],
        "dead_units": [int((a == 0).all(dim=0).sum().item()) for a in trace["activations"]],
    }


def unit_percentiles(
    X: torch.Tensor, y: torch.Tensor, unit: int
) -> Callable[[nn.Module], dict[str, float]]:
    """Step metric: validation accuracy and percentiles of one last-hidden-layer unit's input."""
    q = torch.tensor([0.15, 0.50, 0.85], device=X.device)

    def metric(model: nn.Module) -> dict[str, float]:
        trace = model.trace(X)
        z = trace["pre_activations"][-1][:, unit]
        p15, p50, p85 = torch.quantile(z, q).tolist()
        logits = trace["logits"]
        return {
            "val_loss": nn.functional.cross_entropy(logits, y).item(),
            "val_acc": (logits.argmax(1) == y).float().mean().item(),
            "unit_p15": p15,
            "unit_p50": p50,
            "unit_p85": p85,
        }

    return metric


@torch.no_grad()
def batch_size_eval(
    model: MLP, X: torch.Tensor, y: torch.Tensor, batch_sizes: list[int], *, seed: int
) -> dict[str, Any]:
    """Validation accuracy when batch norm uses each batch's own statistics (train mode).

    The running statistics are not touched (momentum 0 on a copy) and dropout
    stays off, so the only difference from eval mode is where the mean and
    variance come from. Rows are shuffled once (seeded) and cut into batches.
    """
    model.eval()
    eval_loss, eval_acc = evaluate(model, X, y)
    rows = []
    norm_types = nn.BatchNorm1d | layers.BatchNorm1d
    if any(isinstance(m, norm_types) for m in model.modules()):
        probe = copy.deepcopy(model).eval()
        for m in probe.modules():
            if isinstance(m, norm_types):
                m.momentum = 0.0
                m.train()
        order = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))
        order = order.to(X.device)
        Xs, ys = X[order], y[order]
        for b in batch_sizes:
            n = (len(Xs) // b) * b  # whole batches only: every row normalized with b - 1 others
            if n == 0 or b < 2:
                continue
            logits = torch.cat([probe(Xs[i : i + b]) for i in range(0, n, b)])
            rows.append(
                {
                    "batch_size": b,
                    "loss": nn.functional.cross_entropy(logits, ys[:n]).item(),
                    "acc": (logits.argmax(1) == ys[:n]).float().mean().item(),
                }
            )
    return {"eval_loss": eval_loss, "eval_acc": eval_acc, "train_mode": rows}


@torch.no_grad()
def test_rows(model: MLP, X: torch.Tensor, y: torch.Tensor) -> dict[str, list[float]]:
    """Per test row (eval mode): 1 when the prediction is right, and the row's cross-entropy.

    The report's intervals resample these rows as well as the seeds, so they
    cover the sampling of the test set, not only the randomness of training.
    """
    model.eval()
    logits = model(X)
    loss = nn.functional.cross_entropy(logits, y, reduction="none")
    return {
        "correct": (logits.argmax(1) == y).int().tolist(),
        "loss": [round(v, 7) for v in loss.tolist()],
    }


# --- the job ----------------------------------------------------------------------------
def run_variant(
    split_path: str | os.PathLike[str],
    spec: Mapping[str, Any],
    *,
    dataset: str,
    experiment: str,
    variant: str,
    out_root: str | os.PathLike[str] = ".",
    device: str = "cpu",
    threads: int = 1,
    deterministic: bool = False,
) -> list[dict[str, Any]]:
    """Train every seed of one variant and write its files; return the run.json contents.

    ``deterministic`` asks PyTorch for deterministic kernels (see
    training.set_deterministic): CPU runs are reproducible without it.
    """
    used_threads = configure_threads(threads)
    set_deterministic(deterministic)
    torch_device = resolve_device(device)
    data = TensorData.from_split(load_split(split_path), device=torch_device)
    model_config = MLPConfig(
        in_features=data.n_features, out_features=data.n_classes, **spec["model"]
    )
    train_config = TrainConfig.from_dict(spec["train"])
    analyses = spec["analyses"]
    unknown = sorted(set(analyses) - set(nn_spec.ANALYSES))
    if unknown:
        raise ValueError(f"unknown analyses {unknown}; known: {nn_spec.ANALYSES}")
    records = []
    for seed in spec["seeds"]:
        out = Path(out_root) / nn_spec.run_dir(dataset, experiment, variant, seed)
        step_metrics = None
        if "unit_percentiles" in analyses:
            step_metrics = unit_percentiles(data.X_val, data.y_val, spec["unit"])
        model, result = train_mlp(
            model_config,
            train_config,
            data,
            seed=seed,
            step_metrics=step_metrics,
            step_log_every=spec["step_log_every"],
        )
        test_loss, test_acc = evaluate(model, data.X_test, data.y_test)
        rows = test_rows(model, data.X_test, data.y_test)
        found: dict[str, Any] = {}
        if not result.diverged:
            if "mc_dropout" in analyses:
                found["mc_dropout"] = mc_dropout(
                    model, data.X_val, data.y_val, spec["mc_samples"], seed=seed
                )
            if "sparsity" in analyses:
                found["sparsity"] = sparsity(model, data.X_val)
            if "batch_size_eval" in analyses:
                found["batch_size_eval"] = batch_size_eval(
                    model, data.X_val, data.y_val, spec["eval_batch_sizes"], seed=seed
                )
        record = {
            "dataset": dataset,
            "experiment": experiment,
            "variant": variant,
            "seed": seed,
            **result.summary(),
            "test_loss": test_loss,
            "test_acc": test_acc,
            "test_rows": rows,
            "n_parameters": count_parameters(model),
            "n_train": len(data.y_train),
            "model_config": model_config.to_dict(),
            "train_config": train_config.to_dict(),
            "analyses": found,
            "threads": used_threads,
            "deterministic": deterministic,
            "device": torch_device.type,
        }
        write_history(result.history, out / "history.csv")
        steps = result.steps if result.steps is not None else pd.DataFrame(columns=["step"])
        write_csv(steps, out / "steps.csv")
        save_checkpoint(
            out / "model.pt",
            model,
            train_config=train_config,
            extra={"dataset": dataset, "experiment": experiment, "variant": variant, "seed": seed},
        )
        write_json(plain(record), out / "run.json")
        log.info(
            f"{dataset}/{experiment}/{variant} seed {seed}: {result.status}, "
            f"{result.epochs_run} epochs, val_acc {record['final_val_acc']:.4f}, "
            f"best epoch {result.best_epoch}"
        )
        records.append(record)
    return records


# --- E4: weights of the penalty variants ------------------------------------------------
def _linear_weights(path: str | os.PathLike[str]) -> list[torch.Tensor]:
    state = torch.load(path, map_location="cpu", weights_only=True)["state_dict"]
    return [v for k, v in state.items() if k.endswith("weight") and v.dim() == 2]


def penalty_weight_tables(
    checkpoints: list[str], pairs: list[list[str]], histogram_variants: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pairwise weight differences (same dataset and seed) and |w| histograms of layer 1.

    ``equivalence``: for each pair of variants and seed, the largest absolute
    difference between their final weights and the relative difference
    ``||a - b|| / ||a||`` over all weight matrices. ``histogram``: counts of the
    absolute first-layer weights in log-spaced bins (seeds pooled), plus exact zeros.
    """
    by_run = {}
    for path in checkpoints:
        parts = Path(path).parts
        dataset, _experiment, variant, seed_dir = parts[-5:-1]
        by_run[(dataset, variant, int(seed_dir.removeprefix("seed")))] = path
    rows = []
    for dataset, variant_a, seed in sorted(by_run):
        for a, b in pairs:
            if variant_a != a or (dataset, b, seed) not in by_run:
                continue
            wa = _linear_weights(by_run[(dataset, a, seed)])
            wb = _linear_weights(by_run[(dataset, b, seed)])
            diff = torch.cat([(x - y).flatten() for x, y in zip(wa, wb, strict=True)])
            norm_a = torch.cat([x.flatten() for x in wa]).norm().item()
            rows.append(
                {
                    "dataset": dataset,
                    "variant_a": a,
                    "variant_b": b,
                    "seed": seed,
                    "max_abs_diff": diff.abs().max().item(),
                    "relative_diff": diff.norm().item() / norm_a,
                }
            )
    equivalence = pd.DataFrame(
        rows, columns=["dataset", "variant_a", "variant_b", "seed", "max_abs_diff", "relative_diff"]
    )
    edges = np.logspace(-8, 0, 33)
    hist_rows = []
    datasets = sorted({d for d, _, _ in by_run})
    for dataset in datasets:
        for variant in histogram_variants:
            paths = [p for (d, v, _), p in sorted(by_run.items()) if d == dataset and v == variant]
            if not paths:
                continue
            w = torch.cat([_linear_weights(p)[0].abs().flatten() for p in paths]).numpy()
            counts, _ = np.histogram(np.clip(w, edges[0], edges[-1]), bins=edges)
            for low, high, count in zip(edges[:-1], edges[1:], counts, strict=True):
                hist_rows.append(
                    {
                        "dataset": dataset,
                        "variant": variant,
                        "bin_low": low,
                        "bin_high": high,
                        "count": int(count),
                        "n_weights": int(w.size),
                        "n_exact_zero": int((w == 0).sum()),
                        "fraction_below_1e-3": float((w < 1e-3).mean()),
                    }
                )
    return equivalence, pd.DataFrame(hist_rows)
