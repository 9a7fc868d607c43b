"""Solutions to the exercises of step 2 (run after the step's own code)."""

# --8<-- [start:wider]
for sigma in (0.5, 1.0, 3.0):
    eps = keras.random.normal((n,), seed=1)
    z = mu + sigma * eps
    sf = ops.convert_to_numpy(ops.square(z) * (z - mu) / sigma**2)
    pw = ops.convert_to_numpy(2.0 * z)
    print(f"sigma {sigma}: score-function std {sf.std():6.2f}, "
          f"pathwise std {pw.std():5.2f}")
# --8<-- [end:wider]

# --8<-- [start:gradient]
mean_t = ops.convert_to_tensor([[1.0, -2.0]], "float32")
log_var_t = ops.convert_to_tensor([[np.log(4.0), np.log(0.25)]], "float32")
eps = keras.random.normal((1, 2), seed=3)
z = mean_t + ops.exp(0.5 * log_var_t) * eps
# dz/dmean = 1 and dz/dlog_var = 0.5 * sigma * eps, computed by hand:
print("dz/dlog_var =",
      ops.convert_to_numpy(0.5 * ops.exp(0.5 * log_var_t) * eps).round(3),
      "= (z - mean) / 2:", ops.convert_to_numpy((z - mean_t) / 2).round(3))
# --8<-- [end:gradient]
