"""--hands (issue 45): simulated hands' letters, each decoded from the code of another letter of its hand."""

import json
import re

import numpy as np
import pytest

import common
import loaders
import training
import vae_letters
from files import UserError
from settings import ModelConfig, Settings
from test_scripts import QUICK, run_script

CLASSES = 5


def coded_data(n_usual, n_hands, classes=CLASSES):
    """Images whose pixels say what they are: [0, 0] the image's own index, [0, 1] its hand (−1: the
    run's own data), laid out as loaders.simulated_hands lays out hands (2 × classes letters each)."""
    n = n_usual + n_hands * 2 * classes
    x = np.zeros((n, 28, 28, 1), np.float32)
    x[:, 0, 0, 0] = np.arange(n)
    x[:, 0, 1, 0] = np.r_[np.full(n_usual, -1), np.repeat(np.arange(n_hands), 2 * classes)]
    y = np.r_[np.arange(n_usual) % classes, np.tile(np.arange(classes), 2 * n_hands)]
    return x, y


def pairs(dataset):
    """(input index, input hand, input label, target index, target hand, target label) of every image
    of one epoch."""
    rows = []
    for ((images, labels, targets, target_labels),) in dataset:  # minibatches, or chunks of them
        images, targets = (np.asarray(t).reshape(-1, 28, 28, 1) for t in (images, targets))
        labels, target_labels = (np.asarray(t).reshape(-1) for t in (labels, target_labels))
        rows.append(
            np.stack(
                [
                    images[:, 0, 0, 0],
                    images[:, 0, 1, 0],
                    labels,
                    targets[:, 0, 0, 0],
                    targets[:, 0, 1, 0],
                    target_labels,
                ],
                1,
            )
        )
    return np.concatenate(rows).astype(int)


def test_each_hand_letter_is_paired_with_another_letter_of_its_hand():
    x, y = coded_data(n_usual=60, n_hands=12)
    dataset = training.training_dataset(x, y, 16, seed=3, steps_per_chunk=4, hands_from=60, classes=CLASSES)
    first, second = pairs(dataset), pairs(dataset)
    for epoch in (first, second):
        index, hand, label, target, target_hand, target_label = epoch.T
        assert np.array_equal(label, y[index]) and np.array_equal(
            target_label, y[target]
        )  # labels travel with images
        usual = hand < 0
        assert usual.any() and (~usual).any()
        assert np.array_equal(target[usual], index[usual])  # the run's own data: its own target
        assert np.array_equal(target_hand[~usual], hand[~usual])  # a hand letter: the same hand ...
        assert (target_label[~usual] != label[~usual]).all()  # ... another letter
    # Fresh pairs each epoch.
    assert not np.array_equal(first[np.argsort(first[:, 0])], second[np.argsort(second[:, 0])])


def test_every_other_letter_of_the_hand_can_be_the_partner():
    hands_from, classes = 7, 4
    for index in range(hands_from, hands_from + 3 * 2 * classes):  # 3 hands of 2 x 4 letters
        hand, klass = (index - hands_from) // (2 * classes), (index - hands_from) % classes
        partners = {
            int(
                training.hand_partners(
                    np.array([index]), hands_from, classes, np.array([shift]), np.array([sample])
                )[0]
            )
            for shift in range(1, classes)
            for sample in (0, 1)
        }
        others = {
            hands_from + hand * 2 * classes + sample * classes + c
            for sample in (0, 1)
            for c in range(classes)
            if c != klass
        }
        assert partners == others
    assert training.hand_partners(
        np.arange(7), hands_from, classes, np.ones(7, int), np.zeros(7, int)
    ).tolist() == list(range(7))


def test_the_numpy_batches_pair_the_same_way():
    x, y = coded_data(n_usual=30, n_hands=6)
    batches = training.Minibatches(x, y, 10, seed=1, hands_from=30, classes=CLASSES)
    index, hand, label, target, target_hand, target_label = pairs(batches[i] for i in range(len(batches))).T
    usual = hand < 0
    assert np.array_equal(target[usual], index[usual])
    assert np.array_equal(target_hand[~usual], hand[~usual]) and (target_label[~usual] != label[~usual]).all()


