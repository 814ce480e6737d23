"""Problem 1's table against published numbers.

Sources, read for these tests:

- Receptive fields: A. Araujo, W. Norris, J. Sim, google-research/
  receptive_field, ``receptive_field/RECEPTIVE_FIELD_TABLE.md`` (TF-Slim
  models, resolution 224): columns RF, effective stride (our jump) and
  effective padding, at every end-point listed for vgg_16 and alexnet_v2.
- Parameter counts and "GFLOPS": torchvision's weight metadata
  (``torchvision/models/{alexnet,vgg,resnet}.py``, ``num_params`` and
  ``_ops``; shown as GFLOPS in the model docs): AlexNet_Weights.IMAGENET1K_V1
  61,100,840 and 0.714; VGG16_Weights.IMAGENET1K_V1 138,357,544 and 15.47;
  ResNet18_Weights.IMAGENET1K_V1 11,689,512 and 1.814.
"""

import pytest

from nnlab.p1_cnn.geometry import field_masks
from nnlab.p1_cnn.presets import (
    IMAGENET_INPUT,
    alexnet,
    alexnet_v2_features,
    resnet18,
    vgg16,
)
from nnlab.p1_cnn.specs import Conv, MaxPool
from nnlab.p1_cnn.summary import layer_table

# (end-point, RF, effective stride, effective padding), RECEPTIVE_FIELD_TABLE.md,
# rows "vgg_16 | 224" and "alexnet_v2 | 224".
VGG16_RF = [
    ("conv1/conv1_1", 3, 1, 1),
    ("pool1", 6, 2, 2),
    ("conv2/conv2_1", 10, 2, 4),
    ("pool2", 16, 4, 6),
    ("conv3/conv3_1", 24, 4, 10),
    ("conv3/conv3_2", 32, 4, 14),
    ("pool3", 44, 8, 18),
    ("conv4/conv4_1", 60, 8, 26),
    ("conv4/conv4_2", 76, 8, 34),
    ("pool4", 100, 16, 42),
    ("conv5/conv5_1", 132, 16, 58),
    ("conv5/conv5_2", 164, 16, 74),
    ("pool5", 212, 32, 90),
]
ALEXNET_V2_RF = [
    ("conv1", 11, 4, 0),
    ("pool1", 19, 8, 0),
    ("conv2", 51, 8, 16),
    ("conv3", 99, 16, 32),
    ("conv4", 131, 16, 48),
    ("conv5", 163, 16, 64),
    ("pool5", 195, 32, 64),
]


def _end_points(layers):
    """Name the conv and pool rows the way TF-Slim's end-points do."""
    names, block, conv, pool = {}, 1, 0, 0
    for i, spec in enumerate(layers):
        if isinstance(spec, Conv):
            conv += 1
            names[f"conv{block}/conv{block}_{conv}"] = i + 1
        elif isinstance(spec, MaxPool):
            pool += 1
            names[f"pool{block}"] = i + 1
            block, conv = block + 1, 0
    return names


def test_vgg16_receptive_fields_equal_araujo_table():
    net = vgg16()
    table = layer_table(net, IMAGENET_INPUT)
    rows = _end_points(net)
    for name, rf, stride, pad in VGG16_RF:
        row = table.row(rows[name])
        assert (row.rf, row.jump, row.pad) == ((rf, rf), (stride,) * 2, (pad, pad)), (
            name
        )


def test_alexnet_v2_receptive_fields_equal_araujo_table():
    net = alexnet_v2_features()
    table = layer_table(net, IMAGENET_INPUT)
    # Slim names conv1..conv5 and pool1, pool2, pool5: rows of this list.
    rows = {"conv1": 1, "pool1": 3, "conv2": 4, "conv3": 7, "conv4": 9}
    rows |= {"conv5": 11, "pool5": 13}
    for name, rf, stride, pad in ALEXNET_V2_RF:
        row = table.row(rows[name])
        assert (row.rf, row.jump, row.pad) == ((rf, rf), (stride,) * 2, (pad, pad)), (
            name
        )


def test_alexnet_v2_never_sees_five_input_columns_at_224():
    # By hand: conv1 (11/4, VALID) on 224 has 54 outputs, the last covering
    # 212..222, so column 223 is never read. pool1 (3/2) on 54 has 26
    # outputs covering conv1 outputs 0..52: conv1 output 53 (212..222) is
    # dropped, and of its columns only 219..222 are not covered by output 52
    # (208..218). conv2..5 are "SAME" and pool2/pool5 drop conv outputs that
    # the next padded 5x5/3x3 windows still reach, so the unseen columns
    # stay 219..223: five.
    rows, cols = field_masks(alexnet_v2_features(), IMAGENET_INPUT)[-1]
    seen = cols.any(axis=0)
    assert (~seen).sum() == 5 and not seen[219:].any() and seen[:219].all()
    assert not layer_table(alexnet_v2_features(), IMAGENET_INPUT).rows[-1].full


@pytest.mark.parametrize(
    "make, params, gmacs",
    [
        (alexnet, 61_100_840, 0.714),
        (vgg16, 138_357_544, 15.47),
        (resnet18, 11_689_512, 1.814),
    ],
    ids=["alexnet", "vgg16", "resnet18"],
)
def test_torchvision_parameters_and_gflops(make, params, gmacs):
    table = layer_table(make(), IMAGENET_INPUT)
    # num_params counts trainable parameters only (batch norm's running
    # buffers are not parameters), as `params` does.
    assert table.params == params
    # torchvision's "GFLOPS" are multiply-adds of convolutions and linear
    # layers in billions, rounded as published: our MAC column, not our
    # FLOPs (which count a multiply-add as 2 and add ReLU, pools, ...).
    digits = len(str(gmacs).split(".")[1])
    assert round(table.macs / 1e9, digits) == gmacs
    conv_linear_flops = sum(2 * r.macs for r in table.rows)
    assert conv_linear_flops == 2 * table.macs


def test_resnet18_geometry_and_last_block():
    table = layer_table(resnet18(), IMAGENET_INPUT)
    assert table.row(4).shape == (56, 56, 64)  # the padded stem pool
    last = table.row(19)  # the last residual block, before its ReLU
    assert last.shape == (7, 7, 512)
    # 435 pixels: field of ResNet-18's last block, by the recursion through
    # both paths (the body's span dominates the 1x1 shortcut's).
    assert last.rf == (435, 435) and last.jump == (32, 32) and last.pad == (217, 217)
    # Two 3x3 convs of 512 on 512 channels, no bias, two batch norms.
    assert last.params == 2 * (9 * 512 * 512) + 2 * (2 * 512)
    assert last.buffers == 2 * (2 * 512)
    assert last.macs == 2 * (9 * 512 * 512) * 7 * 7
    bn_channels = 64 + 2 * (2 * 64) + sum(5 * c for c in (128, 256, 512))
    assert table.buffers == 2 * bn_channels
