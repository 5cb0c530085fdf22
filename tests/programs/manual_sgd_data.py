"""The "Learning PyTorch with Examples" two-layer networks in the pre-0.4 style that old tutorials and many
course notebooks still use: raw weight tensors updated through ``.data`` and ``.grad.data.zero_()``, then
the ``nn.Sequential`` version with ``param.data -= learning_rate * param.grad.data``.
"""

import torch

EXPECT = {"fall": 0.3, "tol": 1.0, "floor": 1.0, "metrics": {"nn_fall": (0.0, 0.1)}}


def main(steps=150, seed=0):
    torch.manual_seed(seed)
    dtype = torch.float
    device = torch.device("cpu")
    N, D_in, H, D_out = 32, 50, 40, 5
    x = torch.randn(N, D_in, device=device, dtype=dtype)
    y = torch.randn(N, D_out, device=device, dtype=dtype)
    w1 = torch.randn(D_in, H, device=device, dtype=dtype, requires_grad=True)
    w2 = torch.randn(H, D_out, device=device, dtype=dtype, requires_grad=True)
    learning_rate = 1e-5
    losses = []
    for _ in range(steps):
        y_pred = x.mm(w1).clamp(min=0).mm(w2)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        w1.data -= learning_rate * w1.grad.data
        w2.data -= learning_rate * w2.grad.data
        w1.grad.data.zero_()
        w2.grad.data.zero_()

    model = torch.nn.Sequential(torch.nn.Linear(D_in, H), torch.nn.ReLU(), torch.nn.Linear(H, D_out))
    loss_fn = torch.nn.MSELoss(reduction="sum")
    nn_losses = []
    for _ in range(steps):
        y_pred = model(x)
        loss = loss_fn(y_pred, y)
        nn_losses.append(loss.item())
        model.zero_grad()
        loss.backward()
        for param in model.parameters():
            param.data -= 1e-3 * param.grad.data
    return losses, {"nn_fall": nn_losses[-1] / nn_losses[0]}
