"""The image transformation network of pytorch/examples' fast_neural_style (after Johnson et al.):
``ReflectionPad2d`` convolutions, ``InstanceNorm2d(affine=True)``, residual blocks, nearest-neighbour
upsampling with ``F.interpolate`` before a convolution, Adam.

There is no VGG here: the network learns a fixed "style" (a colour-inverted, edge-enhanced image) with an
MSE content loss plus total-variation regularisation, on generated 16x16 RGB images.
"""

import numpy as np
import torch

EXPECT = {"fall": 0.5, "tol": 0.6, "floor": 1e-3}


class ConvLayer(torch.nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride):
        super().__init__()
        reflection_padding = kernel_size // 2
        self.reflection_pad = torch.nn.ReflectionPad2d(reflection_padding)
        self.conv2d = torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride)

    def forward(self, x):
        out = self.reflection_pad(x)
        out = self.conv2d(out)
        return out


class ResidualBlock(torch.nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = ConvLayer(channels, channels, kernel_size=3, stride=1)
        self.in1 = torch.nn.InstanceNorm2d(channels, affine=True)
        self.conv2 = ConvLayer(channels, channels, kernel_size=3, stride=1)
        self.in2 = torch.nn.InstanceNorm2d(channels, affine=True)
        self.relu = torch.nn.ReLU()

    def forward(self, x):
        residual = x
        out = self.relu(self.in1(self.conv1(x)))
        out = self.in2(self.conv2(out))
        out = out + residual
        return out


class UpsampleConvLayer(torch.nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride, upsample=None):
        super().__init__()
        self.upsample = upsample
        reflection_padding = kernel_size // 2
        self.reflection_pad = torch.nn.ReflectionPad2d(reflection_padding)
        self.conv2d = torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride)

    def forward(self, x):
        x_in = x
        if self.upsample:
            x_in = torch.nn.functional.interpolate(x_in, mode="nearest", scale_factor=self.upsample)
        out = self.reflection_pad(x_in)
        out = self.conv2d(out)
        return out


class TransformerNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = ConvLayer(3, 8, kernel_size=5, stride=1)
        self.in1 = torch.nn.InstanceNorm2d(8, affine=True)
        self.conv2 = ConvLayer(8, 16, kernel_size=3, stride=2)
        self.in2 = torch.nn.InstanceNorm2d(16, affine=True)
        self.res1 = ResidualBlock(16)
        self.res2 = ResidualBlock(16)
        self.deconv1 = UpsampleConvLayer(16, 8, kernel_size=3, stride=1, upsample=2)
        self.in4 = torch.nn.InstanceNorm2d(8, affine=True)
        self.deconv3 = ConvLayer(8, 3, kernel_size=5, stride=1)
        self.relu = torch.nn.ReLU()

    def forward(self, X):
        y = self.relu(self.in1(self.conv1(X)))
        y = self.relu(self.in2(self.conv2(y)))
        y = self.res1(y)
        y = self.res2(y)
        y = self.relu(self.in4(self.deconv1(y)))
        y = self.deconv3(y)
        return y


def stylize_target(x):
    """The "style": colours inverted plus a 4-neighbour sharpening."""
    inv = 1.0 - x
    p = np.pad(inv, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="edge")
    lap = 4 * inv - p[:, :, :-2, 1:-1] - p[:, :, 2:, 1:-1] - p[:, :, 1:-1, :-2] - p[:, :, 1:-1, 2:]
    return (inv + 0.3 * lap).astype(np.float32)


def images(n, seed):
    rng = np.random.default_rng(seed)
    yy, xx = np.meshgrid(np.linspace(0, 1, 16), np.linspace(0, 1, 16), indexing="ij")
    x = np.empty((n, 3, 16, 16), dtype=np.float32)
    for k in range(n):
        for c in range(3):
            a, b, ph = rng.uniform(1, 6, 2).tolist() + [rng.uniform(0, 6)]
            x[k, c] = 0.5 + 0.4 * np.sin(a * yy + b * xx + ph)
    return x


def main(steps=30, seed=0):
    torch.manual_seed(seed)
    x = images(32, seed)
    content, target = torch.from_numpy(x), torch.from_numpy(stylize_target(x))
    transformer = TransformerNet()
    optimizer = torch.optim.Adam(transformer.parameters(), 3e-3)
    mse_loss = torch.nn.MSELoss()
    losses = []
    for _ in range(steps):
        idx = torch.randperm(32)[:8]
        optimizer.zero_grad()
        y = transformer(content[idx])
        tv = (y[:, :, 1:, :] - y[:, :, :-1, :]).abs().mean() + (y[:, :, :, 1:] - y[:, :, :, :-1]).abs().mean()
        loss = mse_loss(y, target[idx]) + 1e-3 * tv
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, {}
