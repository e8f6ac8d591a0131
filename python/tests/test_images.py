"""CNN spaces from Python: image data (Fashion-MNIST, caller arrays of any shape), macro and micro searches, derive,
retraining, prediction, checkpoints and bad inputs."""

import os

import numpy as np
import pytest

import enas

TINY_SEARCH = {"layers": 0, "width": 4, "blocks": 2, "epochs": 1, "steps_per_epoch": 3, "controller_steps_per_epoch": 2,
               "training": {"batch_size": 8}, "reinforce": {"samples_per_step": 2}, "valid_batch_size": 8,
               "derive_samples": 3}
TINY_RETRAIN = {"epochs": 1, "layers": 1, "width": 4, "auxiliary_head": False, "training": {"batch_size": 8}}
PUBLISHED_MICRO = ("0 2 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1 "
                   "1 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1")


def random_images(shape, classes, n=120, seed=0, dtype=np.uint8):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, size=(n,) + shape).astype(dtype)
    y = rng.integers(0, classes, n)
    return enas.data.Images(x[:100], y[:100], x[100:], y[100:], validation=20, classes=classes), x


@pytest.mark.parametrize("shape,classes", [((1, 28, 28), 10), ((3, 40, 40), 7), ((28, 28), 3)])
@pytest.mark.parametrize("space", ["micro", "macro"])
def test_search_derive_retrain_predict_on_any_shape(space, shape, classes):
    images, x = random_images(shape, classes, dtype=np.float32 if classes == 3 else np.uint8)
    config = dict(TINY_SEARCH, layers=2) if space == "macro" else TINY_SEARCH
    search = enas.Search(space, images, config=config, seed=2)
    assert search.run(progress=False)
    assert {e["phase"] for e in search.history} == {"shared_weights", "controller"}
    architecture, accuracy = search.derive()
    assert architecture.space == space and 0 <= accuracy <= 1
    assert enas.Architecture.parse(architecture.to_string(), space=space) == architecture
    model = enas.Model(architecture, images, config=TINY_RETRAIN, seed=1)
    model.train(progress=False)
    assert 0 <= model.evaluate("test") <= 1
    p = model.predict(x[:5])
    assert p.shape == (5, classes) and np.allclose(p.sum(axis=1), 1, atol=1e-5)
    assert model.info["metric"] == "accuracy" and model.num_params == model.num_params_without_auxiliary


def test_search_and_model_checkpoints_resume(tmp_path):
    images, x = random_images((1, 12, 12), 3)
    search = enas.Search("micro", images, config=TINY_SEARCH, seed=4)
    search.run(progress=False)
    search.save(tmp_path / "search.enas")
    again = enas.Search.load(tmp_path / "search.enas", images)
    assert again.space == "micro" and again.history == search.history
    assert all(np.array_equal(again.parameters()[k], v) for k, v in search.parameters().items())
    model = enas.Model(enas.Architecture.parse(PUBLISHED_MICRO, space="micro"), images,
                       config=dict(TINY_RETRAIN, auxiliary_head=False), seed=3)
    model.train(progress=False)
    model.save(tmp_path / "model.enas")
    loaded = enas.Model.load(tmp_path / "model.enas", images)
    assert loaded.evaluate("test") == model.evaluate("test")
    assert np.array_equal(loaded.predict(x[:4]), model.predict(x[:4]))


def test_cnn_architectures_parse_write_and_draw():
    micro = enas.Architecture.parse(PUBLISHED_MICRO, space="micro")
    assert micro.space == "micro" and micro.to_string() == PUBLISHED_MICRO
    assert "cluster_normal" in micro.to_dot() and micro.to_dot(cell="reduce").startswith("digraph reduce_cell")
    assert enas.Architecture.from_json(micro.to_json()) == micro
    macro = enas.Architecture.parse("0 | 3 0 | 0 1 0", space="macro")
    assert macro.to_dict()["space"] == "macro" and macro.to_string() == "0 3 0 0 1 0"
    with pytest.raises(enas.EnasError, match="only micro"):
        macro.to_dot(cell="normal")
    with pytest.raises(enas.EnasError, match="cannot write"):
        macro.to_string("rnn")
    with pytest.raises(enas.EnasError, match="op code 7"):
        enas.Architecture.parse("0 7 0 0 0 2 0 1", space="micro")


