"""The TensorFlow Inception-v3 graph of 2015-12-05 (the FID network) as a torch module.

Layer names follow the standard FID checkpoint (``pt_inception-2015-12-05-6726825d.pth``), so its
state dict loads with ``strict=True``. The TensorFlow graph differs from torchvision's Inception-v3
in three places, all reproduced here: average pools in the mixed blocks exclude the zero padding
from the mean, the last mixed block pools with a max instead of an average, and the classifier has
1008 outputs (1000 ImageNet classes plus 8 unused ones).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

Kernel = int | tuple[int, int]

# The trunk's block outputs that are exposed as spatially averaged features.
BLOCK_FEATURES = ("64", "192", "768")


class ConvBN(nn.Module):
    """Convolution without bias, batch norm (TF epsilon 1e-3) and ReLU: the graph's only layer."""

    def __init__(
        self, cin: int, cout: int, kernel: Kernel, stride: int = 1, padding: Kernel = 0
    ) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=1e-3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Output of the ConvBN block."""
        return F.relu(self.bn(self.conv(x)))


def row(cin: int, cout: int, size: int) -> ConvBN:
    """A 1 x size convolution that keeps the spatial size."""
    return ConvBN(cin, cout, (1, size), padding=(0, size // 2))


def column(cin: int, cout: int, size: int) -> ConvBN:
    """A size x 1 convolution that keeps the spatial size."""
    return ConvBN(cin, cout, (size, 1), padding=(size // 2, 0))


def mean_pool_3x3(x: torch.Tensor) -> torch.Tensor:
    """3x3 stride-1 average whose border windows divide by the pixels they cover (TF 'SAME')."""
    return F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)


def max_pool_3x3(x: torch.Tensor) -> torch.Tensor:
    """3x3 stride-1 max with same-size output."""
    return F.max_pool2d(x, 3, stride=1, padding=1)


class MixedA(nn.Module):
    """35x35 block: 1x1, 5x5, double 3x3 and pooled branches (Mixed_5b..5d)."""

    def __init__(self, cin: int, pool_channels: int) -> None:
        super().__init__()
        self.branch1x1 = ConvBN(cin, 64, 1)
        self.branch5x5_1 = ConvBN(cin, 48, 1)
        self.branch5x5_2 = ConvBN(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = ConvBN(cin, 64, 1)
        self.branch3x3dbl_2 = ConvBN(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = ConvBN(96, 96, 3, padding=1)
        self.branch_pool = ConvBN(cin, pool_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Output of the MixedA block."""
        five = self.branch5x5_2(self.branch5x5_1(x))
        double = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        pooled = self.branch_pool(mean_pool_3x3(x))
        return torch.cat([self.branch1x1(x), five, double, pooled], 1)


