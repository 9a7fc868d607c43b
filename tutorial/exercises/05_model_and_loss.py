"""Solutions to the exercises of step 5 (run after the step's own code)."""

# --8<-- [start:average]
class AveragedVAE(MyVAE):
    """The mistake: the reconstruction averaged over pixels, the KL summed."""

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                     training=True):
        # mean over pixels
        reconstruction = my_bernoulli_nll(x, y_pred["params"]) / 784
        kl = kl_divergence(y_pred["mean"], y_pred["log_var"])
        return ops.mean(reconstruction + kl)


keras.utils.set_random_seed(0)
averaged = AveragedVAE(seed=0)
averaged.compile(optimizer=keras.optimizers.Adam(1e-3))
# trained as long as `model`
averaged.fit(data.x_train, epochs=5, batch_size=128, verbose=0)
for name, trained in (("summed (model)", model), ("averaged", averaged)):
    outputs = trained(data.x_test)
    kl = float(ops.mean(kl_divergence(outputs["mean"], outputs["log_var"])))
    reconstruction = float(ops.mean(
        bernoulli_nll(data.x_test, outputs["params"])))
    print(f"{name:>14}: KL {kl:.3f} nats, "
          f"reconstruction {reconstruction:.1f} nats")
# --8<-- [end:average]
