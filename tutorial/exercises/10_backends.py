"""Solutions to the exercises of step 10 (run after the step's own code)."""

# --8<-- [start:portable]
os.makedirs("runs/tutorial", exist_ok=True)
vae.save("runs/tutorial/vae_portable.keras")   # saved under this backend ...
reloaded = keras.models.load_model("runs/tutorial/vae_portable.keras")
same = (keras.ops.convert_to_numpy(reloaded.encode(x[:4])[0])
        - vae.encode(x[:4])[0])
print(f"reloaded under {keras.backend.backend()}: "
      f"largest difference {abs(same).max():.1e}")
# --8<-- [end:portable]