class ReduceB(nn.Module):
    """35x35 -> 17x17 reduction (Mixed_6a): strided 3x3, strided double 3x3 and a max pool."""

    def __init__(self, cin: int) -> None:
        super().__init__()
        self.branch3x3 = ConvBN(cin, 384, 3, stride=2)
        self.branch3x3dbl_1 = ConvBN(cin, 64, 1)
        self.branch3x3dbl_2 = ConvBN(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = ConvBN(96, 96, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Output of the ReduceB block."""
        double = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch3x3(x), double, F.max_pool2d(x, 3, stride=2)], 1)


class MixedC(nn.Module):
    """17x17 block with factorised 7x7 convolutions (Mixed_6b..6e); ``mid`` is their width."""

    def __init__(self, cin: int, mid: int) -> None:
        super().__init__()
        self.branch1x1 = ConvBN(cin, 192, 1)
        self.branch7x7_1 = ConvBN(cin, mid, 1)
        self.branch7x7_2 = row(mid, mid, 7)
        self.branch7x7_3 = column(mid, 192, 7)
        self.branch7x7dbl_1 = ConvBN(cin, mid, 1)
        self.branch7x7dbl_2 = column(mid, mid, 7)
        self.branch7x7dbl_3 = row(mid, mid, 7)
        self.branch7x7dbl_4 = column(mid, mid, 7)
        self.branch7x7dbl_5 = row(mid, 192, 7)
        self.branch_pool = ConvBN(cin, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Output of the MixedC block."""
        seven = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        double = x
        for layer in (
            self.branch7x7dbl_1,
            self.branch7x7dbl_2,
            self.branch7x7dbl_3,
            self.branch7x7dbl_4,
            self.branch7x7dbl_5,
        ):
            double = layer(double)
        pooled = self.branch_pool(mean_pool_3x3(x))
        return torch.cat([self.branch1x1(x), seven, double, pooled], 1)


class ReduceD(nn.Module):
    """17x17 -> 8x8 reduction (Mixed_7a): strided 3x3, 7x7-then-strided-3x3 and a max pool."""

    def __init__(self, cin: int) -> None:
        super().__init__()
        self.branch3x3_1 = ConvBN(cin, 192, 1)
        self.branch3x3_2 = ConvBN(192, 320, 3, stride=2)
        self.branch7x7x3_1 = ConvBN(cin, 192, 1)
        self.branch7x7x3_2 = row(192, 192, 7)
        self.branch7x7x3_3 = column(192, 192, 7)
        self.branch7x7x3_4 = ConvBN(192, 192, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Output of the ReduceD block."""
        three = self.branch3x3_2(self.branch3x3_1(x))
        seven = x
        for layer in (self.branch7x7x3_1, self.branch7x7x3_2, self.branch7x7x3_3):
            seven = layer(seven)
        seven = self.branch7x7x3_4(seven)
        return torch.cat([three, seven, F.max_pool2d(x, 3, stride=2)], 1)


class MixedE(nn.Module):
    """8x8 block whose 3x3 branches split into parallel 1x3 and 3x1 (Mixed_7b, Mixed_7c)."""

    def __init__(self, cin: int, max_pool: bool) -> None:
        super().__init__()
        self.pool = max_pool_3x3 if max_pool else mean_pool_3x3
        self.branch1x1 = ConvBN(cin, 320, 1)
        self.branch3x3_1 = ConvBN(cin, 384, 1)
        self.branch3x3_2a = row(384, 384, 3)
        self.branch3x3_2b = column(384, 384, 3)
        self.branch3x3dbl_1 = ConvBN(cin, 448, 1)
        self.branch3x3dbl_2 = ConvBN(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = row(384, 384, 3)
        self.branch3x3dbl_3b = column(384, 384, 3)
        self.branch_pool = ConvBN(cin, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Output of the MixedE block."""
        three = self.branch3x3_1(x)
        double = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        parts = [
            self.branch1x1(x),
            self.branch3x3_2a(three),
            self.branch3x3_2b(three),
            self.branch3x3dbl_3a(double),
            self.branch3x3dbl_3b(double),
            self.branch_pool(self.pool(x)),
        ]
        return torch.cat(parts, 1)


class FIDInceptionV3(nn.Module):
    """Inception-v3 on normalised 299x299 input; returns pooled block features and logits."""

    def __init__(self) -> None:
        super().__init__()
        self.Conv2d_1a_3x3 = ConvBN(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = ConvBN(32, 32, 3)
        self.Conv2d_2b_3x3 = ConvBN(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = ConvBN(64, 80, 1)
        self.Conv2d_4a_3x3 = ConvBN(80, 192, 3)
        self.Mixed_5b = MixedA(192, 32)
        self.Mixed_5c = MixedA(256, 64)
        self.Mixed_5d = MixedA(288, 64)
        self.Mixed_6a = ReduceB(288)
        self.Mixed_6b = MixedC(768, 128)
        self.Mixed_6c = MixedC(768, 160)
        self.Mixed_6d = MixedC(768, 160)
        self.Mixed_6e = MixedC(768, 192)
        self.Mixed_7a = ReduceD(768)
        self.Mixed_7b = MixedE(1280, max_pool=False)
        self.Mixed_7c = MixedE(2048, max_pool=True)
        self.fc = nn.Linear(2048, 1008)

    def stages(self) -> list[tuple[str | None, list[nn.Module]]]:
        """The trunk as consecutive stages; a named stage's output is an exposed feature."""
        stem = [self.Conv2d_1a_3x3, self.Conv2d_2a_3x3, self.Conv2d_2b_3x3, nn.MaxPool2d(3, 2)]
        return [
            ("64", stem),
            ("192", [self.Conv2d_3b_1x1, self.Conv2d_4a_3x3, nn.MaxPool2d(3, 2)]),
            (None, [self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a]),
            ("768", [self.Mixed_6b, self.Mixed_6c, self.Mixed_6d, self.Mixed_6e]),
            ("pool3", [self.Mixed_7a, self.Mixed_7b, self.Mixed_7c]),
        ]

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Features of normalised (x - 128) / 128 input of shape (N, 3, 299, 299)."""
        out: dict[str, torch.Tensor] = {}
        for name, layers in self.stages():
            for layer in layers:
                x = layer(x)
            if name is not None:
                out[name] = x.mean(dim=(2, 3))
        pool3 = out.pop("pool3")
        out["features"] = pool3
        # float64 keeps the logits independent of the batch size (float32 GEMM blocking varies)
        out["logits_unbiased"] = pool3.double() @ self.fc.weight.double().T
        out["logits"] = out["logits_unbiased"] + self.fc.bias.double()
        return out
