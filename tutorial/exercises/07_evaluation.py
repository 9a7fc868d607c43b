"""Solutions to the exercises of step 7 (run after the step's own code)."""

# --8<-- [start:more_k]
few = x[:50]
for k in (100, 1000):
    print(f"L_{k} on 50 test images: "
          f"{float(ops.mean(iwae_bound(vae, few, k, seed=k))):.2f}")
# --8<-- [end:more_k]

# --8<-- [start:spread]
weights = ops.convert_to_numpy(log_weights(vae, x[:1], 1000, seed=0))[:, 0]
print(f"one image, 1,000 draws of log w: from {weights.min():.1f} "
      f"to {weights.max():.1f}; the largest weight is "
      f"{np.exp(weights.max() - np.logaddexp.reduce(weights)):.1%} "
      "of their sum")
# --8<-- [end:spread]
