"""Animated GIFs: training progress (from `TrainingSnapshots`) and walks through latent space.

Each frame is a labelled matplotlib figure rendered to pixels; Pillow writes
the GIF. Every function returns the number of frames it wrote.
"""

import dataclasses
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from vae_keras import latent_plots, plots, runs

DPI = 80


def figure_to_array(fig):
    """Renders a figure to an RGB uint8 array."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def save_gif(frames, path, duration_ms=400, last_frame_ms=1500):
    """Writes RGB frames to a looping GIF, atomically; returns the frame count.

    Pillow merges a frame identical to the one before it into a longer frame;
    the animations here never repeat one (each frame's title names its epoch
    or frame number), so their GIFs have exactly one frame per input frame.
    """
    if not frames:
        raise ValueError("an animation needs at least one frame")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    images = [Image.fromarray(np.asarray(f, dtype="uint8")) for f in frames]
    # One palette for all frames: colours do not flicker from frame to frame.
    palette = images[-1].quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    images = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in images]
    durations = [duration_ms] * (len(images) - 1) + [last_frame_ms]
    with runs.atomic_path(path) as tmp, open(tmp, "wb") as f:
        images[0].save(f, format="GIF", save_all=True, append_images=images[1:], loop=0,
                       duration=durations, disposal=1, optimize=False)
    return len(images)


def _at_epoch(info, epoch):
    """The run's description as it was after `epoch` epochs."""
    return dataclasses.replace(info, epochs=int(epoch), metrics={})


def reconstruction_progress(snapshots, info, path, ncols=8, duration_ms=400):
    """One frame per epoch: the fixed images above their reconstructions at that epoch."""
    x = snapshots["x"]
    ncols = min(ncols, len(x))
    n = (len(x) // ncols) * ncols
    frames = []
    for e, epoch in enumerate(snapshots["epochs"]):
        grid = plots.tile(plots.interleave_rows(x[:n], snapshots["reconstructions"][e][:n],
                                                ncols), ncols)
        metric = (f"reconstructions during training (rows: data, recon.), epoch {epoch}/"
                  f"{snapshots['epochs'][-1]}, train loss {snapshots['loss'][e]:.1f} nats")
        fig, _ = plots.grid_figure(grid, _at_epoch(info, epoch), metric, width=5.0)
        fig.set_dpi(DPI)
        frames.append(figure_to_array(fig))
    return save_gif(frames, path, duration_ms)


def scatter_progress(snapshots, info, path, method="pca", duration_ms=400, seed=0):
    """One frame per epoch: the latent scatter of the fixed batch at that epoch.

    Latent sizes above 2 are projected with the PCA of the last epoch, fitted
    once so that frames share their axes (`method="tsne"` re-embeds each
    frame instead, and is slow).
    """
    means, labels = snapshots["means"], snapshots["labels"]
    if means.shape[-1] > 2 and method == "pca":
        project, share = latent_plots.pca_2d(means[-1])
        points = [project(m) for m in means]
        axis_labels = tuple(f"PC {i + 1} of the last epoch ({share[i]:.0%})" for i in range(2))
    else:
        embedded = [latent_plots.embed_2d(m, method, seed) for m in means]
        points = [p for p, _ in embedded]
        axis_labels = embedded[0][1]
    stacked = np.concatenate(points)
    lo, hi = np.percentile(stacked, [0.5, 99.5], axis=0)
    margin = 0.05 * (hi - lo) + 1e-6
    limits = [(lo[i] - margin[i], hi[i] + margin[i]) for i in range(2)]
    frames = []
    for e, epoch in enumerate(snapshots["epochs"]):
        fig = Figure(figsize=(6.0, 5.0), dpi=DPI)
        ax = fig.add_axes((0.12, 0.1, 0.7, 0.72))
        plots.scatter_axes(ax, points[e], labels, info.dataset, axis_labels, limits=limits)
        metric = (f"posterior means of {len(points[e])} test images during training, "
                  f"epoch {epoch}/{snapshots['epochs'][-1]}")
        fig.suptitle(_at_epoch(info, epoch).title(metric), fontsize=8)
        frames.append(figure_to_array(fig))
    return save_gif(frames, path, duration_ms)


def path_animation(vae, codes, info, path, metric, dims=(0, 1), background=None,
                   background_labels=None, duration_ms=100):
    """One frame per code: the decoded image beside the path drawn in latent units `dims`.

    `codes` `(frames, latent_dim)` are decoded in one batched call;
    `background` (optional codes, e.g. test means) is drawn behind the path.
    """
    codes = np.asarray(codes, dtype="float32")
    images = vae.decode(codes)
    d0, d1 = dims
    shown = codes[:, [d0, d1]]
    extent = shown if background is None else np.concatenate([shown, background[:, [d0, d1]]])
    lo, hi = np.percentile(extent, [0.5, 99.5], axis=0)
    lo, hi = np.minimum(lo, shown.min(0)), np.maximum(hi, shown.max(0))
    margin = 0.05 * (hi - lo) + 1e-6
    frames = []
    for i, image in enumerate(images):
        fig = Figure(figsize=(8.0, 4.4), dpi=DPI)
        ax = fig.add_axes((0.08, 0.11, 0.4, 0.7))
        if background is not None:
            plots.scatter_axes(ax, background[:, [d0, d1]], background_labels, info.dataset,
                               (f"z[{d0}]", f"z[{d1}]"), legend=False)
        ax.plot(shown[:, 0], shown[:, 1], "-", color="0.3", lw=1)
        ax.plot(shown[i, 0], shown[i, 1], "o", color="red", ms=8)
        ax.set_xlim(lo[0] - margin[0], hi[0] + margin[0])
        ax.set_ylim(lo[1] - margin[1], hi[1] + margin[1])
        ax.set_xlabel(f"z[{d0}]", fontsize=8)
        ax.set_ylabel(f"z[{d1}]", fontsize=8)
        ax.tick_params(labelsize=7)
        image_ax = plots.image_axes(fig, (0.55, 0.06, 0.42, 0.76))
        image_ax.imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap="gray",
                        vmin=0, vmax=1, interpolation="nearest")
        image_ax.set_title(f"frame {i + 1}/{len(images)}", fontsize=8)
        fig.suptitle(info.title(metric), fontsize=8)
        frames.append(figure_to_array(fig))
    return save_gif(frames, path, duration_ms)


def interpolation_codes(means, steps=12, spherical=True):
    """A closed tour through `means`: `steps` codes from each one to the next."""
    step = latent_plots.slerp if spherical else latent_plots.lerp
    t = np.linspace(0, 1, steps, endpoint=False)
    tour = [step(a, b, t) for a, b in zip(means, np.roll(means, -1, axis=0))]
    return np.concatenate(tour)


def circle_codes(centre, dims=(0, 1), radius=1.5, steps=48):
    """A walk at constant speed around a circle of `radius` in latent units `dims`."""
    angles = np.linspace(0, 2 * np.pi, steps, endpoint=False)
    codes = np.repeat(np.asarray(centre, "float32")[None], steps, axis=0)
    codes[:, dims[0]] += radius * np.cos(angles)
    codes[:, dims[1]] += radius * np.sin(angles)
    return codes
