"""GIFs and the snapshot callback: frame counts, pixel sizes, not blank, written atomically."""

import numpy as np
import pytest

from vae_keras import animations, plots
from vae_keras.snapshots import TrainingSnapshots, load_snapshots
from vis_helpers import EPOCHS, NUM_SNAPSHOT_IMAGES, check_image, tiny_run


@pytest.fixture(scope="session")
def run():
    return tiny_run()


@pytest.fixture(scope="session")
def info(run):
    return plots.RunInfo.from_run_dir(run[0])


def test_snapshots_hold_one_record_per_epoch(run):
    run_dir, vae, data = run
    record = load_snapshots(run_dir / "snapshots.npz")
    assert list(record["epochs"]) == list(range(1, EPOCHS + 1))
    assert record["means"].shape == (EPOCHS, NUM_SNAPSHOT_IMAGES, 2)
    assert record["reconstructions"].shape == (EPOCHS, 16, 28, 28, 1)
    assert record["x"].shape == (16, 28, 28, 1)
    assert len(record["labels"]) == NUM_SNAPSHOT_IMAGES and np.isfinite(record["loss"]).all()
    # The last snapshot is the trained model's encoding.
    np.testing.assert_allclose(record["means"][-1], vae.encode(data.x_test[:NUM_SNAPSHOT_IMAGES])[0],
                               rtol=1e-4, atol=1e-4)
    assert not list(run_dir.glob("*.tmp-*"))  # written through a temporary file


def test_snapshot_file_is_complete_after_each_epoch(run, tmp_path):
    _, vae, data = run
    callback = TrainingSnapshots(data.x_test[:10], None, tmp_path / "s.npz")
    callback.set_model(vae)
    for epoch in range(3):
        callback.on_epoch_end(epoch, {"loss": 100.0 - epoch})
        record = load_snapshots(tmp_path / "s.npz")
        assert len(record["epochs"]) == epoch + 1 and record["labels"] is None
    np.testing.assert_array_equal(record["loss"], [100.0, 99.0, 98.0])
    assert np.isnan(record["val_loss"]).all()


def test_progress_gifs_have_one_frame_per_epoch(run, info, tmp_path):
    record = load_snapshots(run[0] / "snapshots.npz")
    frames = animations.reconstruction_progress(record, info, tmp_path / "recon.gif", ncols=8)
    assert frames == EPOCHS
    check_image(tmp_path / "recon.gif", frames=EPOCHS)
    frames = animations.scatter_progress(record, info, tmp_path / "scatter.gif")
    check_image(tmp_path / "scatter.gif", size=(6 * animations.DPI, 5 * animations.DPI),
                frames=EPOCHS)


def test_scatter_progress_projects_larger_latent_spaces(run, info, tmp_path):
    rng = np.random.default_rng(0)
    record = {"epochs": np.arange(1, 4), "labels": rng.integers(0, 10, 50),
              "means": rng.standard_normal((3, 50, 6)).astype("float32")}
    assert animations.scatter_progress(record, info, tmp_path / "s.gif") == 3
    check_image(tmp_path / "s.gif", frames=3)


def test_walk_and_interpolation_animations(run, info, tmp_path):
    _, vae, data = run
    means, _ = vae.encode(data.x_test[:3])
    codes = animations.interpolation_codes(means, steps=3)
    assert codes.shape == (9, 2)
    np.testing.assert_allclose(codes[::3], means, rtol=1e-5, atol=1e-6)  # passes every image
    assert animations.path_animation(vae, codes, info, tmp_path / "i.gif", "interpolation",
                                     background=means, background_labels=data.y_test[:3]) == 9
    check_image(tmp_path / "i.gif", size=(8 * animations.DPI, 4.4 * animations.DPI), frames=9)
    circle = animations.circle_codes(np.zeros(2), (0, 1), radius=2.0, steps=4)
    np.testing.assert_allclose(np.linalg.norm(circle, axis=1), 2.0, rtol=1e-6)
    animations.path_animation(vae, circle, info, tmp_path / "w.gif", "walk")
    check_image(tmp_path / "w.gif", frames=4)


def test_gif_frames_and_size(tmp_path):
    frames = []
    for i in range(3):
        frame = np.zeros((20, 30, 3), "uint8")
        frame[5:15, 5 + i: 25] = 255
        frames.append(frame)
    assert animations.save_gif(frames, tmp_path / "a.gif") == 3
    check_image(tmp_path / "a.gif", size=(30, 20), frames=3)
    assert not list(tmp_path.glob("*.tmp-*"))
    with pytest.raises(ValueError, match="at least one frame"):
        animations.save_gif([], tmp_path / "b.gif")
