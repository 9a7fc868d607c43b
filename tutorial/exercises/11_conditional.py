"""Solutions to the exercises of step 11 (run after the step's own code)."""

# --8<-- [start:wrong_label]
digits = data.y_test[:500]
images = keras.ops.convert_to_tensor(data.x_test[:500])
for name, given in (("true label", digits), ("label + 1", (digits + 1) % 10)):
    labels = keras.ops.convert_to_tensor(one_hot(given, 10))
    mean, log_var = cvae.encoder([images, labels])
    # decode the mean code: no random draw
    logits = cvae.decoder([mean, labels])
    rec = keras.ops.convert_to_numpy(bernoulli_nll(images, logits)).mean()
    kl = keras.ops.convert_to_numpy(kl_divergence(mean, log_var)).mean()
    print(f"{name:10s}: reconstruction {rec:6.1f} + KL {kl:4.1f} nats")
# --8<-- [end:wrong_label]

# --8<-- [start:classify]
# score[i, c]: reconstruction + KL of image i told it is a c (z = the mean code)
score = np.zeros((len(digits), 10), "float32")
for c in range(10):
    labels = keras.ops.convert_to_tensor(one_hot(np.full(len(digits), c), 10))
    mean, log_var = cvae.encoder([images, labels])
    logits = cvae.decoder([mean, labels])
    score[:, c] = keras.ops.convert_to_numpy(
        bernoulli_nll(images, logits) + kl_divergence(mean, log_var))
predicted = score.argmin(axis=1)  # the label under which the image costs least
print(f"accuracy of the generative classifier: "
      f"{(predicted == digits).mean():.1%} on {len(digits)} test digits")
# --8<-- [end:classify]
