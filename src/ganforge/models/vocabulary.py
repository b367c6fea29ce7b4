"""The one vocabulary of model-family parameters (``model.KEY``), checked by a test.

Every registered family's keyword-only parameters must be words of this table, so the same idea
has the same key everywhere and a new family cannot invent a synonym: it uses these names, or
adds a genuinely new concept here (a reviewed, one-line change). ``g_norm`` / ``d_norm`` take
their values from the one set in ``ganforge.nn.norm.NORMS``.
"""

from __future__ import annotations

SHARED: dict[str, str] = {
    "z_dim": "size of the latent vector z",
    "g_width": "generator base width: channels of its last convolution (at the output "
    "resolution) or hidden units of an MLP; families whose widths follow a progression double it "
    "towards lower resolutions",
    "d_width": "discriminator base width: channels of its first convolution (at the input "
    "resolution) or hidden units of an MLP",
    "width_max": "the cap on widths for families whose widths follow a progression",
    "g_depth": "generator depth where it is configurable (MLP layers, U-Net levels, residual "
    "blocks)",
    "d_depth": "discriminator depth where it is configurable (MLP layers)",
    "patch_layers": "stride-2 convolutions of a PatchGAN discriminator (3: 70x70 patches)",
    "g_norm": "generator normalisation, one of ganforge.nn.norm.NORMS",
    "d_norm": "discriminator normalisation, one of ganforge.nn.norm.NORMS",
    "conditional": "condition both networks on the dataset's class labels",
}

# concepts that only some families have (each genuinely new, not another name for a shared one)
OWN: dict[str, str] = {
    "code": "size of the code of BEGAN's auto-encoder discriminator",
    "upsample": "how the generator doubles the resolution (transposed conv or resize + conv)",
    "pack": "PacGAN: samples the discriminator judges jointly",
    "d_maxout": "pieces of the MLP discriminator's maxout units (1: leaky ReLU units)",
    "widths": "explicit widths, one per resolution from 4x4 up, for both networks",
    "mbstd_group": "group size of the minibatch standard deviation feature",
    "w_dim": "size of StyleGAN's intermediate latent w",
    "mapping_layers": "dense layers of StyleGAN's mapping network",
    "mapping_lr_mul": "learning-rate multiplier of StyleGAN's mapping network",
    "style_mixing": "share of training images generated from two mixed latents",
    "truncation_cutoff": "style inputs (from the coarsest) that the truncation trick affects",
    "w_avg_beta": "decay of the running average of w (the truncation centre)",
    "g_bias": "conv biases in the generator",
    "d_bias": "conv biases in the discriminator (null: the reference implementation's choice)",
    "d_same_padding": "TensorFlow 'same' padding in the PatchGAN's stride-1 convolutions",
    "g_residual": "how a ResNet generator's block joins its input: added (the paper) or "
    "concatenated (the Keras CycleGAN tutorial)",
    "g_same_padding": "TensorFlow 'same' zero padding in the ResNet generator (not reflection)",
    "g_out_norm": "a normalisation layer before the generator's tanh output (the Keras CycleGAN "
    "tutorial)",
    "dropout": "dropout probability in the generator",
    "dropout_layers": "decoder layers of the U-Net that use dropout",
    "class_dim": "size of the learned class embedding concatenated to the inputs (cgan, acgan) "
    "or of InfoGAN's categorical code embedding",
    "d_condition": "how cgan's discriminator takes the label: concatenated to its input or by "
    "projection (Miyato & Koyama)",
    "categories": "values of InfoGAN's categorical latent code",
    "continuous": "InfoGAN's continuous latent codes (uniform on [-1, 1])",
    "code_std": "InfoGAN's continuous-code Gaussian in Q: unit variance or a learned one",
    "test_mode": "Pix2Pix at test time: keep batch statistics and dropout ('train') or not",
    "shared_dim": "size of BigGAN's shared class embedding (0: per-class batch-norm gains)",
    "hierarchical": "BigGAN's hierarchical latent: z split into chunks, one per generator block",
    "g_attention": "resolution of the generator's self-attention block (0: none)",
    "d_attention": "resolution of the discriminator's self-attention block (0: none)",
    "sn_eps": "epsilon of spectral normalisation's power iteration",
    "bn_eps": "epsilon of the generator's batch norms",
    "init": "weight initialisation: orthogonal ('ortho'), N(0, 0.02) ('N02'), Glorot ('xavier')",
}

VOCABULARY: dict[str, str] = {**SHARED, **OWN}
