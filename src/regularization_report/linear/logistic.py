"""Experiment C7: L1 against L2 penalized logistic regression.

scikit-learn's LogisticRegression minimizes C * sum_i log-loss_i + P(w) with
P = ||w||_1 (L1, ``l1_ratio=1``) or ||w||^2 / 2 (L2, ``l1_ratio=0``): C is an
*inverse* strength, so small C means a strong penalty. Both penalties use the
liblinear solver so that only the penalty differs. A multiclass problem is
fitted one class against the rest (one binary model, one weight vector, per
class), which gives each digit class its own 8 x 8 coefficient image.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from regularization_report.data.bundled import Split
from regularization_report.linear.penalties import ZERO_TOL

PENALTIES = {"l1": 1.0, "l2": 0.0}  # penalty -> l1_ratio


def fit_one_vs_rest(
    X: np.ndarray, y: np.ndarray, *, penalty: str, C: float, max_iter: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(model_classes, coef (n_models, n_features), intercept)``.

    A binary problem has one model, for the larger class label; a multiclass
    problem one model per class.
    """
    classes = np.unique(y)
    model_classes = classes[1:] if len(classes) == 2 else classes
    coefs, intercepts = [], []
    for cls in model_classes:
        model = LogisticRegression(
            C=C,
            l1_ratio=PENALTIES[penalty],
            solver="liblinear",
            max_iter=max_iter,
            tol=1e-6,
            random_state=0,  # liblinear shuffles the data: a fixed seed makes reruns identical
        )
        model.fit(X, (y == cls).astype(int))
        coefs.append(model.coef_[0])
        intercepts.append(model.intercept_[0])
    return model_classes, np.asarray(coefs), np.asarray(intercepts)


def predict(
    classes: np.ndarray, model_classes: np.ndarray, coef: np.ndarray, intercept: np.ndarray, X
) -> np.ndarray:
    """The class with the highest score; binary: the model's class when its score is > 0."""
    scores = X @ coef.T + intercept
    if len(classes) == 2:
        return np.where(scores[:, 0] > 0, classes[1], classes[0])
    return model_classes[np.argmax(scores, axis=1)]


def logistic_sparsity(
    split: Split, *, dataset: str, c_values: np.ndarray, max_iter: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sparsity and accuracy against C for both penalties on one dataset.

    Trains on the training and validation rows, standardized (so a constant
    feature is 0 everywhere and gets weight 0 under either penalty), and
    scores on the test rows. Returns ``(metrics, coefficients)``:
    ``metrics`` has ``dataset, penalty, C, n_weights, n_nonzero,
    nonzero_share, train_accuracy, test_accuracy`` where ``n_weights`` counts
    the weights on features that vary; ``coefficients`` has ``dataset,
    penalty, C, model_class, feature, coef``.
    """
    X = np.vstack([split.X_train, split.X_val]).astype(float)
    y = np.concatenate([split.y_train, split.y_val])
    scaler = StandardScaler().fit(X)
    X, X_test = scaler.transform(X), scaler.transform(split.X_test.astype(float))
    classes = np.unique(y)
    varying = scaler.var_ > 0
    metrics, coefficients = [], []
    for penalty in PENALTIES:
        for C in c_values:
            model_classes, coef, intercept = fit_one_vs_rest(
                X, y, penalty=penalty, C=float(C), max_iter=max_iter
            )
            n_weights = int(varying.sum() * coef.shape[0])
            n_nonzero = int((np.abs(coef[:, varying]) > ZERO_TOL).sum())
            metrics.append(
                {
                    "dataset": dataset,
                    "penalty": penalty,
                    "C": float(C),
                    "n_weights": n_weights,
                    "n_nonzero": n_nonzero,
                    "nonzero_share": n_nonzero / n_weights,
                    "train_accuracy": float(
                        np.mean(predict(classes, model_classes, coef, intercept, X) == y)
                    ),
                    "test_accuracy": float(
                        np.mean(
                            predict(classes, model_classes, coef, intercept, X_test) == split.y_test
                        )
                    ),
                }
            )
            for cls, row in zip(model_classes, coef, strict=True):
                coefficients.append(
                    pd.DataFrame(
                        {
                            "dataset": dataset,
                            "penalty": penalty,
                            "C": float(C),
                            "model_class": int(cls),
                            "feature": split.feature_names,
                            "coef": row,
                        }
                    )
                )
    return pd.DataFrame(metrics), pd.concat(coefficients, ignore_index=True)


def logistic_values(metrics: pd.DataFrame, *, image_c: float) -> dict:
    """Per dataset and penalty: best test accuracy, its C and sparsity; the image C's numbers."""
    values: dict = {"image_c": image_c}
    for (dataset, penalty), rows in metrics.groupby(["dataset", "penalty"]):
        best = rows.loc[rows["test_accuracy"].idxmax()]
        at_image = rows.loc[(rows["C"] - image_c).abs().idxmin()]
        values.setdefault(str(dataset), {})[str(penalty)] = {
            "best_test_accuracy": float(best["test_accuracy"]),
            "best_c": float(best["C"]),
            "nonzero_share_at_best": float(best["nonzero_share"]),
            "n_nonzero_at_best": int(best["n_nonzero"]),
            "n_weights": int(best["n_weights"]),
            "min_nonzero_share": float(rows["nonzero_share"].min()),
            "nonzero_share_at_image_c": float(at_image["nonzero_share"]),
            "test_accuracy_at_image_c": float(at_image["test_accuracy"]),
        }
    return values
