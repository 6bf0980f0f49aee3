"""Belief maps: a rendered point reads back where it was, fusion moves a wrong peak towards the 3D model's, and a
map read near a point finds the peak there, not a stronger one elsewhere."""

import torch

from poselift.core.lift.belief_maps import fuse, near, read, render


def test_a_rendered_point_reads_back_to_a_hundredth_of_a_pixel():
    points = torch.tensor([[[10.3, 20.7], [40.0, 5.25], [63.0, 0.0]]], dtype=torch.float64)
    maps = render(points, (64, 64), sigma=1.5)
    assert (
        maps.shape == (1, 3, 64, 64)
        and torch.isclose(maps.amax(dim=(-1, -2)), torch.ones(1, 3).double(), atol=0.1).all()
    )
    got, peak = read(maps)
    assert (got[0, :2] - points[0, :2]).abs().max() < 0.01
    assert (got[0, 2] - points[0, 2]).abs().max() < 0.01, "a peak on the border stays on it"
    assert (peak > 0.7).all()


def test_hidden_or_missing_points_render_empty_maps():
    points = torch.tensor([[[10.0, 10.0], [float("nan"), 3.0], [30.0, 30.0]]])
    maps = render(points, (32, 32), sigma=2.0, visible=torch.tensor([[True, True, False]]))
    assert maps[0, 0].max() > 0.99 and maps[0, 1].max() == 0 and maps[0, 2].max() == 0


def test_fusing_with_the_models_projection_moves_a_wrong_peak():
    truth = torch.tensor([[[20.0, 30.0]]])
    wrong = render(torch.tensor([[[28.0, 30.0]]]), (64, 64), 2.0) * 0.6 + render(truth, (64, 64), 2.0) * 0.5
    assert (read(wrong)[0] - torch.tensor([[[28.0, 30.0]]])).abs().max() < 0.5, "the network alone picks the decoy"
    fused = fuse(wrong, render(truth, (64, 64), 2.0), 0.5)
    assert (read(fused)[0] - truth).abs().max() < 0.5


def test_reading_near_a_point_finds_the_peak_there_not_a_stronger_one_elsewhere():
    weak, strong = torch.tensor([[[12.3, 40.6]]]), torch.tensor([[[45.0, 20.0]]])
    maps = 0.5 * render(weak, (64, 64), 1.5) + render(strong, (64, 64), 1.5)
    assert (read(maps)[0] - strong).abs().max() < 0.01
    found, peak = read(near(maps, torch.tensor([[[14.0, 39.0]]]), radius=4))
    assert (found - weak).abs().max() < 0.01 and abs(float(peak) - 0.5) < 0.05
    assert torch.equal(near(maps, torch.tensor([[[float("nan"), 0.0]]]), radius=4), maps), "no point: the whole map"
    assert near(maps, torch.tensor([[[30.0, 60.0]]]), radius=2).max() < 1e-3, "nothing near: (almost) empty"


def test_a_peak_beyond_a_windows_edge_is_not_read_at_the_edge():
    maps = render(torch.tensor([[[10.3, 16.0]]]), (32, 32), 1.5)
    found, peak = read(near(maps, torch.tensor([[[5.0, 16.0]]]), radius=4))  # the window ends at x = 9
    assert found[0, 0, 0] == 9 and peak.item() == 0, "the maximum on the edge is not a peak: the lift keeps its own"
    found, peak = read(near(maps, torch.tensor([[[9.0, 16.0]]]), radius=4))
    assert (found - torch.tensor([10.3, 16.0])).abs().max() < 0.01 and peak.item() > 0.9
