import keras
import numpy as np
from keras import ops

from vae_keras.layers import Sampling


def test_sampling_matches_mean_and_variance_over_many_draws():
    n = 20000
    mean = np.tile(np.array([[1.5, -2.0, 0.0]], "float32"), (n, 1))
    log_var = np.tile(np.log(np.array([[0.25, 4.0, 1.0]], "float32")), (n, 1))
    z = ops.convert_to_numpy(Sampling(seed=1)([mean, log_var]))
    assert z.shape == (n, 3)
    # Standard error of the mean is sd / sqrt(n) < 0.015; of the variance < 0.04 * var.
    np.testing.assert_allclose(z.mean(axis=0), [1.5, -2.0, 0.0], atol=0.06)
    np.testing.assert_allclose(z.var(axis=0), [0.25, 4.0, 1.0], rtol=0.06)


def test_sampling_is_reproducible_from_a_seed_and_varies_between_calls():
    mean = np.zeros((8, 4), "float32")
    log_var = np.zeros((8, 4), "float32")
    a = Sampling(seed=42)
    b = Sampling(seed=42)
    first_a = ops.convert_to_numpy(a([mean, log_var]))
    first_b = ops.convert_to_numpy(b([mean, log_var]))
    np.testing.assert_array_equal(first_a, first_b)
    second_a = ops.convert_to_numpy(a([mean, log_var]))
    assert not np.allclose(first_a, second_a), "each call must draw new noise"
    other = ops.convert_to_numpy(Sampling(seed=7)([mean, log_var]))
    assert not np.allclose(first_a, other)


def test_gradients_reach_the_encoder_through_the_sampling_layer():
    # Train a tiny "encoder" whose only path to the loss goes through Sampling:
    # if the layer blocked gradients, the dense weights would not move.
    inputs = keras.Input((3,))
    mean = keras.layers.Dense(2, name="mean")(inputs)
    log_var = keras.layers.Dense(2, name="log_var")(inputs)
    model = keras.Model(inputs, Sampling(seed=0)([mean, log_var]))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    before = [ops.convert_to_numpy(w).copy() for w in model.get_layer("mean").weights]
    before_lv = [ops.convert_to_numpy(w).copy() for w in model.get_layer("log_var").weights]
    x = np.ones((16, 3), "float32")
    model.fit(x, np.full((16, 2), 5.0, "float32"), epochs=1, batch_size=16, verbose=0)
    after = [ops.convert_to_numpy(w) for w in model.get_layer("mean").weights]
    after_lv = [ops.convert_to_numpy(w) for w in model.get_layer("log_var").weights]
    assert all(not np.allclose(a, b) for a, b in zip(after, before))
    assert all(not np.allclose(a, b) for a, b in zip(after_lv, before_lv))


def test_sampling_config_round_trip_and_registration():
    layer = Sampling(seed=3, name="s")
    config = layer.get_config()
    assert config["seed"] == 3 and config["name"] == "s"
    clone = Sampling.from_config(config)
    assert clone.seed == 3
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert isinstance(restored, Sampling)
    assert layer.compute_output_shape([(None, 5), (None, 5)]) == (None, 5)
