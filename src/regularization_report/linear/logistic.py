"""Experiment C7: L1 against L2 penalized logistic regression.

scikit-learn's LogisticRegression minimizes C * sum_i log-loss_i + P(w) with
P = ||w||_1 (L1, ``l1_ratio=1``) or ||w||^2 / 2 (L2, ``l1_ratio=0``): C is an
*inverse* strength, so small C means a strong penalty. Both penalties use the
liblinear solver so that only the penalty differs. liblinear fits the intercept
as the weight of a constant extra feature and so penalizes it too; a large
``intercept_scaling`` (that constant) makes the intercept's penalty negligible,
which matches the formula's unpenalized intercept (at the smallest C the model
then predicts the majority class instead of worse). A multiclass problem is
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
# liblinear's synthetic intercept feature: its weight b/s is what gets penalized.
INTERCEPT_SCALING = 1000.0


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
            intercept_scaling=INTERCEPT_SCALING,
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
    scores on the test rows. A second fit on the training rows alone scores
    the validation rows (``val_accuracy``): that chooses C, never the test rows.
    Returns ``(metrics, coefficients)``:
    ``metrics`` has ``dataset, penalty, C, n_weights, n_nonzero,
    nonzero_share, train_accuracy, val_accuracy, test_accuracy`` where ``n_weights`` counts
    the weights on features that vary; ``coefficients`` has ``dataset,
    penalty, C, model_class, feature, coef``.
    """
    X = np.vstack([split.X_train, split.X_val]).astype(float)
    y = np.concatenate([split.y_train, split.y_val])
    scaler = StandardScaler().fit(X)
    X, X_test = scaler.transform(X), scaler.transform(split.X_test.astype(float))
    classes = np.unique(y)
    varying = scaler.var_ > 0
    sel_scaler = StandardScaler().fit(split.X_train.astype(float))
    X_sel = sel_scaler.transform(split.X_train.astype(float))
    X_val = sel_scaler.transform(split.X_val.astype(float))
    metrics, coefficients = [], []
    for penalty in PENALTIES:
        for C in c_values:
            sel = fit_one_vs_rest(
                X_sel, split.y_train, penalty=penalty, C=float(C), max_iter=max_iter
            )
            val_accuracy = float(np.mean(predict(classes, *sel, X_val) == split.y_val))
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
                    "val_accuracy": val_accuracy,
                    "majority_rate": float(np.mean(split.y_test == pd.Series(y).mode()[0])),
                    "n_test": len(split.y_test),
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
    """Per dataset and penalty: C chosen on validation, its test accuracy and sparsity.

    Ties in validation accuracy go to the smallest C (the strongest penalty).
    ``l1_minus_l2_at_chosen`` compares the two penalties at their own chosen C
    on the test rows; ``below_majority_*`` says whether any C scores under the
    majority-class rate.
    """
    values: dict = {"image_c": image_c, "chosen_on": "validation"}
    for (dataset, penalty), rows in metrics.groupby(["dataset", "penalty"]):
        rows = rows.sort_values("C")
        best = rows.loc[rows["val_accuracy"].idxmax()]
        at_image = rows.loc[(rows["C"] - image_c).abs().idxmin()]
        entry = values.setdefault(str(dataset), {})
        entry["majority_rate"] = float(rows["majority_rate"].iloc[0])
        entry["n_test"] = int(rows["n_test"].iloc[0])
        entry[str(penalty)] = {
            "chosen_c": float(best["C"]),
            "val_accuracy_at_chosen": float(best["val_accuracy"]),
            "test_accuracy_at_chosen": float(best["test_accuracy"]),
            "nonzero_share_at_chosen": float(best["nonzero_share"]),
            "n_nonzero_at_chosen": int(best["n_nonzero"]),
            "n_weights": int(best["n_weights"]),
            "min_nonzero_share": float(rows["nonzero_share"].min()),
            "min_test_accuracy": float(rows["test_accuracy"].min()),
            "below_majority_rate": bool(
                (rows["test_accuracy"] < rows["majority_rate"] - 1e-12).any()
            ),
            "nonzero_share_at_image_c": float(at_image["nonzero_share"]),
            "test_accuracy_at_image_c": float(at_image["test_accuracy"]),
        }
    for entry in values.values():
        if isinstance(entry, dict) and {"l1", "l2"} <= set(entry):
            diff = entry["l1"]["test_accuracy_at_chosen"] - entry["l2"]["test_accuracy_at_chosen"]
            entry["l1_minus_l2_at_chosen"] = diff
            entry["l1_minus_l2_examples"] = round(diff * entry["n_test"])
            entry["l1_costs_accuracy"] = bool(diff < 0)
    return values
