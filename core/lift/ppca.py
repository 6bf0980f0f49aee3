"""Mixture of probabilistic PCA over 3D poses: parameters, training, our .npz format, the authors' .mat.

Every model lives in one frame and one unit, whatever it was trained or loaded from: the *canonical
pose frame* (Z up, the subject facing +Y, +X the subject's right; the centroid of the joints at the origin)
in *normalised units*, where a pose's root-sum-square of bone lengths (over `skeleton.H36M_17.bones`) is 1
on average over the model. Poses are (J, 3) on one of `JOINT_SETS`: the 17 joints of `skeleton.H36M_17` (the
authors' model) or the 21 of `skeleton.BODY` (the same 17 first, then heels and toes), in the set's order.

Component k generates x = means[k] + sum_i b_i bases[k, i] + noise, b_i ~ N(0, stds[k, i]^2) and
noise ~ N(0, noise[k]^2) per coordinate (Tipping & Bishop, 1999).
"""

from __future__ import annotations

import functools
import io
import json
import os
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .. import skeleton
from ..formats import limits
from ..formats.atomic import write_atomically
from ..formats.files import not_regular
from ..formats.matfile import read_mat

FORMAT = "poselift-mppca"
FORMAT_VERSION = 1
JOINTS = skeleton.H36M_17  # every model's first 17 joints, in this order
JOINT_SETS = {len(s): s for s in (skeleton.H36M_17, skeleton.BODY)}  # a model's joints, by count
BONES = np.array(JOINTS.bones)  # (16, 2) parent, child: the bones that set the normalised unit
# The joint order of the authors' .mat: Human3.6M's 17, the order whose bones their released code draws. Which side
# is which was checked on the data itself (tests/core/lift/test_ppca.py): their mean poses face +Y with Z up, and
# these right joints lie at +X.
AUTHORS_JOINTS = (
    "pelvis", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle", "spine", "thorax",
    "neck", "head_top", "left_shoulder", "left_elbow", "left_wrist", "right_shoulder", "right_elbow", "right_wrist",
)  # fmt: skip
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # every member's timestamp, so that a model's file is a function of the model
_FIELDS = ("format", "format_version", "joint_names", "means", "bases", "stds", "noise", "weights")
_TEXT = ("format", "joint_names", "source", "metadata")
# The largest model file, or member of one, read: 1000 components of 60 dimensions on 21 joints take 30 MB.
MAX_MODEL_BYTES = 64 * 2**20
# What bad bytes make the readers (zip, zlib, .npy and MATLAB parsing included) raise, each turned into one sentence.
_CONTENT_ERRORS = (
    ValueError, KeyError, TypeError, IndexError, EOFError, zipfile.BadZipFile, zlib.error, struct.error,
    NotImplementedError, RuntimeError, MemoryError, RecursionError, OverflowError,
)  # fmt: skip


def centred_dim(joints: int) -> int:
    """Degrees of freedom of a centred pose of `joints` joints: 3J coordinates less the 3 of the centroid."""
    return 3 * joints - 3


def joint_set(joints: int) -> skeleton.JointSet:
    """The joint set of poses with `joints` joints (17 or 21); ValueError otherwise."""
    try:
        return JOINT_SETS[joints]
    except KeyError:
        sizes = " or ".join(f"(M, {j}, 3)" for j in JOINT_SETS)
        raise ValueError(f"poses must be {sizes}, not on {joints} joints") from None


class ModelFileError(ValueError):
    """A pose model file that cannot be read; str(e) is one sentence naming the file and the problem."""


