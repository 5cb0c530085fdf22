"""REINFORCE as pytorch/examples writes it (reinforcement_learning/reinforce.py): a policy network, actions
sampled from ``Categorical``, saved ``log_prob``s, normalised discounted returns, ``torch.cat(policy_loss).sum()``.

The environment is a corridor of 6 cells (no gym): start in cell 0, actions left/right, reward 1 at the far end,
episodes cut at 30 steps. The "loss" reported per episode is its length, which falls as the policy learns.
"""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical

EXPECT = {"fall": 0.9, "tol": 0.6, "floor": 5.0, "metrics": {"last_length": (5.0, 9.0)}}


class Corridor:
    def __init__(self, n=6, limit=30):
        self.n, self.limit = n, limit

    def reset(self):
        self.pos, self.t = 0, 0
        return self._obs()

    def _obs(self):
        s = np.zeros(self.n, dtype=np.float32)
        s[self.pos] = 1.0
        return s

    def step(self, action):
        self.pos = min(max(self.pos + (1 if action == 1 else -1), 0), self.n - 1)
        self.t += 1
        done = self.pos == self.n - 1
        return self._obs(), (1.0 if done else -0.01), done or self.t >= self.limit


class Policy(nn.Module):
    def __init__(self):
        super().__init__()
        self.affine1 = nn.Linear(6, 32)
        self.dropout = nn.Dropout(p=0.1)
        self.affine2 = nn.Linear(32, 2)
        self.saved_log_probs = []
        self.rewards = []

    def forward(self, x):
        x = self.affine1(x)
        x = self.dropout(x)
        x = F.relu(x)
        action_scores = self.affine2(x)
        return F.softmax(action_scores, dim=1)


def select_action(policy, state):
    state = torch.from_numpy(state).float().unsqueeze(0)
    probs = policy(state)
    m = Categorical(probs)
    action = m.sample()
    policy.saved_log_probs.append(m.log_prob(action))
    return action.item()


def finish_episode(policy, optimizer, gamma, eps):
    R = 0
    policy_loss = []
    returns = []
    for r in policy.rewards[::-1]:
        R = r + gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    for log_prob, R in zip(policy.saved_log_probs, returns):
        policy_loss.append(-log_prob * R)
    optimizer.zero_grad()
    policy_loss = torch.cat(policy_loss).sum()
    policy_loss.backward()
    optimizer.step()
    del policy.rewards[:]
    del policy.saved_log_probs[:]


def main(episodes=60, seed=0):
    torch.manual_seed(seed)
    env = Corridor()
    policy = Policy()
    optimizer = optim.Adam(policy.parameters(), lr=3e-2)
    eps = np.finfo(np.float32).eps.item()
    lengths = []
    for _ in range(episodes):
        state, ep_len = env.reset(), 0
        for _t in range(1, 10000):
            action = select_action(policy, state)
            state, reward, done = env.step(action)
            policy.rewards.append(reward)
            ep_len += 1
            if done:
                break
        finish_episode(policy, optimizer, 0.99, eps)
        lengths.append(ep_len)
    return lengths, {"last_length": float(np.mean(lengths[-10:]))}
