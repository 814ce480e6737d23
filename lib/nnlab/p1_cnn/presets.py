"""The Problem 1 network, its variants, and published networks as spec lists.

The published ones follow their reference implementations layer by layer:
torchvision's ``alexnet``, ``vgg16`` and ``resnet18`` (ImageNet, 224x224;
their ``AdaptiveAvgPool2d`` is the identity at that size and is left out,
dropout has no geometry or parameters), and TF-Slim's ``alexnet_v2``
(convolutions "SAME" but the first, "VALID" pools).
"""

from __future__ import annotations

from nnlab.p1_cnn.geometry import check_layers
from nnlab.p1_cnn.specs import (
    BatchNorm,
    Conv,
    Flatten,
    GlobalAvgPool,
    Linear,
    MaxPool,
    ReLU,
    Residual,
)
from nnlab.validate import check_choice, check_int

PROBLEM1_INPUT = (32, 32, 3)
IMAGENET_INPUT = (224, 224, 3)


def problem1_layers() -> list:
    """Return the Problem 1 network on a 32x32x3 input.

    Every convolution has stride 1 and zero padding (K-1)/2, stated
    explicitly (a Conv's default, as in PyTorch, is no padding).
    """
    net = []
    for f, k, pool in [
        (16, 5, False),
        (24, 3, True),
        (32, 3, False),
        (48, 3, True),
        (64, 3, False),
        (64, 1, True),
        (96, 3, True),
        (128, 3, True),
    ]:
        net += [Conv(f, k, stride=1, pad=(k - 1) // 2), ReLU()]
        net += [MaxPool(2, stride=2)] if pool else []
    return net


def replace_pools(layers, kernel: int, pad: int, in_channels: int) -> list:
    """Replace each MaxPool by a Conv with the pool's stride.

    The Conv has as many filters as its input has channels and the given
    kernel and pad.

    Parameters
    ----------
    layers : list of specs
    kernel : int
        Side of the replacing convolutions, >= 1.
    pad : int
        Their zero padding, >= 0.
    in_channels : int
        Channels of the network's input, >= 1 (the filters of a pool that
        comes before any Conv).

    Returns
    -------
    list of specs

    Raises
    ------
    TypeError, ValueError
        As `nnlab.p1_cnn.geometry.check_layers` and
        `nnlab.validate.check_int`.
    """
    layers = check_layers(layers)
    kernel = check_int("kernel", kernel, 1)
    pad = check_int("pad", pad, 0)
    out, channels = [], check_int("in_channels", in_channels, 1)
    for spec in layers:
        if isinstance(spec, MaxPool):
            spec = Conv(channels, kernel, stride=spec.stride_hw, pad=pad)
        elif isinstance(spec, Conv):
            channels = spec.filters
        out.append(spec)
    return out


def strided_convs(layers) -> list:
    """Drop each MaxPool and give the convolution before it the pool's stride.

    The all-convolutional reading of "replace pooling by strided
    convolution" (Springenberg et al., 2015): no layer is added, the
    convolution that fed the pool computes only every s-th output.

    Raises
    ------
    TypeError, ValueError
        As `nnlab.p1_cnn.geometry.check_layers`, or if a pool has no
        stride-1 convolution before it.

    References
    ----------
    J. T. Springenberg, A. Dosovitskiy, T. Brox, M. Riedmiller, "Striving for
    simplicity: the all convolutional net", ICLR workshop, 2015.
    """
    out = []
    for i, spec in enumerate(check_layers(layers)):
        if not isinstance(spec, MaxPool):
            out.append(spec)
            continue
        j = max((k for k, s in enumerate(out) if isinstance(s, Conv)), default=None)
        if j is None or out[j].stride_hw != (1, 1):
            raise ValueError(
                f"row {i + 1} ({spec.name}) has no stride-1 Conv before it to "
                "take its stride"
            )
        c = out[j]
        out[j] = Conv(
            c.filters, c.kernel, spec.stride_hw, c.pad, c.dilation, c.groups, c.bias
        )
    return out


def problem1_variants() -> dict[str, list]:
    """Return the Problem 1 network and the two readings of its part (c).

    Each pool replaced by an inserted stride-2 convolution (2x2 without
    padding, or 3x3 with padding 1: `replace_pools`), and each pool dropped
    with its stride given to the convolution before it (`strided_convs`).
    """
    net = problem1_layers()
    C = PROBLEM1_INPUT[2]
    return {
        "max-pool 2x2/2": net,
        "conv 2x2/2": replace_pools(net, kernel=2, pad=0, in_channels=C),
        "conv 3x3/2, pad 1": replace_pools(net, kernel=3, pad=1, in_channels=C),
        "strided, no pool": strided_convs(net),
    }


def _classifier(features: int = 4096, classes: int = 1000) -> list:
    return [Flatten(), Linear(features), ReLU(), Linear(features), ReLU()] + [
        Linear(classes)
    ]


def vgg16() -> list:
    """Torchvision ``vgg16`` (configuration D) for a 224x224x3 input."""
    net = []
    for block in ((64, 64), (128, 128), (256,) * 3, (512,) * 3, (512,) * 3):
        for f in block:
            net += [Conv(f, 3, pad=1), ReLU()]
        net.append(MaxPool(2))
    return net + _classifier()


def alexnet() -> list:
    """Torchvision ``alexnet`` (the "one weird trick" variant) for 224x224x3."""
    return [
        Conv(64, 11, stride=4, pad=2),
        ReLU(),
        MaxPool(3, 2),
        Conv(192, 5, pad=2),
        ReLU(),
        MaxPool(3, 2),
        Conv(384, 3, pad=1),
        ReLU(),
        Conv(256, 3, pad=1),
        ReLU(),
        Conv(256, 3, pad=1),
        ReLU(),
        MaxPool(3, 2),
    ] + _classifier()


def alexnet_v2_features() -> list:
    """TF-Slim ``alexnet_v2`` up to pool5 (its classifier is convolutional)."""
    return [
        Conv(64, 11, stride=4, pad="valid"),
        ReLU(),
        MaxPool(3, 2),
        Conv(192, 5, pad="same"),
        ReLU(),
        MaxPool(3, 2),
        Conv(384, 3, pad="same"),
        ReLU(),
        Conv(384, 3, pad="same"),
        ReLU(),
        Conv(256, 3, pad="same"),
        ReLU(),
        MaxPool(3, 2),
    ]


def basic_block(filters: int, stride: int = 1, project: bool = False) -> Residual:
    """Torchvision's ResNet ``BasicBlock`` before its final ReLU.

    Two 3x3 convolutions (the first with `stride`) with batch norm; the
    shortcut is the identity, or a 1x1 convolution with `stride` and batch
    norm when `project`.
    """
    body = [
        Conv(filters, 3, stride=stride, pad=1, bias=False),
        BatchNorm(),
        ReLU(),
        Conv(filters, 3, pad=1, bias=False),
        BatchNorm(),
    ]
    shortcut = [Conv(filters, 1, stride=stride, bias=False), BatchNorm()]
    return Residual(body, shortcut if project else None)


def resnet18() -> list:
    """Torchvision ``resnet18`` for 224x224x3; a ReLU row follows each block."""
    net = [
        Conv(64, 7, stride=2, pad=3, bias=False),
        BatchNorm(),
        ReLU(),
        MaxPool(3, 2, pad=1),
    ]
    for filters, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        net += [basic_block(filters, stride, project=stride != 1), ReLU()]
        net += [basic_block(filters), ReLU()]
    return net + [GlobalAvgPool(), Linear(1000)]


def dilated_stack() -> list:
    """Three 3x3 convolutions with dilation 1, 2, 3 (padding keeps the size)."""
    net = []
    for d in (1, 2, 3):
        net += [Conv(16, 3, pad=d, dilation=d), ReLU()]
    return net


def presets() -> dict[str, tuple[list, tuple[int, int, int]]]:
    """Networks to try the table on: name -> (layers, input shape)."""
    return {
        "Problem 1": (problem1_layers(), PROBLEM1_INPUT),
        "VGG-16": (vgg16(), IMAGENET_INPUT),
        "AlexNet": (alexnet(), IMAGENET_INPUT),
        "ResNet-18": (resnet18(), IMAGENET_INPUT),
        "dilated 3x3 stack": (dilated_stack(), PROBLEM1_INPUT),
    }


def preset(name: str) -> tuple[list, tuple[int, int, int]]:
    """(layers, input shape) of one of `presets`.

    Raises
    ------
    TypeError, ValueError
        If `name` is not one of the preset names.
    """
    nets = presets()
    return nets[check_choice("name", name, nets)]