@dataclass(frozen=True)
class MixturePPCA:
    """K components of probabilistic PCA with Q latent dimensions, in the canonical frame and normalised units."""

    joint_names: tuple[str, ...]  # (J,) the names of one of JOINT_SETS, in its order
    means: np.ndarray  # (K, J, 3) mean poses, centroid 0
    bases: np.ndarray  # (K, Q, J, 3) orthonormal directions (as 3J vectors), each with centroid 0
    stds: np.ndarray  # (K, Q) standard deviations of the coefficients
    noise: np.ndarray  # (K,) isotropic noise standard deviation per coordinate
    weights: np.ndarray  # (K,) mixing proportions, summing to 1
    source: str = ""
    metadata: dict = field(default_factory=dict)  # JSON-serialisable: how the model was made

    def __post_init__(self) -> None:
        problem = _problem(self)
        if problem:
            raise ValueError(f"pose model: {problem}")

    @property
    def joints(self) -> skeleton.JointSet:
        return JOINT_SETS[len(self.joint_names)]

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
        """(M,) log density of (M, J, 3) canonical, normalised poses (see `canonical_poses`) under the mixture, as a
        density of all 3J coordinates. Centred poses have only 3J - 3 (`centred_dim`): their own density lacks
        1.5 log(2 pi noise_k^2) of this per component, which favours a smaller noise (larger Q) in
        `prior_training`'s choice; the shipped prior was chosen with this score (kept so that it regenerates)."""
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
        """Write our .npz format atomically; returns the path. The bytes depend on the model alone (no timestamps):
        the same model gives the same file."""
        fields = {"format": np.array(FORMAT), "format_version": np.array(FORMAT_VERSION)}
        fields |= {"joint_names": np.array(self.joint_names), "source": np.array(self.source)}
        fields |= {name: getattr(self, name) for name in ("means", "bases", "stds", "noise", "weights")}
        fields["metadata"] = np.array(json.dumps(self.metadata, sort_keys=True))
        return write_atomically(Path(path), lambda out: _write_npz(out, fields))

    @classmethod
    def load(cls, path: str | os.PathLike) -> MixturePPCA:
        """Read our .npz format; ModelFileError names the file and the problem, whatever the bytes."""
        path = _regular(Path(path))
        with _refused_as(path, "pose model file"):
            check = functools.partial(_check_declared, path)
            fields = limits.read_npz(path, (*_FIELDS, "source", "metadata"), check, MAX_MODEL_BYTES)
            _check_format(path, fields)
            return cls(
                joint_names=tuple(str(n) for n in fields["joint_names"]),
                means=fields["means"].astype(np.float64),
                bases=fields["bases"].astype(np.float64),
                stds=fields["stds"].astype(np.float64),
                noise=fields["noise"].astype(np.float64),
                weights=fields["weights"].astype(np.float64),
                source=str(fields.get("source", "")),
                metadata=limits.loads_json(str(fields.get("metadata", "{}"))),
            )

    @classmethod
    def from_authors_mat(cls, path: str | os.PathLike) -> MixturePPCA:
        """Read the model released with "Lifting from the Deep" (keys mu (K, 3J), e (K, Q, 3J), sigma (K, Q+1):
        inverse standard deviations, the last one the noise's; millimetres, each pose stored as 3 rows of J).

        Their frame is ours (checked on the data: the mean poses face +Y, knees and nose forward; Z up; the joints
        named right are at +X), so only the units change: millimetres divided by the model's root-mean-square
        root-sum-square bone length. They give no mixing proportions: the components are equally likely."""
        path = _regular(Path(path))
        with _refused_as(path, "MATLAB model file"):
            mu, e, sigma = _authors_arrays(path)
        j = len(AUTHORS_JOINTS)
        if mu.ndim != 2 or mu.shape[1] != 3 * j or e.ndim != 3 or e.shape[::2] != mu.shape:
            raise ModelFileError(f"{path}: mu {mu.shape} and e {e.shape} are not (K, {3 * j}) and (K, Q, {3 * j}).")
        k, q = e.shape[:2]
        if k < 1 or q < 1:
            raise ModelFileError(f"{path}: e {e.shape} has no components or no latent dimensions.")
        if sigma.shape != (k, q + 1) or not np.all(sigma > 0):
            raise ModelFileError(f"{path}: sigma {sigma.shape} is not ({k}, {q + 1}) positive inverse deviations.")
        order = [AUTHORS_JOINTS.index(name) for name in JOINTS.joints]
        means = mu.reshape(k, 3, j).transpose(0, 2, 1)[:, order]
        bases = e.reshape(k, q, 3, j).transpose(0, 1, 3, 2)[:, :, order]
        stds, noise = 1.0 / sigma[:, :q], 1.0 / sigma[:, q]
        weights = np.full(k, 1.0 / k)
        with np.errstate(all="ignore"):  # a unit of 0 or infinity gives parameters the model refuses as not finite
            unit = np.sqrt(_mean_square_bone_length(means, bases, stds, noise, weights))
            parameters = (means / unit, bases, stds / unit, noise / unit, weights)
        try:
            return cls(JOINTS.joints, *parameters, f"{path.name} (authors)")
        except ValueError as e:
            raise ModelFileError(f"{path}: {e}.") from None