def loss_with_seed(vae, x, state):
    """compute_loss on x with the sampling layer's random state set to `state`, so two calls draw the
    same ε."""
    vae.sampling.seed_generator.state.assign(state)
    return float(common.ops.convert_to_numpy(vae.compute_loss(x=x, training=True)))


def test_targets_equal_to_the_inputs_give_exactly_the_plain_loss():
    vae = common.build_vae(ModelConfig(latent_dim=8, num_classes=CLASSES, style_mmd=30.0, hidden=32), seed=0)
    assert vae.adversary is not None and vae.style_mmd  # every term of the training loss is in
    rng = np.random.default_rng(0)
    images = (rng.random((16, 28, 28, 1)) < 0.2).astype(np.float32)
    labels = rng.integers(0, CLASSES, 16).astype(np.int32)
    state = common.ops.convert_to_numpy(vae.sampling.seed_generator.state)
    plain = loss_with_seed(vae, (images, labels), state)
    assert loss_with_seed(vae, (images, labels, images, labels), state) == plain
    # Other targets change the reconstruction alone: the KL is the input's.
    others = (images[::-1], labels[::-1])
    vae.sampling.seed_generator.state.assign(state)
    transfer = vae.compute_losses(images, labels, targets=others)
    vae.sampling.seed_generator.state.assign(state)
    own = vae.compute_losses(images, labels)
    np.testing.assert_array_equal(
        common.ops.convert_to_numpy(transfer["kl"]), common.ops.convert_to_numpy(own["kl"])
    )
    assert not np.allclose(
        common.ops.convert_to_numpy(transfer["reconstruction"]),
        common.ops.convert_to_numpy(own["reconstruction"]),
    )


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(hands=20), "--hands needs a conditional model (--conditional)"),
        (dict(hands=20, conditional=True, arch="ladder"), "--hands: not with --arch ladder"),
        (dict(hands=20, conditional=True, load=""), "--hands: not with --load"),
    ],
)
def test_hands_need_a_conditional_model_to_train(options, message):
    with pytest.raises(UserError, match=re.escape(message)) as error:
        Settings(**options)
    assert "\n" not in str(error.value)
    assert Settings(hands=20, conditional=True).hands == 20


def test_the_command_line_refuses_hands_without_conditional(capsys):
    assert run_script(vae_letters, ["--hands", "20"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("error: --hands needs a conditional model (--conditional)") and "\n" not in err


def test_the_hands_are_drawn_once_from_their_own_seeds(tmp_path, capsys):
    from synthetic_letters import HAND_SEEDS_FROM, make_hand

    x, y = loaders.simulated_hands(tmp_path, "ABC", 2)
    assert x.shape == (12, 28, 28, 1) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    assert np.array_equal(y, np.tile(np.arange(3), 4))
    second, _ = make_hand("ABC", 2, HAND_SEEDS_FROM + 1)  # hand 1 is the second run of 2 x 3 letters
    np.testing.assert_array_equal(np.round(x[6:, ..., 0] * 255), second)
    assert "Drawing 2 simulated hands" in capsys.readouterr().out
    np.testing.assert_array_equal(loaders.simulated_hands(tmp_path, "ABC", 2)[0], x)  # from the cache
    assert "Drawing" not in capsys.readouterr().out
    with pytest.raises(UserError, match="--hands: pairs need two classes"):
        loaders.simulated_hands(tmp_path, "A", 2)


@pytest.mark.slow
def test_a_tiny_run_with_hands_writes_a_model_that_loads(tmp_path, synthetic_data_dir):
    status = run_script(
        vae_letters,
        [
            "--data",
            synthetic_data_dir,
            "--out",
            tmp_path,
            "--conditional",
            "--latent-dim",
            "4",
            "--hands",
            "20",
            "--limit",
            "500",
            "--no-gif",
            *QUICK,
        ],
    )
    assert status == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["hands"] == 20 and metrics["conditional"] and np.isfinite(metrics["test"]["loss"])
    vae = common.load_vae(tmp_path / "model.keras")
    assert vae.conditional and vae.latent_dim == 4
    # The same networks as a model trained without hands: the saved format does not change.
    plain = common.build_vae(Settings(conditional=True, latent_dim=4).model_config(26))
    assert [w.shape for w in vae.weights] == [w.shape for w in plain.weights]
