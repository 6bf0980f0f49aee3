"""The networks' weights as matched from their TFLite files, kept in PyTorch's own format for the next start.

Matching a network to its TFLite file (`tflite_torch.load_tflite_weights`: the file read, both graphs traced and
aligned) takes a quarter of a second for the detector and the full landmark network together; loading the state
dict it gave takes a few hundredths. So the first start keeps that state dict, as `<file stem>-<key>.pt` in
`matched/` of the weights' cache folder (`weights.cache_folder`), and later starts load it. The key is a hash of
the TFLite file's sha256, the network's parameter names and shapes and the source of the code that matches them
(this package's reader, matcher and network modules): a different file, or code that could match differently,
has another key and is matched afresh (the stale file of that stem is then removed). A kept file that cannot be
read or does not fit is matched afresh and written again; where the folder cannot be written, or the sources
cannot be read (an install without them), every start matches.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from torch import nn

from ..formats.atomic import write_atomically
from . import weights as weight_files
from .tflite_torch import load_tflite_weights

FOLDER = "matched"
_MATCHING_CODE = ("tflite.py", "tflite_torch.py", "blazepose_net.py", "detector_net.py", "weight_cache.py")


def load_weights(net: nn.Module, path: str | Path, what: str | None = None, folder: Path | None = None) -> None:
    """`load_tflite_weights(net, path, what)`, through the kept state dict in `folder` (default: `matched/` of the
    weights' cache folder) where one with this file's and this code's key is there; else matched and kept."""
    path = Path(path)
    folder = weight_files.cache_folder() / FOLDER if folder is None else Path(folder)
    try:
        kept = folder / f"{path.stem}-{_key(net, path)}.pt"
    except OSError:  # the file or this code's sources cannot be read: matched as it is, its error said there
        load_tflite_weights(net, path, what)
        return
    if kept.is_file():
        try:
            net.load_state_dict(torch.load(kept, map_location="cpu", weights_only=True), strict=True)
            return
        except Exception:  # whatever is there, if it is not this network's weights: matched afresh
            pass
    load_tflite_weights(net, path, what)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_atomically(kept, lambda out: torch.save(net.state_dict(), out))  # the net is still on the CPU here
        for stale in folder.glob(f"{path.stem}-*.pt"):
            if stale != kept:
                stale.unlink(missing_ok=True)
    except OSError:
        pass  # a folder that cannot be written: the next start matches again


def _key(net: nn.Module, path: Path) -> str:
    """16 hex digits naming this TFLite file matched to this network by this code."""
    digest = hashlib.sha256(weight_files.file_sha256(path).encode())
    for name, tensor in net.state_dict().items():
        digest.update(f"{name}{tuple(tensor.shape)};".encode())
    here = Path(__file__).parent
    for source in _MATCHING_CODE:
        digest.update((here / source).read_bytes())
    return digest.hexdigest()[:16]