def _check_declared(path: Path, members: dict[str, limits.Member]) -> None:
    """Refuse, from the .npy headers alone, a file that lacks the model's members or holds the wrong kinds."""
    missing = set(_FIELDS) - set(members)
    if missing:
        raise ModelFileError(f"{path}: not a pose model file (missing {', '.join(sorted(missing))}).")
    for name, member in members.items():
        expected = "U" if name in _TEXT else "biuf"
        if member.dtype.kind not in expected:
            raise ValueError(f"its {name} holds {member.dtype}, expected {'text' if name in _TEXT else 'numbers'}")


def _check_format(path: Path, fields: dict[str, np.ndarray]) -> None:
    version = fields["format_version"]
    if str(fields["format"]) != FORMAT or version.shape != () or version != FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: pose model format {limits.shown(fields['format'])} version {limits.shown(version)}, "
            f"expected {FORMAT} version {FORMAT_VERSION}."
        )


@contextmanager
def _refused_as(path: Path, what: str) -> Iterator[None]:
    """Inside, any error reading `path` becomes ModelFileError "not a readable `what` (why)"; its own passes."""
    try:
        yield
    except ModelFileError:
        raise
    except OSError as e:
        raise ModelFileError(f"{path}: not a readable {what} ({e.strerror or e}).") from None
    except _CONTENT_ERRORS as e:
        raise ModelFileError(f"{path}: not a readable {what} ({limits.clause(e)}).") from None


def _regular(path: Path) -> Path:
    """`path`, or ModelFileError when it is not a regular file (a reader would wait forever on a pipe)."""
    problem = not_regular(path, "a pose model file")
    if problem:
        raise ModelFileError(problem)
    return path


