"""Solutions to the exercises of step 8 (run after the step's own code)."""

# --8<-- [start:far]
far = vae.decode(np.array([[0.0, 0.0], [4.0, 4.0], [-8.0, 8.0]], "float32"))
print("mean pixel value of the decoded codes (0, 0), (4, 4), (-8, 8):",
      far.mean(axis=(1, 2, 3)).round(3))
# --8<-- [end:far]

# --8<-- [start:per_digit]
for digit in range(10):
    codes = mean[data.y_test == digit]
    print(f"digit {digit}: mean code {codes.mean(0).round(2)}, "
          f"spread {codes.std(0).round(2)}")
# --8<-- [end:per_digit]
