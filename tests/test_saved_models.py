"""Models saved by earlier versions of the code keep loading, in safe mode, with the same outputs.

tests/fixtures/saved_models/ holds one small model of each kind (dense, conv, ladder, VampPrior,
conditional) saved by the code before the priors became objects, with the outputs it gave on
fixed inputs (tests/fixtures/make_saved_models.py wrote them).
"""

from pathlib import Path

import numpy as np
import pytest

import common
from common import ops

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "saved_models"
KINDS = {  # what each file must load as: (class, arch, prior, train_k, free bits, adversary W, MMD M)
    "dense": ("VAE", "dense", "normal", 1, 0.5, 0.0, 0.0),
    "conv": ("VAE", "conv", "normal", 3, 0.0, 0.0, 0.0),
    "ladder": ("LadderVAE", "ladder", "normal", 1, 0.0, 0.0, 0.0),
    "vamp": ("VAE", "dense", "vamp", 2, 0.0, 0.0, 0.0),
    "conditional": ("VAE", "dense", "normal", 1, 0.0, 10.0, 30.0),
}


@pytest.mark.parametrize("kind", KINDS)
def test_a_saved_model_of_each_kind_loads_with_the_same_outputs(kind):
    expected = np.load(FIXTURES / f"{kind}.npz")
    vae = common.load_vae(FIXTURES / f"{kind}.keras")  # safe mode: no stored code runs
    assert (
        type(vae).__name__,
        vae.arch,
        vae.prior.name,
        vae.train_k,
        vae.free_bits,
        vae.adversary_weight,
        vae.style_mmd,
    ) == KINDS[kind]
    x, z = expected["x"], expected["z"]
    labels = expected["labels"] if "labels" in expected else None
    z_mean, z_log_var = vae.encode(x, labels)
    got = {
        "z_mean": z_mean,
        "z_log_var": z_log_var,
        "decoded": vae.decode(z, labels),
        "reconstruction": vae((x, labels) if labels is not None else x),
        "log_prior": vae.prior.log_prob(vae, z),
    }
    for name, value in got.items():
        np.testing.assert_allclose(
            ops.convert_to_numpy(value), expected[name], rtol=1e-4, atol=1e-5, err_msg=name
        )
