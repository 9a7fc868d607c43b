"""Solutions to the exercises of step 4 (run after the step's own code)."""

# --8<-- [start:count]
# the hidden layer, then the two heads
by_hand = (784 * 512 + 512) + 2 * (512 * 2 + 2)
print(f"encoder parameters by hand: {by_hand:,}; "
      f"Keras says {encoder.count_params():,}")
# --8<-- [end:count]

# --8<-- [start:tanh]
h = layers.Flatten()(image)
h = layers.Dense(500, activation="tanh")(h)       # the paper's MNIST encoder
paper_encoder = keras.Model(image, [layers.Dense(latent_dim)(h),
                                    layers.Dense(latent_dim)(h)])
print(f"the paper's encoder (500 tanh units): "
      f"{paper_encoder.count_params():,} parameters")
# --8<-- [end:tanh]
