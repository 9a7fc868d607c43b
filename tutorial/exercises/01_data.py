"""Solutions to the exercises of step 1, shown on its page.

Each section runs after the step's own code (it uses its `data` and `x`); the
tests run the page's code followed by these sections.
"""

# --8<-- [start:zeros]
exactly_zero = (x == 0).mean()
print(f"{exactly_zero:.1%} of all pixels are exactly 0; "
      f"an average digit lights {784 * (x > 0).mean():.0f} of its 784 pixels")
# --8<-- [end:zeros]

# --8<-- [start:classes]
test_counts = np.bincount(data.y_test, minlength=10)
print("test digits per class:", test_counts.tolist())
average_nines = data.x_train[data.y_train == 9].mean(axis=0)
print(f"the average 9 has {(average_nines > 0.5).sum()} pixels "
      "brighter than 0.5")
# --8<-- [end:classes]