def _authors_arrays(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """mu, e and sigma of the authors' .mat as float64 (the file's size checked first); ModelFileError when one is
    missing."""
    size = path.stat().st_size
    if size > MAX_MODEL_BYTES:
        raise ModelFileError(f"{path}: {size} bytes, more than the {MAX_MODEL_BYTES} a pose model may take.")
    mat = read_mat(path.read_bytes(), ("mu", "e", "sigma"), MAX_MODEL_BYTES)
    for key in ("mu", "e", "sigma"):
        if key not in mat:
            raise ModelFileError(f"{path}: not a Lifting-from-the-Deep model (no {key!r} array).")
    return mat["mu"].astype(np.float64), mat["e"].astype(np.float64), mat["sigma"].astype(np.float64)


def _write_npz(out, fields: dict[str, np.ndarray]) -> None:
    """An .npz (uncompressed zip of .npy members) whose bytes depend on the arrays alone."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for name, value in fields.items():
            member = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_DATE)
            member.external_attr = 0o644 << 16
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asanyarray(value), allow_pickle=False)
            z.writestr(member, buffer.getvalue())


def _problem(m: MixturePPCA) -> str:
    """What is wrong with a model's parameters, or '' when nothing is."""
    names = tuple(m.joint_names)
    if len(names) not in JOINT_SETS or names != JOINT_SETS[len(names)].joints:
        return "joints must be " + " or ".join(f"{s.name}'s {len(s)}" for s in JOINT_SETS.values()) + " in order"
    arrays = (m.means, m.bases, m.stds, m.noise, m.weights)
    if any(not isinstance(a, np.ndarray) or not np.all(np.isfinite(a)) for a in arrays):
        return "parameters must be finite arrays"
    if not isinstance(m.metadata, dict):
        return "metadata must be a dict"
    k, j = m.means.shape[:2] if m.means.ndim == 3 else (0, 0)
    q = m.bases.shape[1] if m.bases.ndim == 4 else 0
    if k < 1 or m.means.shape != (k, len(names), 3) or m.bases.shape != (k, q, j, 3):
        return f"means {m.means.shape} and bases {m.bases.shape} are not (K, {len(names)}, 3) and (K, Q, J, 3)"
    if not 1 <= q < centred_dim(j) or m.stds.shape != (k, q) or m.noise.shape != (k,) or m.weights.shape != (k,):
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
    """(..., J, 3) -> (..., 16, 3): child minus parent for each bone of H36M_17 (a model's first 17 joints)."""
    return poses[..., BONES[:, 1], :] - poses[..., BONES[:, 0], :]


def canonical_poses(poses: np.ndarray) -> np.ndarray:
    """(M, J, 3) poses (H36M_17's joints first), Z up, any yaw, position and unit -> (M, J, 3) canonical and
    normalised: centroid at the origin, turned about Z so that the subject's right (hips and shoulders, left to
    right) points along +X and the subject faces +Y, scaled to a root-sum-square bone length of 1 over H36M_17."""
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
    """(M, J, 3) canonical poses (J in JOINT_SETS) -> their mirror images: left and right swapped, X negated."""
    poses = np.asarray(poses)
    return poses[:, list(joint_set(poses.shape[1]).mirror)] * np.array([-1.0, 1.0, 1.0])


def ppca_closed_form(points: torch.Tensor, latent_dim: int) -> tuple[torch.Tensor, ...]:
    """Tipping & Bishop's maximum-likelihood PPCA of (M, J, 3) centred poses: mean (J, 3), basis (Q, J, 3),
    coefficient stds (Q,) and the noise std, the mean of the discarded eigenvalues over the 3J - 3 dimensions a
    centred pose has. The eigenvectors are sought inside those dimensions, so the basis has centroid 0 however
    many of the pose's directions the poses leave flat."""
    m, j, _ = points.shape
    x = points.reshape(m, -1)
    mean = x.mean(0)
    centred = torch.kron(_helmert(j, x), torch.eye(3, dtype=x.dtype, device=x.device))  # (3J, 3J - 3)
    y = (x - mean) @ centred
    eigval, eigvec = torch.linalg.eigh(y.T @ y / m)
    eigval, eigvec = eigval.flip(0), centred @ eigvec.flip(1)
    noise_var = eigval[latent_dim:].clamp_min(0).mean().clamp_min(1e-12)
    stds = (eigval[:latent_dim] - noise_var).clamp_min(1e-12).sqrt()
    return mean.reshape(j, 3), eigvec[:, :latent_dim].T.reshape(latent_dim, j, 3), stds, noise_var.sqrt()


def _helmert(j: int, like: torch.Tensor) -> torch.Tensor:
    """(J, J - 1) orthonormal columns orthogonal to the ones vector (Helmert's contrasts)."""
    k = torch.arange(1, j, dtype=like.dtype, device=like.device)  # column k - 1: k ones, then -k, then zeros
    rows = torch.arange(j, dtype=like.dtype, device=like.device)[:, None]
    h = torch.where(rows < k, 1.0, torch.where(rows == k, -k, 0.0))
    return h / torch.sqrt(k * (k + 1))


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
    metadata: dict | None = None,
) -> MixturePPCA:
    """A mixture of PPCA from (M, J, 3) poses on one of JOINT_SETS (Z up; any yaw, position and unit): poses are
    made canonical, doubled with their mirror images, clustered by k-means and given one PPCA per cluster."""
    poses = np.asarray(poses, dtype=np.float64)
    if poses.ndim != 3 or poses.shape[1] not in JOINT_SETS or poses.shape[2] != 3:
        sizes = " or ".join(f"(M, {j}, 3)" for j in JOINT_SETS)
        raise ValueError(f"training poses must be {sizes}, not {poses.shape}")
    joints = JOINT_SETS[poses.shape[1]]
    if not 1 <= latent_dim < centred_dim(len(joints)):
        raise ValueError(f"the latent size must be 1 to {centred_dim(len(joints)) - 1} on {len(joints)} joints")
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
    return MixturePPCA(joints.joints, means, bases, stds, noise, weights, source, dict(metadata or {}))
