"""The graph convolutional network of Kipf & Welling as its PyTorch port writes it (pygcn): a
``GraphConvolution`` layer with ``torch.spmm(adj, X @ W)``, a symmetric-normalised sparse COO adjacency,
dropout, ``log_softmax``, ``nll_loss`` on the training nodes only, Adam with weight decay.

The graph is generated: a 3-community stochastic block model with noisy community features.
"""

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.nn.parameter import Parameter

EXPECT = {"fall": 0.5, "tol": 0.6, "floor": 0.05, "metrics": {"test_accuracy": (0.7, 1.0)}}


class GraphConvolution(nn.Module):
    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(torch.FloatTensor(in_features, out_features))
        if bias:
            self.bias = Parameter(torch.FloatTensor(out_features))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.weight.size(1))
        self.weight.data.uniform_(-stdv, stdv)
        if self.bias is not None:
            self.bias.data.uniform_(-stdv, stdv)

    def forward(self, input, adj):
        support = torch.mm(input, self.weight)
        output = torch.spmm(adj, support)
        if self.bias is not None:
            return output + self.bias
        return output


class GCN(nn.Module):
    def __init__(self, nfeat, nhid, nclass, dropout):
        super().__init__()
        self.gc1 = GraphConvolution(nfeat, nhid)
        self.gc2 = GraphConvolution(nhid, nclass)
        self.dropout = dropout

    def forward(self, x, adj):
        x = F.relu(self.gc1(x, adj))
        x = F.dropout(x, self.dropout, training=self.training)
        x = self.gc2(x, adj)
        return F.log_softmax(x, dim=1)


def sparse_mx_to_torch_sparse_tensor(rows, cols, values, n):
    indices = torch.from_numpy(np.vstack((rows, cols)).astype(np.int64))
    values = torch.from_numpy(values.astype(np.float32))
    return torch.sparse_coo_tensor(indices, values, torch.Size((n, n)))


def load_data(seed, n=90, k=3):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(k), n // k)
    same = labels[:, None] == labels[None, :]
    a = np.triu(rng.random((n, n)) < np.where(same, 0.2, 0.01), 1)
    a = a | a.T | np.eye(n, dtype=bool)  # self loops, as pygcn adds
    deg = a.sum(1)
    rows, cols = np.nonzero(a)
    vals = 1.0 / np.sqrt(deg[rows] * deg[cols])  # D^-1/2 (A + I) D^-1/2
    feats = np.eye(k)[labels] * 0.5 + rng.standard_normal((n, k)) * 0.6
    feats = np.hstack([feats, rng.standard_normal((n, 5))]).astype(np.float32)
    adj = sparse_mx_to_torch_sparse_tensor(rows, cols, vals, n)
    perm = rng.permutation(n)
    return adj, torch.from_numpy(feats), torch.LongTensor(labels), perm[:15], perm[15:45], perm[45:]


def accuracy(output, labels):
    preds = output.max(1)[1].type_as(labels)
    correct = preds.eq(labels).double()
    return correct.sum() / len(labels)


def main(epochs=60, seed=0):
    torch.manual_seed(seed)
    adj, features, labels, idx_train, idx_val, idx_test = load_data(seed)
    idx_train, idx_test = torch.LongTensor(idx_train), torch.LongTensor(idx_test)
    model = GCN(nfeat=features.shape[1], nhid=16, nclass=int(labels.max()) + 1, dropout=0.5)
    optimizer = optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    losses = []
    for _ in range(epochs):
        model.train()
        optimizer.zero_grad()
        output = model(features, adj)
        loss_train = F.nll_loss(output[idx_train], labels[idx_train])
        loss_train.backward()
        optimizer.step()
        losses.append(loss_train.item())
    model.eval()
    output = model(features, adj)
    return losses, {"test_accuracy": accuracy(output[idx_test], labels[idx_test]).item()}
