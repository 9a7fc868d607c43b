"""Solutions to the exercises of step 9 (run after the step's own code)."""

# --8<-- [start:temperature]
for scale in (0.5, 1.0, 2.0):
    scaled = vae.decode(scale * z)  # z ~ N(0, scale^2 I): a "temperature"
    print(f"scale {scale}: mean pixel value {scaled.mean():.3f}, "
          f"share of pixels above 0.5: {(scaled > 0.5).mean():.3f}")
# --8<-- [end:temperature]

# --8<-- [start:threshold]
# the most likely image, not a sample
binary = (probabilities > 0.5).astype("float32")
print(f"thresholded means: {binary.mean():.3f} of pixels on; "
      f"Bernoulli draws: {draws.mean():.3f}")
# --8<-- [end:threshold]
