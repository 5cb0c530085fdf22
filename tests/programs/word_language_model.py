"""The word-language-model LSTM of pytorch/examples: Embedding -> 2-layer LSTM -> Linear (tied weights),
truncated BPTT with ``repackage_hidden``, gradient clipping and the example's manual SGD through ``p.data``.

The corpus is generated: sentences from a small grammar, so the next word is predictable.
"""

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

EXPECT = {"fall": 0.75, "tol": 0.3}


class RNNModel(nn.Module):
    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.2, tie_weights=False):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
        self.init_weights()
        self.rnn_type, self.nhid, self.nlayers = rnn_type, nhid, nlayers

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type == "LSTM":
            return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))
        return weight.new_zeros(self.nlayers, bsz, self.nhid)


def repackage_hidden(h):
    """Wraps hidden states in new Tensors, to detach them from their history."""
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def corpus(n_words, seed):
    rng = np.random.default_rng(seed)
    subjects, verbs, objects = [1, 2, 3], [4, 5, 6], [7, 8, 9, 10]
    words = []
    while len(words) < n_words:
        s = int(rng.choice(subjects))
        words += [s, verbs[s - 1], int(rng.choice(objects)), 0]  # "subject verb object ." (verb set by subject)
    return torch.tensor(words[:n_words], dtype=torch.long)


def batchify(data, bsz, device):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    data = data.view(bsz, -1).t().contiguous()
    return data.to(device)


def get_batch(source, i, bptt):
    seq_len = min(bptt, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].view(-1)
    return data, target


def main(epochs=8, seed=0):
    torch.manual_seed(seed)
    device = torch.device("cpu")
    train_data = batchify(corpus(2400, seed), 10, device)
    ntokens, bptt, lr, clip = 11, 12, 10.0, 0.25
    model = RNNModel("LSTM", ntokens, 16, 16, 2, dropout=0.1, tie_weights=True).to(device)
    criterion = nn.NLLLoss()
    losses = []
    for _ in range(epochs):
        model.train()
        hidden = model.init_hidden(10)
        for i in range(0, train_data.size(0) - 1, bptt):
            data, targets = get_batch(train_data, i, bptt)
            model.zero_grad()
            hidden = repackage_hidden(hidden)
            output, hidden = model(data, hidden)
            loss = criterion(output, targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
            losses.append(loss.item())
    return losses, {"ppl": math.exp(np.mean(losses[-5:]))}
