import pytest
import torch

from restore.registry import ARCHS, BACKBONES, HEADS, Registry, build_backbone, build_head


def test_known_names_are_registered():
    assert {"res", "naf", "swin"} <= set(BACKBONES.names())
    assert "pixelshuffle" in HEADS.names()
    assert "srnet" in ARCHS.names()


def test_typo_lists_known_names():
    with pytest.raises(KeyError, match="unknown backbone 'rse'; known: naf, res"):
        build_backbone("rse")


def test_double_registration_is_an_error():
    reg = Registry("thing", ())
    reg.register("a")(lambda: None)
    with pytest.raises(KeyError, match="registered twice"):
        reg.register("a")(lambda: 1)


SMALL_BODIES = {"res": {"channels": 8, "blocks": 2}, "naf": {"channels": 8, "blocks": 2},
                "swin": {"channels": 8, "blocks": 1, "depth": 2, "heads": 2, "window": 4}}


def test_every_backbone_has_a_small_case():
    assert set(SMALL_BODIES) == set(BACKBONES.names())


@pytest.mark.parametrize("name", sorted(SMALL_BODIES))
def test_backbones_keep_shape_and_report_receptive_field(name):
    body = build_backbone(name, **SMALL_BODIES[name]).eval()
    x = torch.zeros(1, 8, 21, 21)
    x[:, :, 10, 10] = 1
    with torch.no_grad():
        y = body(x) - x - body(torch.zeros_like(x))
    assert y.shape == x.shape
    # the response to a point stays within the reported radius
    rows = y.abs().sum((0, 1, 3)).nonzero().flatten()
    assert rows.min() >= 10 - body.receptive_radius and rows.max() <= 10 + body.receptive_radius


def test_pixelshuffle_head_scales():
    head = build_head("pixelshuffle", channels=8, scale=3)
    assert head(torch.zeros(1, 8, 5, 7)).shape == (1, 3, 15, 21)
