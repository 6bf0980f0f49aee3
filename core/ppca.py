"""Mixture of probabilistic PCA over 3D poses: parameters, training, our .npz format, the authors' .mat.

Every model lives in one frame and one unit, whatever it was trained or loaded from: the *canonical
pose frame* (Z up, the subject facing +Y, +X the subject's right; the centroid of the joints at the origin)
in *normalised units*, where a pose's root-sum-square of bone lengths (over `skeleton.H36M_17.bones`) is 1
on average over the model. Poses are (J, 3) on the 17 joints of `skeleton.H36M_17`, in its order.

Component k generates x = means[k] + sum_i b_i bases[k, i] + noise, b_i ~ N(0, stds[k, i]^2) and
noise ~ N(0, noise[k]^2) per coordinate (Tipping & Bishop, 1999).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from . import skeleton
from .atomic import write_atomically

FORMAT = "poselift-mppca"
FORMAT_VERSION = 1
JOINTS = skeleton.H36M_17
BONES = np.array(JOINTS.bones)  # (16, 2) parent, child
# The joint order of the authors' .mat: Human3.6M's (algorithm.md 1.3). Which side is which was checked on the
# data itself (tests/core/test_ppca.py): their mean poses face +Y with Z up, and these right joints lie at +X.
AUTHORS_JOINTS = (
    "pelvis", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle", "spine", "thorax",
    "neck", "head_top", "left_shoulder", "left_elbow", "left_wrist", "right_shoulder", "right_elbow", "right_wrist",
)  # fmt: skip
# Degrees of freedom of a centred pose: 3J coordinates less the 3 of the centroid.
_CENTRED_DIM = 3 * len(JOINTS) - 3


class ModelFileError(ValueError):
    """A pose model file that cannot be read; str(e) is one sentence naming the file and the problem."""


@dataclass(frozen=True)
class MixturePPCA:
    """K components of probabilistic PCA with Q latent dimensions, in the canonical frame and normalised units."""

    joint_names: tuple[str, ...]  # (J,) the names of skeleton.H36M_17, in its order
    means: np.ndarray  # (K, J, 3) mean poses, centroid 0
    bases: np.ndarray  # (K, Q, J, 3) orthonormal directions (as 3J vectors), each with centroid 0
    stds: np.ndarray  # (K, Q) standard deviations of the coefficients
    noise: np.ndarray  # (K,) isotropic noise standard deviation per coordinate
    weights: np.ndarray  # (K,) mixing proportions, summing to 1
    source: str = ""

    def __post_init__(self) -> None:
        problem = _problem(self)
        if problem:
            raise ValueError(f"pose model: {problem}")

    @property
    def components(self) -> int:
        return self.means.shape[0]

    @property
    def latent_dim(self) -> int:
        return self.bases.shape[1]

    def sample(self, count: int, rng: np.random.Generator, *, noise: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(count, J, 3) poses drawn from the mixture, and (count,) the component of each; `noise` adds the isotropic
        term, otherwise the poses lie on the components' latent subspaces."""
        k = rng.choice(self.components, size=count, p=self.weights)
        b = rng.standard_normal((count, self.latent_dim)) * self.stds[k]
        poses = self.means[k] + np.einsum("nq,nqjd->njd", b, self.bases[k])
        if noise:
            poses = poses + rng.standard_normal(poses.shape) * self.noise[k, None, None]
        return poses, k

    def log_likelihood(self, poses: np.ndarray) -> np.ndarray:
        """(M,) log density of (M, J, 3) canonical, normalised poses (see `canonical_poses`) under the mixture."""
        x = torch.as_tensor(np.asarray(poses, dtype=np.float64).reshape(len(poses), -1))
        mu = torch.as_tensor(self.means.reshape(self.components, -1))
        e = torch.as_tensor(self.bases.reshape(self.components, self.latent_dim, -1))
        var = torch.as_tensor(self.stds**2)
        s2 = torch.as_tensor(self.noise**2)[:, None]
        d = x[None] - mu[:, None]  # (K, M, D)
        proj = torch.einsum("kqd,kmd->kmq", e, d)
        # Woodbury on C = E diag(var) E^T + s2 I with orthonormal E.
        shrink = var / (var + s2)
        maha = ((d**2).sum(-1) - (proj**2 * shrink[:, None]).sum(-1)) / s2
        dim = x.shape[1]
        logdet = torch.log(var + s2).sum(-1, keepdim=True) + (dim - self.latent_dim) * torch.log(s2)
        log_p = -0.5 * (maha + logdet + dim * np.log(2 * np.pi)) + torch.log(torch.as_tensor(self.weights))[:, None]
        return torch.logsumexp(log_p, dim=0).numpy()

    def save(self, path: str | os.PathLike) -> Path:
        """Write our .npz format atomically; returns the path."""
        fields = {"format": np.array(FORMAT), "format_version": np.array(FORMAT_VERSION)}
        fields |= {"joint_names": np.array(self.joint_names), "source": np.array(self.source)}
        fields |= {name: getattr(self, name) for name in ("means", "bases", "stds", "noise", "weights")}
        return write_atomically(Path(path), lambda out: np.savez(out, **fields))

    @classmethod
    def load(cls, path: str | os.PathLike) -> MixturePPCA:
        """Read our .npz format; ModelFileError names the file and the problem."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as z:
                fields = {name: z[name] for name in z.files}
        except (OSError, ValueError, EOFError) as e:
            raise ModelFileError(f"{path}: not a readable pose model file ({e}).") from None
        missing = {"format", "format_version", "joint_names", "means", "bases", "stds", "noise", "weights"} - set(
            fields
        )
        if missing:
            raise ModelFileError(f"{path}: not a pose model file (missing {', '.join(sorted(missing))}).")
        if str(fields["format"]) != FORMAT or int(fields["format_version"]) != FORMAT_VERSION:
            raise ModelFileError(
                f"{path}: pose model format {fields['format']} version {fields['format_version']}, "
                f"expected {FORMAT} version {FORMAT_VERSION}."
            )
        try:
            return cls(
                joint_names=tuple(str(n) for n in fields["joint_names"]),
                means=fields["means"].astype(np.float64),
                bases=fields["bases"].astype(np.float64),
                stds=fields["stds"].astype(np.float64),
                noise=fields["noise"].astype(np.float64),
                weights=fields["weights"].astype(np.float64),
                source=str(fields.get("source", "")),
            )
        except (ValueError, TypeError) as e:
            raise ModelFileError(f"{path}: {e}.") from None

    @classmethod
    def from_authors_mat(cls, path: str | os.PathLike) -> MixturePPCA:
        """Read the model released with "Lifting from the Deep" (keys mu (K, 3J), e (K, Q, 3J), sigma (K, Q+1):
        inverse standard deviations, the last one the noise's; millimetres, each pose stored as 3 rows of J).

        Their frame is ours (checked on the data: the mean poses face +Y, knees and nose forward; Z up; the joints
        named right are at +X), so only the units change: millimetres divided by the model's root-mean-square
        root-sum-square bone length. They give no mixing proportions: the components are equally likely."""
        from scipy.io import loadmat
        from scipy.io.matlab import MatReadError

        path = Path(path)
        try:
            mat = loadmat(path)
            mu, e, sigma = (np.asarray(mat[key], dtype=np.float64) for key in ("mu", "e", "sigma"))
        except KeyError as e:
            raise ModelFileError(f"{path}: not a Lifting-from-the-Deep model (no {e.args[0]!r} array).") from None
        except (OSError, ValueError, TypeError, NotImplementedError, MatReadError) as e:
            raise ModelFileError(f"{path}: not a readable MATLAB model file ({e}).") from None
        j = len(AUTHORS_JOINTS)
        if mu.ndim != 2 or mu.shape[1] != 3 * j or e.ndim != 3 or e.shape[::2] != mu.shape:
            raise ModelFileError(f"{path}: mu {mu.shape} and e {e.shape} are not (K, {3 * j}) and (K, Q, {3 * j}).")
        k, q = e.shape[:2]
        if sigma.shape != (k, q + 1) or not np.all(sigma > 0):
            raise ModelFileError(f"{path}: sigma {sigma.shape} is not ({k}, {q + 1}) positive inverse deviations.")
        order = [AUTHORS_JOINTS.index(name) for name in JOINTS.joints]
        means = mu.reshape(k, 3, j).transpose(0, 2, 1)[:, order]
        bases = e.reshape(k, q, 3, j).transpose(0, 1, 3, 2)[:, :, order]
        stds, noise = 1.0 / sigma[:, :q], 1.0 / sigma[:, q]
        weights = np.full(k, 1.0 / k)
        unit = np.sqrt(_mean_square_bone_length(means, bases, stds, noise, weights))
        try:
            return cls(JOINTS.joints, means / unit, bases, stds / unit, noise / unit, weights, f"{path.name} (authors)")
        except ValueError as e:
            raise ModelFileError(f"{path}: {e}.") from None


def _problem(m: MixturePPCA) -> str:
    """What is wrong with a model's parameters, or '' when nothing is."""
    if tuple(m.joint_names) != JOINTS.joints:
        return f"joints must be {JOINTS.name}'s {len(JOINTS)} in order"
    arrays = (m.means, m.bases, m.stds, m.noise, m.weights)
    if any(not isinstance(a, np.ndarray) or not np.all(np.isfinite(a)) for a in arrays):
        return "parameters must be finite arrays"
    k, j = m.means.shape[:2] if m.means.ndim == 3 else (0, 0)
    q = m.bases.shape[1] if m.bases.ndim == 4 else 0
    if k < 1 or m.means.shape != (k, len(JOINTS), 3) or m.bases.shape != (k, q, j, 3):
        return f"means {m.means.shape} and bases {m.bases.shape} are not (K, {len(JOINTS)}, 3) and (K, Q, J, 3)"
    if not 1 <= q < _CENTRED_DIM or m.stds.shape != (k, q) or m.noise.shape != (k,) or m.weights.shape != (k,):
        return f"stds {m.stds.shape}, noise {m.noise.shape}, weights {m.weights.shape} do not fit K={k}, Q={q}"
    if np.any(m.stds <= 0) or np.any(m.noise <= 0) or np.any(m.weights < 0) or abs(m.weights.sum() - 1) > 1e-6:
        return "deviations must be positive and weights a distribution"
    gram = np.einsum("kqd,kpd->kqp", m.bases.reshape(k, q, -1), m.bases.reshape(k, q, -1))
    if np.abs(gram - np.eye(q)).max() > 1e-6 or np.abs(m.bases.mean(axis=2)).max() > 1e-6:
        return "bases must be orthonormal with centroid 0"
    return ""


def _mean_square_bone_length(means, bases, stds, noise, weights) -> float:
    """E[sum of squared bone lengths] over a mixture given by (K, J, 3) means, (K, Q, J, 3) bases, ..."""
    mean_part = (bone_vectors(means) ** 2).sum(axis=(-2, -1))
    latent_part = ((bone_vectors(bases) ** 2).sum(axis=(-2, -1)) * stds**2).sum(axis=1)
    noise_part = noise**2 * 6 * len(BONES)  # each bone is a difference of two noisy 3-vectors
    return float((weights * (mean_part + latent_part + noise_part)).sum())


def bone_vectors(poses: np.ndarray) -> np.ndarray:
    """(..., J, 3) -> (..., 16, 3): child minus parent for each bone of H36M_17."""
    return poses[..., BONES[:, 1], :] - poses[..., BONES[:, 0], :]


def canonical_poses(poses: np.ndarray) -> np.ndarray:
    """(M, J, 3) poses, Z up, any yaw, position and unit -> (M, J, 3) canonical and normalised: centroid at the
    origin, turned about Z so that the subject's right (hips and shoulders, left to right) points along +X and the
    subject faces +Y, scaled to a root-sum-square bone length of 1."""
    x = np.asarray(poses, dtype=np.float64)
    x = x - x.mean(axis=1, keepdims=True)
    across = sum(x[:, JOINTS.index(f"right_{p}")] - x[:, JOINTS.index(f"left_{p}")] for p in ("hip", "shoulder"))
    yaw = np.arctan2(across[:, 1], across[:, 0])
    c, s = np.cos(-yaw), np.sin(-yaw)
    turn = np.zeros((len(x), 3, 3))
    turn[:, 0, 0], turn[:, 0, 1], turn[:, 1, 0], turn[:, 1, 1], turn[:, 2, 2] = c, -s, s, c, 1.0
    x = np.einsum("mab,mjb->mja", turn, x)
    rss = np.sqrt((bone_vectors(x) ** 2).sum(axis=(1, 2)))
    return x / rss[:, None, None]


def mirrored(poses: np.ndarray) -> np.ndarray:
    """(M, J, 3) canonical poses -> their mirror images: left and right swapped, X negated."""
    return np.asarray(poses)[:, list(JOINTS.mirror)] * np.array([-1.0, 1.0, 1.0])


def ppca_closed_form(points: torch.Tensor, latent_dim: int) -> tuple[torch.Tensor, ...]:
    """Tipping & Bishop's maximum-likelihood PPCA of (M, J, 3) centred poses: mean (J, 3), basis (Q, J, 3),
    coefficient stds (Q,) and the noise std, the mean of the discarded eigenvalues over the 3J - 3 dimensions a
    centred pose has."""
    m, j, _ = points.shape
    x = points.reshape(m, -1)
    mean = x.mean(0)
    cov = (x - mean).T @ (x - mean) / m
    eigval, eigvec = torch.linalg.eigh(cov)
    eigval, eigvec = eigval.flip(0), eigvec.flip(1)
    noise_var = eigval[latent_dim:_CENTRED_DIM].clamp_min(0).mean().clamp_min(1e-12)
    stds = (eigval[:latent_dim] - noise_var).clamp_min(1e-12).sqrt()
    return mean.reshape(j, 3), eigvec[:, :latent_dim].T.reshape(latent_dim, j, 3), stds, noise_var.sqrt()


def kmeans(x: torch.Tensor, k: int, *, generator: torch.Generator, iterations: int = 100) -> torch.Tensor:
    """(M,) cluster labels of (M, D) points: k-means++ seeding, then Lloyd's iterations until nothing moves."""
    centres = x[torch.randint(len(x), (1,), generator=generator, device=x.device)]
    for _ in range(1, k):
        d2 = torch.cdist(x, centres).min(1).values ** 2
        pick = torch.multinomial(d2 / d2.sum(), 1, generator=generator)
        centres = torch.cat([centres, x[pick]])
    labels = torch.cdist(x, centres).argmin(1)
    for _ in range(iterations):
        counts = torch.bincount(labels, minlength=k).clamp_min(1).to(x.dtype)
        centres = torch.zeros_like(centres).index_add_(0, labels, x) / counts[:, None]
        new = torch.cdist(x, centres).argmin(1)
        if torch.equal(new, labels):
            break
        labels = new
    return labels


def train(
    poses: np.ndarray,
    components: int,
    latent_dim: int,
    *,
    seed: int = 0,
    device: str | torch.device | None = None,
    source: str = "",
) -> MixturePPCA:
    """A mixture of PPCA from (M, J, 3) poses on H36M_17's joints (Z up; any yaw, position and unit): poses are
    made canonical, doubled with their mirror images, clustered by k-means and given one PPCA per cluster."""
    poses = np.asarray(poses, dtype=np.float64)
    if poses.ndim != 3 or poses.shape[1:] != (len(JOINTS), 3):
        raise ValueError(f"training poses must be (M, {len(JOINTS)}, 3), not {poses.shape}")
    poses = poses[np.isfinite(poses).all(axis=(1, 2))]
    canon = canonical_poses(poses)
    canon = canon[np.isfinite(canon).all(axis=(1, 2))]
    data = np.concatenate([canon, mirrored(canon)])
    if len(data) < components * (latent_dim + 2):
        raise ValueError(f"{len(data)} poses (mirrors included) are too few for {components} x {latent_dim + 2}")
    x = torch.as_tensor(data, device=device)
    generator = torch.Generator(device=x.device).manual_seed(seed)
    labels = kmeans(x.reshape(len(x), -1), components, generator=generator)
    parts = []
    for k in range(components):
        members = x[labels == k]
        if len(members) < latent_dim + 2:
            raise ValueError(f"cluster {k} has {len(members)} poses, fewer than Q + 2 = {latent_dim + 2}")
        parts.append([t.cpu().numpy() for t in ppca_closed_form(members, latent_dim)])
    means, bases, stds, noise = (np.stack(p) for p in zip(*parts, strict=True))
    weights = torch.bincount(labels, minlength=components).cpu().numpy() / len(x)
    return MixturePPCA(JOINTS.joints, means, bases, stds, noise, weights, source)
