"""The VAE of pytorch/examples (vae/main.py): encoder to (mu, logvar), the reparameterisation trick, decoder,
BCE + KL loss summed over the batch, Adam; here the sampling goes through ``torch.distributions`` as the
example's readers write it: ``Normal(mu, std).rsample()`` and ``kl_divergence`` against the standard normal.

The data are generated 8x8 "images": blurred random bars, flattened to 64 values in [0, 1].
"""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.distributions import Normal, kl_divergence
from torch.utils.data import DataLoader, TensorDataset

EXPECT = {"fall": 0.8, "tol": 0.2}


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 32)
        self.fc21 = nn.Linear(32, 4)
        self.fc22 = nn.Linear(32, 4)
        self.fc3 = nn.Linear(4, 32)
        self.fc4 = nn.Linear(32, 64)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        return Normal(mu, std).rsample()

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 64))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 64), reduction="sum")
    prior = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    KLD = kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), prior).sum()
    return BCE + KLD


def bars(n, seed):
    rng = np.random.default_rng(seed)
    img = np.zeros((n, 8, 8), dtype=np.float32)
    for k in range(n):
        r = rng.integers(0, 8)
        if rng.random() < 0.5:
            img[k, r, :] = 1.0
        else:
            img[k, :, r] = 1.0
    return np.clip(img + 0.05 * rng.random(img.shape), 0, 1).astype(np.float32)


def main(epochs=4, seed=0):
    torch.manual_seed(seed)
    data = torch.from_numpy(bars(512, seed))
    loader = DataLoader(TensorDataset(data), batch_size=64, shuffle=True)
    model = VAE()
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(epochs):
        model.train()
        for (x,) in loader:
            optimizer.zero_grad()
            recon_batch, mu, logvar = model(x)
            loss = loss_function(recon_batch, x, mu, logvar)
            loss.backward()
            optimizer.step()
            losses.append(loss.item() / len(x))
    return losses, {}
