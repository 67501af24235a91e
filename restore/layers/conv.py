"""Convolution blocks shared by the conv backbones."""
from __future__ import annotations

import torch
import torch.nn as nn

__all__ = ["conv3x3", "ResBlock", "NAFBlock", "LayerNorm2d", "simple_gate"]


def conv3x3(cin: int, cout: int, bias: bool = True) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, padding=1, bias=bias)


class ResBlock(nn.Module):
    """EDSR-style residual block: conv-act-conv with a scaled identity skip (no normalisation)."""

    def __init__(self, channels: int, res_scale: float = 1.0):
        super().__init__()
        self.conv1 = conv3x3(channels, channels)
        self.conv2 = conv3x3(channels, channels)
        self.act = nn.LeakyReLU(0.1, inplace=True)
        self.res_scale = res_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.res_scale * self.conv2(self.act(self.conv1(x)))


class LayerNorm2d(nn.Module):
    """Channel LayerNorm for N×C×H×W tensors."""

    def __init__(self, channels: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mu = x.mean(1, keepdim=True)
        var = (x - mu).pow(2).mean(1, keepdim=True)
        return (x - mu) / torch.sqrt(var + self.eps) * self.weight[:, None, None] + self.bias[:, None, None]


def simple_gate(x: torch.Tensor) -> torch.Tensor:
    """NAFNet's SimpleGate: split channels in two halves and multiply them."""
    a, b = x.chunk(2, dim=1)
    return a * b


class NAFBlock(nn.Module):
    """NAFNet block without the global channel attention (which would break exact tiling).

    1×1 expand → depthwise k×k → SimpleGate → 1×1, then a gated FFN; both with learned residual scales.
    """

    def __init__(self, channels: int, expand: int = 2, kernel: int = 3):
        super().__init__()
        hidden = channels * expand
        self.norm1 = LayerNorm2d(channels)
        self.pw1 = nn.Conv2d(channels, hidden, 1)
        self.dw = nn.Conv2d(hidden, hidden, kernel, padding=kernel // 2, groups=hidden)
        self.pw2 = nn.Conv2d(hidden // 2, channels, 1)
        self.norm2 = LayerNorm2d(channels)
        self.ffn1 = nn.Conv2d(channels, hidden, 1)
        self.ffn2 = nn.Conv2d(hidden // 2, channels, 1)
        self.beta = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.gamma = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.pw2(simple_gate(self.dw(self.pw1(self.norm1(x)))))
        x = x + self.beta * y
        y = self.ffn2(simple_gate(self.ffn1(self.norm2(x))))
        return x + self.gamma * y
