"""Every registered network: it declares its descriptor, records arguments that rebuild it, and has a case here."""
from __future__ import annotations

import json

import pytest
import torch.nn as nn

from nets import ARCH_CASES, build
from restore.registry import ARCHS, Descriptor, recording


def test_every_registered_network_has_a_tiny_case():
    assert {arch for arch, _ in ARCH_CASES.values()} == set(ARCHS.names())


@pytest.mark.parametrize("case", sorted(ARCH_CASES))
def test_descriptor_and_recorded_arguments_rebuild_the_same_network(case):
    net = build(case)
    arch, kwargs = ARCH_CASES[case]
    assert isinstance(net.descriptor, Descriptor)
    assert net.arch_spec[0] == arch
    recorded = net.arch_spec[1]
    assert json.loads(json.dumps(recorded)) == recorded          # what the manifest stores
    assert all(recorded[k] == v for k, v in kwargs.items())
    again = ARCHS.build(arch, **recorded)
    assert again.arch_spec == net.arch_spec and again.descriptor == net.descriptor
    assert {k: v.shape for k, v in again.state_dict().items()} == {k: v.shape for k, v in net.state_dict().items()}
    again.load_state_dict(net.state_dict(), strict=True)


def test_a_network_without_a_descriptor_fails_when_it_is_built():
    class Forgetful(nn.Module):
        def __init__(self, width: int = 4):
            super().__init__()
            self.conv = nn.Conv2d(3, width, 3)

    recording("forgetful", Forgetful)
    with pytest.raises(TypeError, match="'forgetful' .*does not declare its Descriptor"):
        Forgetful(width=2)


def test_a_descriptor_with_a_field_missing_or_implausible_is_refused():
    with pytest.raises(TypeError):
        Descriptor(radius=3, multiple=1, scales=(1,), in_channels=3, bf16_safe=True)    # no bytes_per_pixel
    with pytest.raises(ValueError, match="implausible"):
        Descriptor(radius=3, multiple=0, scales=(1,), in_channels=3, bf16_safe=True, bytes_per_pixel=8.0)
