"""Drivers: correlation matrices from sums of cross-products, and relative weights of predictors."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

# --- Results --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RelativeWeights:
    """Raw weights (sum to R²), their shares of R² in percent, R², and the predictors' indices."""

    raw: np.ndarray
    share_pct: np.ndarray
    r_squared: float
    predictors: tuple[int, ...]
    reason: str


# --- Drivers --------------------------------------------------------------------------------------


def correlation_from_moments(n: float, sums: ArrayLike, cross_products: ArrayLike) -> np.ndarray:
    """Pearson correlation matrix from n, the vector of sums and the matrix of sums of cross-products.

    ::

        S = (X'X - s s' / n) / (n - 1),   r_jk = S_jk / sqrt(S_jj S_kk)

    A variable without variance gets a nan row and column (and nan on the diagonal); n < 2 gives
    an all-nan matrix. :func:`relative_weights` turns those into nan with a reason.

    Examples
    --------
    >>> correlation_from_moments(3, [6.0, 6.0], [[14.0, 13.0], [13.0, 14.0]]).tolist()  # (1,2,3), (2,1,3)
    [[1.0, 0.5], [0.5, 1.0]]
    """
    s = np.asarray(sums, dtype=float)
    c = np.asarray(cross_products, dtype=float)
    if s.ndim != 1 or c.shape != (len(s), len(s)):
        raise ValueError(
            f"sums must be 1-D and cross_products square of the same size, got {s.shape} and {c.shape}"
        )
    if not (np.all(np.isfinite(s)) and np.all(np.isfinite(c))):
        raise ValueError("sums and cross_products must be finite")
    if not np.allclose(c, c.T, rtol=1e-10, atol=0):
        raise ValueError("cross_products must be symmetric (sums of x_j * x_k over the same rows)")
    if n < 2:
        return np.full(c.shape, np.nan)
    cov = (c - np.outer(s, s) / n) / (n - 1)
    var = np.diag(cov)
    scale = np.maximum(np.abs(np.diag(c)) / n, np.finfo(float).tiny)
    if np.any(var < -1e-9 * scale):
        raise ValueError(
            "a sum of squares is smaller than sum**2 / n: the sums do not come from the same rows"
        )
    constant = var <= 1e-12 * scale
    sd = np.where(constant, np.nan, np.sqrt(np.maximum(var, 0)))
    corr = np.clip(cov / np.outer(sd, sd), -1, 1)
    np.fill_diagonal(corr, np.where(constant, np.nan, 1.0))
    return corr


def relative_weights(correlation: ArrayLike, target_index: int) -> RelativeWeights:
    """Johnson's relative weights of the predictors of one outcome, from a correlation matrix.

    With R_xx the predictors' correlations, r_xy their correlations with the outcome and
    R_xx = V diag(e) V'::

        Lambda = V diag(sqrt e) V'  (= R_xx^{1/2}),   beta* = Lambda^{-1} r_xy
        raw_j = sum_k Lambda_jk^2 beta*_k^2,   sum_j raw_j = R^2 = r_xy' R_xx^{-1} r_xy
        share_pct_j = 100 raw_j / R^2

    Collinear predictors (a zero eigenvalue) use the pseudo-inverse, with a warning and a reason:
    the weights still sum to R² and duplicated predictors share their weight equally.

    Parameters
    ----------
    correlation : array_like
        Square correlation matrix of the outcome and predictors (e.g. :func:`correlation_from_moments`).
    target_index : int
        Row of the outcome; every other row is a predictor (``predictors`` lists them in order).

    Returns
    -------
    RelativeWeights
        nan with a reason when the matrix has missing entries (a constant item) or R² is 0.

    References
    ----------
    Johnson, J. W. (2000). A heuristic method for estimating the relative weight of predictor
    variables in multiple regression. Multivariate Behavioral Research 35, 1-19.
    Tonidandel, S. & LeBreton, J. M. (2011). J Bus Psychol 26, 1-9.

    Examples
    --------
    >>> r = relative_weights([[1.0, 0.5, 0.3], [0.5, 1.0, 0.0], [0.3, 0.0, 1.0]], 0)
    >>> r.raw.round(2).tolist(), round(r.r_squared, 2)
    ([0.25, 0.09], 0.34)
    """
    r = np.asarray(correlation, dtype=float)
    if r.ndim != 2 or r.shape[0] != r.shape[1] or r.shape[0] < 2:
        raise ValueError(
            f"correlation must be a square matrix with the outcome and >= 1 predictor, got {r.shape}"
        )
    size = r.shape[0]
    if not -size <= target_index < size:
        raise ValueError(f"target_index {target_index} is outside the {size} x {size} matrix")
    target = target_index % size
    predictors = tuple(i for i in range(size) if i != target)
    empty = np.full(len(predictors), np.nan)
    if np.any(np.isnan(r)):
        reason = "the correlation matrix has missing entries (a constant item, or fewer than 2 responses)"
        return RelativeWeights(empty, empty.copy(), math.nan, predictors, reason)
    if not np.allclose(r, r.T, atol=1e-8) or not np.allclose(np.diag(r), 1, atol=1e-8):
        raise ValueError("correlation must be symmetric with ones on the diagonal")
    if np.linalg.eigvalsh(r).min() < -1e-8:
        raise ValueError(
            "correlation is not positive semi-definite; compute it from complete rows "
            "(correlation_from_moments), not pairwise"
        )
    rxx, rxy = r[np.ix_(predictors, predictors)], r[target, list(predictors)]
    eigenvalues, vectors = np.linalg.eigh(rxx)
    eigenvalues = np.clip(eigenvalues, 0, None)
    tolerance = 1e-10 * max(eigenvalues.max(), 1.0)
    collinear = bool(eigenvalues.min() <= tolerance)
    root = np.sqrt(eigenvalues)
    lam = vectors @ np.diag(root) @ vectors.T
    inverse_root = np.divide(1, root, out=np.zeros_like(root), where=eigenvalues > tolerance)
    lam_inverse = vectors @ np.diag(inverse_root) @ vectors.T
    beta = lam_inverse @ rxy
    raw = (lam**2) @ (beta**2)
    r_squared = float(raw.sum())
    reason = ""
    if collinear:
        reason = "collinear predictors: pseudo-inverse used"
        warnings.warn(f"relative_weights: {reason}", stacklevel=2)
    if r_squared <= 0:
        return RelativeWeights(
            raw, empty, r_squared, predictors, "R^2 is 0: no predictor is correlated with the outcome"
        )
    return RelativeWeights(raw, 100 * raw / r_squared, r_squared, predictors, reason)
