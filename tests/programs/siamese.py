"""pytorch/examples' siamese network (siamese_network/main.py, with a small CNN tower in place of ResNet-18):
two images through one shared tower, the absolute difference of their features classified "same class?" with a sigmoid
and ``nn.BCELoss``; a Dataset that draws positive and negative pairs; Adam and StepLR.

The images are generated: noisy copies of ten fixed 12x12 patterns.
"""

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, Dataset

EXPECT = {"fall": 0.8, "tol": 1.0, "metrics": {"accuracy": (0.55, 1.0)}}


class SiameseNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.tower = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, kernel_size=3, padding=1), nn.BatchNorm2d(16), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d((3, 3)),
        )
        self.fc_in_features = 16 * 3 * 3
        self.fc = nn.Sequential(
            nn.Linear(self.fc_in_features, 32),
            nn.ReLU(inplace=True),
            nn.Linear(32, 1),
        )
        self.sigmoid = nn.Sigmoid()
        self.fc.apply(self.init_weights)

    def init_weights(self, m):
        if isinstance(m, nn.Linear):
            torch.nn.init.xavier_uniform_(m.weight)
            m.bias.data.fill_(0.01)

    def forward_once(self, x):
        output = self.tower(x)
        output = output.view(output.size()[0], -1)
        return output

    def forward(self, input1, input2):
        output1 = self.forward_once(input1)
        output2 = self.forward_once(input2)
        output = torch.abs(output1 - output2)  # the distance form of the head (Koch et al.)
        output = self.fc(output)
        output = self.sigmoid(output)
        return output


class PairDataset(Dataset):
    def __init__(self, n, seed):
        protos = np.random.default_rng(99).random((10, 12, 12)).astype(np.float32)
        self.rng = np.random.default_rng(seed)
        self.labels = self.rng.integers(0, 10, n)
        self.images = protos[self.labels] + 0.3 * self.rng.standard_normal((n, 12, 12)).astype(np.float32)
        self.pairs = []
        for i in range(n):
            same = self.rng.random() < 0.5
            pool = np.nonzero((self.labels == self.labels[i]) == same)[0]
            self.pairs.append((i, int(self.rng.choice(pool)), float(same)))

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, index):
        i, j, target = self.pairs[index]
        image_1 = torch.from_numpy(self.images[i]).unsqueeze(0)
        image_2 = torch.from_numpy(self.images[j]).unsqueeze(0)
        return image_1, image_2, torch.tensor(target, dtype=torch.float)


def main(epochs=8, seed=0):
    torch.manual_seed(seed)
    device = torch.device("cpu")
    train_loader = DataLoader(PairDataset(256, seed), batch_size=32, shuffle=True)
    test_loader = DataLoader(PairDataset(128, seed + 1), batch_size=64)
    model = SiameseNetwork().to(device)
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.8)
    criterion = nn.BCELoss()
    losses = []
    for _ in range(epochs):
        model.train()
        for images_1, images_2, targets in train_loader:
            images_1, images_2, targets = images_1.to(device), images_2.to(device), targets.to(device)
            optimizer.zero_grad()
            outputs = model(images_1, images_2).squeeze()
            loss = criterion(outputs, targets)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        scheduler.step()
    model.eval()
    correct = 0
    with torch.no_grad():
        for images_1, images_2, targets in test_loader:
            outputs = model(images_1, images_2).squeeze()
            pred = torch.where(outputs > 0.5, 1, 0)
            correct += pred.eq(targets.view_as(pred)).sum().item()
    return losses, {"accuracy": correct / len(test_loader.dataset)}
