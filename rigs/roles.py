"""Bone roles: the parts of a body a rig's bone can play, each tied to joints of our skeleton.

A role's bone points from its head joints to its tail joints (the mean of each group, joints of
`core.skeleton.POSELIFT`). Its twist about that axis comes from `twist` joints: the bone turns so that
their mean keeps the side of the bone it had at rest. Where the rig at rest does not show that side (a
straight limb in a T-pose, no thumb bone), `rest_twist` names where it lies in the rig's own body frame:
the way the elbow bends in a T-pose is forwards, the knee's backwards. A role with no tail joints has no
direction of its own and keeps its rest orientation under its parent (toes: our skeleton has the tip of
the foot, not its ball); a thumb role only marks, by its bone's head, where the rig's thumb is at rest.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.skeleton import mirror_name


@dataclass(frozen=True)
class Role:
    name: str
    parent: str | None
    head: tuple[str, ...]
    tail: tuple[str, ...]
    twist: tuple[str, ...]
    rest_twist: str | None = None


def _mirrored(role: Role) -> Role:
    def flip(names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(mirror_name(n) for n in names)

    parent = None if role.parent is None else mirror_name(role.parent)
    return Role(mirror_name(role.name), parent, flip(role.head), flip(role.tail), flip(role.twist), role.rest_twist)


_CENTRE = (
    Role("hips", None, ("pelvis",), ("spine",), ("left_hip",)),
    Role("spine", "hips", ("pelvis",), ("spine",), ("left_hip",)),
    Role("chest", "spine", ("spine",), ("thorax",), ("left_shoulder",)),
    Role("upper_chest", "chest", ("spine",), ("thorax",), ("left_shoulder",)),
    Role("neck", "upper_chest", ("thorax",), ("neck",), ("left_shoulder",)),
    Role("head", "neck", ("neck",), ("head_top",), ("thorax",), "back"),
)
_LEFT = (
    Role("left_shoulder", "upper_chest", ("thorax",), ("left_shoulder",), ("spine",), "down"),
    Role("left_upper_arm", "left_shoulder", ("left_shoulder",), ("left_elbow",), ("left_wrist",), "forward"),
    Role("left_forearm", "left_upper_arm", ("left_elbow",), ("left_wrist",), ("left_thumb",), "forward"),
    Role("left_hand", "left_forearm", ("left_wrist",), ("left_index", "left_pinky"), ("left_thumb",), "forward"),
    Role("left_thigh", "hips", ("left_hip",), ("left_knee",), ("left_ankle",), "back"),
    Role("left_shin", "left_thigh", ("left_knee",), ("left_ankle",), ("left_toe",), "forward"),
    Role("left_foot", "left_shin", ("left_ankle",), ("left_toe",), ("left_heel",), "down"),
    Role("left_toe", "left_foot", (), (), ()),
    # A marker: where the rig's thumb starts tells which side of the forearm and hand the thumb is on at rest.
    Role("left_thumb", "left_hand", ("left_thumb",), (), ()),
)

ROLES: tuple[Role, ...] = _CENTRE + _LEFT + tuple(_mirrored(r) for r in _LEFT)
ROLE_NAMES: tuple[str, ...] = tuple(r.name for r in ROLES)
ROLE_BY_NAME: dict[str, Role] = {r.name: r for r in ROLES}

# Without these a rig cannot carry a body's motion; the others are retargeted where a rig has them.
ESSENTIAL_ROLES: tuple[str, ...] = (
    "hips", "left_upper_arm", "left_forearm", "right_upper_arm", "right_forearm",
    "left_thigh", "left_shin", "right_thigh", "right_shin",
)  # fmt: skip

