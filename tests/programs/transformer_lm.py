"""The Transformer language model of pytorch/examples (word_language_model's TransformerModel):
sinusoidal PositionalEncoding kept as a buffer, nn.TransformerEncoder with a causal mask, Adam.

The corpus is generated: counting sequences modulo 8 that restart at random, so most next tokens follow.
"""

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

EXPECT = {"fall": 0.7, "tol": 0.35}


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout=0.1, max_len=5000):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        pe = pe.unsqueeze(0).transpose(0, 1)
        self.register_buffer("pe", pe)

    def forward(self, x):
        x = x + self.pe[: x.size(0), :]
        return self.dropout(x)


class TransformerModel(nn.Transformer):
    """Container module with an encoder, a recurrent or transformer module, and a decoder."""

    def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.1):
        super().__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid, num_encoder_layers=nlayers,
                         num_decoder_layers=1, dropout=dropout)
        self.model_type = "Transformer"
        self.src_mask = None
        self.pos_encoder = PositionalEncoding(ninp, dropout)
        self.input_emb = nn.Embedding(ntoken, ninp)
        self.ninp = ninp
        self.decoder = nn.Linear(ninp, ntoken)
        self.init_weights()

    def _generate_square_subsequent_mask(self, sz):
        return torch.log(torch.tril(torch.ones(sz, sz)))

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.input_emb.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, src, has_mask=True):
        if has_mask:
            if self.src_mask is None or self.src_mask.size(0) != len(src):
                self.src_mask = self._generate_square_subsequent_mask(len(src))
        else:
            self.src_mask = None
        src = self.input_emb(src) * math.sqrt(self.ninp)
        src = self.pos_encoder(src)
        output = self.encoder(src, mask=self.src_mask)
        output = self.decoder(output)
        return F.log_softmax(output, dim=-1)


def corpus(n, seed):
    rng = np.random.default_rng(seed)
    out, v = [], 0
    for _ in range(n):
        v = int(rng.integers(0, 8)) if rng.random() < 0.1 else (v + 1) % 8
        out.append(v)
    return torch.tensor(out, dtype=torch.long)


def main(steps=40, seed=0):
    torch.manual_seed(seed)
    data = corpus(8 * 161, seed).view(8, -1).t().contiguous()  # (seq, batch)
    model = TransformerModel(8, 16, 2, 32, 2, dropout=0.0)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    criterion = nn.NLLLoss()
    losses = []
    bptt = 16
    for step in range(steps):
        i = (step * bptt) % (data.size(0) - bptt - 1)
        src, tgt = data[i:i + bptt], data[i + 1:i + 1 + bptt]
        model.train()
        optimizer.zero_grad()
        output = model(src)
        loss = criterion(output.view(-1, 8), tgt.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        optimizer.step()
        losses.append(loss.item())
    return losses, {}