def test_fashion_mnist_loads_with_its_augmentation():
    if not os.path.exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"):
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    data = enas.data.FashionMNIST(validation=5000)
    assert data.lengths == {"train": 55000, "valid": 5000, "test": 10000}
    assert data.shape == (1, 28, 28) and data.classes == 10
    assert data.augmentation == {"pad_crop": True, "horizontal_flip": True}


def test_bad_image_inputs_are_named_errors(corpus):
    images, x = random_images((1, 12, 12), 3)
    rng = np.random.default_rng(1)
    with pytest.raises(enas.EnasError, match="y_train"):
        enas.data.Images(x[:100], np.full(100, 5), x[100:], np.zeros(20, int), classes=3, validation=20)
    with pytest.raises(enas.EnasError, match="test split"):
        enas.data.Images(x[:100], np.zeros(100, int), rng.random((4, 1, 11, 12)), np.zeros(4, int), validation=20,
                         classes=3)
    with pytest.raises(enas.EnasError, match=r"\(N, C, H, W\)"):
        enas.data.Images(np.zeros((5, 5)), np.zeros(5, int), np.zeros((5, 5)), np.zeros(5, int))
    with pytest.raises(enas.EnasError, match="validation split"):
        enas.data.Images(x[:100], np.zeros(100, int), x[100:], np.zeros(20, int), validation=100, classes=3)
    with pytest.raises(enas.EnasError, match="/nonexistent"):
        enas.data.FashionMNIST("/nonexistent")
    with pytest.raises(enas.EnasError, match="widht"):
        enas.Search("micro", images, config={"widht": 4})
    with pytest.raises(enas.EnasError, match="contradicts"):
        enas.Search("micro", images, config={"space": "macro"})
    with pytest.raises(TypeError, match="image data"):
        enas.Search("macro", corpus)
    with pytest.raises(TypeError, match="corpus"):
        enas.Search("rnn", images)
    cell = enas.Architecture.parse("0 2 1 0", space="rnn")
    with pytest.raises(TypeError, match="corpus"):
        enas.Model(cell, images)
    model = enas.Model(enas.Architecture.parse(PUBLISHED_MICRO, space="micro"), images, config=TINY_RETRAIN)
    with pytest.raises(enas.EnasError, match="takes 1×12×12"):
        model.predict(np.zeros((2, 1, 12, 13), np.uint8))
    with pytest.raises(enas.EnasError, match="drop_path"):
        enas.Model(enas.Architecture.parse(PUBLISHED_MICRO, space="micro"), images, config={"drop_path": 0.5})


def test_a_diverging_cnn_search_raises_numeric_and_survives():
    images, _ = random_images((1, 12, 12), 3)
    config = dict(TINY_SEARCH, max_non_finite_steps=2, epochs=3,
                  training={"batch_size": 8, "gradient_clip": 0, "learning_rate": {"kind": "constant", "initial": 1e12}})
    search = enas.Search("micro", images, config=config)
    with pytest.raises(enas.EnasError) as caught:
        search.run(progress=False)
    assert caught.value.code == enas.Status.NUMERIC and "non-finite" in caught.value.message
    assert search.state["non_finite_in_a_row"] == 2 and search.state["running"] is False


def test_subset_and_arrays_read_back_the_splits():
    images, x = random_images((1, 12, 12), 4, n=120, seed=5)
    small = images.subset(train=30, test=7)
    assert small.lengths == {"train": 30, "valid": 20, "test": 7} and small.shape == (1, 12, 12)
    tx, ty = small.arrays("test")
    assert tx.shape == (7, 1, 12, 12) and tx.dtype == np.float32 and ty.dtype == np.int64
    np.testing.assert_allclose(tx, x[100:107].astype(np.float32) / 255, rtol=1e-6)
    vx, _ = images.arrays("valid")
    np.testing.assert_allclose(vx, x[80:100].astype(np.float32) / 255, rtol=1e-6)   # the last 20 training images
    with pytest.raises(enas.EnasError, match="train = 0"):
        images.subset(train=0)
    with pytest.raises(enas.EnasError, match="'dev'"):
        images.arrays("dev")


def test_fashion_mnist_subset_keeps_its_augmentation():
    small = enas.data.FashionMNIST().subset(train=64, valid=32, test=16)
    assert small.lengths == {"train": 64, "valid": 32, "test": 16}
    assert small.augmentation == {"pad_crop": True, "horizontal_flip": True}
    x, y = small.arrays("train")
    assert 0 <= x.min() and x.max() <= 1 and x.std() > 0.1 and set(y) <= set(range(10))
