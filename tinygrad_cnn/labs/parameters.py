"""Lab ``parameters`` (notes §1.2, §3.6-3.7): trainable parameters counted by building the
models -- a conv layer with one and with two 3x3x3 filters, VGG-16, and the MLP of §1.2 on a
224x224x3 input with three hidden layers of 128 -- and the notes' "300 billion" claim checked.

Models are built under ``nn.init.skip_init`` (zero weights: counting needs shapes, not draws).

Example:
    >>> import tempfile
    >>> r = run(out=tempfile.mkdtemp())
    >>> r.data["conv_1_filter"], r.data["conv_2_filters"], r.data["vgg16"]
    (28, 56, 138357544)
"""
from __future__ import annotations

import os

from tinygrad_cnn import nn
from tinygrad_cnn.models import vgg16
from tinygrad_cnn.nn.init import skip_init

from . import draw
from .common import save_picture
from .result import LabResult, Table

#: the notes' claim for the MLP of §1.2
NOTES_CLAIM = 300_000_000_000
#: the MLP of §1.2: 224x224x3 inputs, three hidden layers of 128 units, ImageNet's 1000 classes
MLP_INPUT, MLP_HIDDEN, MLP_CLASSES = 224 * 224 * 3, (128, 128, 128), 1000


def mlp(inputs: int = MLP_INPUT, hidden: tuple[int, ...] = MLP_HIDDEN,
        classes: int | None = MLP_CLASSES) -> nn.Sequential:
    """Flatten, then Linear + ReLU per hidden width, then a Linear to ``classes`` outputs
    (none when ``classes`` is None).

    Example:
        >>> mlp(12, (4,), 2).num_parameters()   # 12*4+4 + 4*2+2
        62
    """
    layers: list[nn.Module] = [nn.Flatten()]
    width = inputs
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    if classes is not None:
        layers.append(nn.Linear(width, classes))
    return nn.Sequential(*layers)


def run(out: str | os.PathLike[str], seed: int = 0) -> LabResult:
    """Build the models, count their parameters, write ``parameters.png`` into ``out``."""
    with skip_init():
        conv1 = nn.Conv2d(3, 1, kernel_size=3)
        conv2 = nn.Conv2d(3, 2, kernel_size=3)
        vgg = vgg16()
        mlp_head = mlp()
        mlp_body = mlp(classes=None)
    counts = {"conv_1_filter": conv1.num_parameters(), "conv_2_filters": conv2.num_parameters(),
              "vgg16": vgg.num_parameters(), "mlp": mlp_head.num_parameters(),
              "mlp_no_output_layer": mlp_body.num_parameters(),
              "mlp_first_layer": mlp_head[1].num_parameters()}
    rows = [
        ["Conv2d(3, 1, 3): one 3x3x3 filter", "3.6", "28", counts["conv_1_filter"]],
        ["Conv2d(3, 2, 3): two 3x3x3 filters", "3.7", "56", counts["conv_2_filters"]],
        ["VGG-16 (ImageNet, 1000 classes)", "2.1", "", counts["vgg16"]],
        ["  its Linear(25088, 4096) after Conv-5", "4.1", "> 100 million",
         vgg.classifier[0].num_parameters()],
        ["MLP 150,528-128-128-128-1000", "1.2", "> 300 billion", counts["mlp"]],
        ["  same MLP without the output layer", "1.2", "> 300 billion",
         counts["mlp_no_output_layer"]],
        ["  its first Linear(150528, 128) alone", "", "", counts["mlp_first_layer"]],
    ]
    holds = counts["mlp"] > NOTES_CLAIM
    factor = NOTES_CLAIM / counts["mlp"]
    conv_total = sum(m.num_parameters() for m in vgg.features.modules()
                     if isinstance(m, nn.Conv2d))
    counts["vgg16_conv_layers"] = conv_total
    counts["vgg16_fc6"] = vgg.classifier[0].num_parameters()
    rows.append(["VGG-16's 13 conv layers together", "", "", conv_total])
    outweighs = "outweighs" if counts["mlp_first_layer"] > conv_total else "does not outweigh"
    findings = [
        f"conv layers: 3*3*3 weights + 1 bias = {counts['conv_1_filter']}, two filters "
        f"= {counts['conv_2_filters']} -- "
        + ("as the notes say" if (counts["conv_1_filter"], counts["conv_2_filters"]) == (28, 56)
           else "NOT the notes' 28 and 56"),
        f"VGG-16 has {counts['vgg16']:,} parameters; its first fully connected layer has "
        f"{counts['vgg16_fc6']:,} ({'over' if counts['vgg16_fc6'] > 10**8 else 'not over'} "
        f"the notes' 100 million connections)",
        f"a 224x224x3 input has {MLP_INPUT:,} values (the notes' '224x244x3' is a typo: it "
        f"would be {224 * 244 * 3:,})",
        f"the notes' claim that the MLP would exceed 300 billion parameters "
        f"{'HOLDS' if holds else 'DOES NOT HOLD'}: it has {counts['mlp']:,} "
        f"({counts['mlp_no_output_layer']:,} without the output layer), about "
        f"{factor:,.0f} times fewer; its first layer alone ({counts['mlp_first_layer']:,}) "
        f"{outweighs} all 13 conv layers of VGG-16 ({conv_total:,})",
    ]
    table = Table("trainable parameters, counted on the built models",
                  ["model", "notes §", "notes say", "counted"], rows)
    picture = save_picture(draw.pad(draw.bar_chart(
        [r[0].strip() for r in rows] + ["the notes' claim for the MLP"],
        [float(r[3]) for r in rows] + [float(NOTES_CLAIM)],
        "trainable parameters (log scale)", width=860)), out, "parameters")
    return LabResult("parameters", "Parameters lab: counted by building the models "
                     "(notes 1.2, 3.6-3.7)", [table], findings, picture,
                     {**counts, "claim_holds": holds})
