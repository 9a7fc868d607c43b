"""Solutions to the exercises of step 6 (run after the step's own code)."""

# --8<-- [start:beta]
for beta in (1.0, 4.0):
    keras.utils.set_random_seed(0)
    trial = VAE(latent_dim=2, hidden_dim=512, beta=beta, seed=0)
    trial.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3))
    trial.fit(data.x_train, epochs=5, batch_size=128, verbose=0)
    m = trial.evaluate(data.x_test, batch_size=500, verbose=0, return_dict=True)
    print(f"beta = {beta}: reconstruction {m['reconstruction_loss']:.1f}, "
          f"KL {m['kl_loss']:.2f} nats")
# --8<-- [end:beta]

# --8<-- [start:train_vs_test]
after = vae.evaluate(data.x_train, batch_size=500, verbose=0, return_dict=True)
print(f"last epoch, averaged while training: "
      f"{history.history['loss'][-1]:.1f}; "
      f"training images after it: {after['loss']:.1f}; "
      f"test images: {metrics['loss']:.1f}")
# --8<-- [end:train_vs_test]
