"""The reference VAE as a plain PyTorch loop (the style of pytorch/examples' vae/main.py)."""

import time

import torch
from torch import nn
from torch.nn import functional as F


class MLPVAE(nn.Module):
    """784-hidden-latent encoder and latent-hidden-784 decoder, ReLU, logits out."""

    def __init__(self, pixels=784, hidden_dim=400, latent_dim=20):
        super().__init__()
        self.fc1 = nn.Linear(pixels, hidden_dim)
        self.fc_mean = nn.Linear(hidden_dim, latent_dim)
        self.fc_log_var = nn.Linear(hidden_dim, latent_dim)
        self.fc3 = nn.Linear(latent_dim, hidden_dim)
        self.fc4 = nn.Linear(hidden_dim, pixels)
        for layer in self.children():  # Keras's defaults: Glorot-uniform kernels, zero biases
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, x):
        h = F.relu(self.fc1(x))
        mean, log_var = self.fc_mean(h), self.fc_log_var(h)
        z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
        return self.fc4(F.relu(self.fc3(z))), mean, log_var


def negative_elbo(logits, x, mean, log_var):
    """BCE summed over pixels + analytic KL (Kingma & Welling, appendix B), averaged over the batch."""
    bce = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    kl = -0.5 * torch.sum(1 + log_var - mean.pow(2) - log_var.exp())
    return (bce + kl) / x.shape[0]


class PlainTorch:
    """Holds the data as tensors in memory; `train_epoch()` shuffles and runs one epoch."""

    name = "plain PyTorch loop"

    def __init__(self, x_train, x_test, hidden_dim=400, latent_dim=20, batch_size=128,
                 learning_rate=1e-3, seed=0):
        torch.manual_seed(seed)
        self.x_train = torch.from_numpy(x_train.reshape(len(x_train), -1))
        self.x_test = torch.from_numpy(x_test.reshape(len(x_test), -1))
        self.model = MLPVAE(self.x_train.shape[1], hidden_dim, latent_dim)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=learning_rate)
        self.batch_size = batch_size

    def train_epoch(self):
        start = time.perf_counter()
        self.model.train()
        order = torch.randperm(len(self.x_train))
        for i in range(0, len(order), self.batch_size):
            x = self.x_train[order[i : i + self.batch_size]]
            self.optimizer.zero_grad()
            logits, mean, log_var = self.model(x)
            loss = negative_elbo(logits, x, mean, log_var)
            loss.backward()
            self.optimizer.step()
        return time.perf_counter() - start

    @torch.no_grad()
    def evaluate(self, batch_size=1024):
        """Test negative ELBO per example (one z per example), in nats."""
        self.model.eval()
        total = 0.0
        for i in range(0, len(self.x_test), batch_size):
            x = self.x_test[i : i + batch_size]
            logits, mean, log_var = self.model(x)
            total += float(negative_elbo(logits, x, mean, log_var)) * len(x)
        return total / len(self.x_test)

