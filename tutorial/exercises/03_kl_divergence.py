"""Solutions to the exercises of step 3 (run after the step's own code)."""

# --8<-- [start:by_hand]
one = my_kl_divergence(ops.convert_to_tensor([[1.0, 0.0]]), ops.zeros((1, 2)))
print(f"mu = (1, 0), sigma = (1, 1): KL = {float(one[0]):.3f} nats "
      "(by hand: 1/2 * 1^2 = 0.5)")
narrow = my_kl_divergence(ops.zeros((1, 1)),
                          ops.full((1, 1), 2 * math.log(0.1)))
print(f"mu = 0, sigma = 0.1: KL = {float(narrow[0]):.3f} nats "
      f"(by hand: -1/2 (1 + log 0.01 - 0.01) = "
      f"{-0.5 * (1 + math.log(0.01) - 0.01):.3f})")
# --8<-- [end:by_hand]

# --8<-- [start:not_symmetric]
# KL(p || q) with p = N(0, 1), q = N(mu, sigma^2): the other direction.
mu_q, sigma_q = 1.0, 0.5
forward = float(my_kl_divergence(ops.full((1, 1), mu_q),
                                 ops.full((1, 1), 2 * math.log(sigma_q)))[0])
reverse = math.log(sigma_q) + (1 + mu_q**2) / (2 * sigma_q**2) - 0.5
print(f"KL(q || p) = {forward:.3f} nats, KL(p || q) = {reverse:.3f} nats")
# --8<-- [end:not_symmetric]
