"""Checkpoints without pickle, PyTorch weight exchange through files, datasets, loaders, transforms."""

from __future__ import annotations

import pickle
import zipfile

import autograd_core.nn as nn
import numpy as np
import pytest

import autograd_core as ag
from autograd_core import optim
from autograd_core.data import DataLoader, Subset, TensorDataset, datasets, random_split, transforms

torch = pytest.importorskip("torch")


def _lenet(nn_):
    return nn_.Sequential(nn_.Conv2d(1, 6, 5, padding=2), nn_.ReLU(), nn_.MaxPool2d(2), nn_.Conv2d(6, 16, 5),
                          nn_.BatchNorm2d(16), nn_.ReLU(), nn_.MaxPool2d(2), nn_.Flatten(), nn_.Linear(400, 120),
                          nn_.ReLU(), nn_.Linear(120, 10))


def test_save_load_round_trip_of_nested_structures(tmp_path):
    m = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    opt = optim.Adam(m.parameters(), lr=0.01)
    m(ag.randn(4, 3)).sum().backward()
    opt.step()
    obj = {"model": m.state_dict(), "opt": opt.state_dict(), "epoch": 7, "history": [1.5, float("inf")],
           "note": "ok", "shape": (2, 3), "arr": np.arange(3), 5: None}
    ag.save(obj, tmp_path / "c.npz")
    back = ag.load(tmp_path / "c.npz")
    assert list(back) == list(obj) and back["epoch"] == 7 and back["shape"] == (2, 3) and back[5] is None
    assert back["history"] == [1.5, float("inf")] and back["note"] == "ok"
    np.testing.assert_array_equal(back["arr"], np.arange(3))
    for k, v in m.state_dict().items():
        assert back["model"][k].dtype == v.dtype
        np.testing.assert_array_equal(back["model"][k].numpy(), v.numpy())
    assert back["opt"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert set(back["opt"]["state"]) == {0, 1, 2, 3}  # integer keys survive


def test_save_refuses_what_needs_pickle_and_writes_nothing(tmp_path):
    with pytest.raises(TypeError, match="save: cannot store a object \\(at \\['bad'\\]\\) without pickle"):
        ag.save({"bad": object()}, tmp_path / "x.npz")
    assert not (tmp_path / "x.npz").exists()


def test_load_refuses_pickle_bearing_and_corrupt_files_and_leaves_model_unchanged(tmp_path):
    m = nn.Linear(2, 2)
    before = m.weight.detach().numpy().copy()
    # a torch checkpoint (zip holding data.pkl)
    torch.save(torch.nn.Linear(2, 2).state_dict(), tmp_path / "t.pt")
    with pytest.raises(ag.CheckpointError, match="not an autograd_core checkpoint"):
        ag.load(tmp_path / "t.pt")
    # an npz whose member is an object array (would need pickle)
    np.savez(tmp_path / "obj.npz", __autograd_core__=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ag.CheckpointError, match="files that need pickle .* are refused"):
        ag.load(tmp_path / "obj.npz")
    # a raw pickle
    (tmp_path / "p.npz").write_bytes(pickle.dumps({"weight": 1}))
    with pytest.raises(ag.CheckpointError, match="not a readable autograd_core checkpoint"):
        ag.load(tmp_path / "p.npz")
    # a truncated checkpoint
    ag.save(m.state_dict(), tmp_path / "ok.npz")
    data = (tmp_path / "ok.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ag.CheckpointError):
        ag.load(tmp_path / "cut.npz")
    # a checkpoint for another architecture: load_state_dict refuses, model unchanged
    ag.save(nn.Linear(3, 2).state_dict(), tmp_path / "other.npz")
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        m.load_state_dict(ag.load(tmp_path / "other.npz"))
    np.testing.assert_array_equal(m.weight.detach().numpy(), before)
    assert zipfile.is_zipfile(tmp_path / "ok.npz")


def test_pytorch_weights_move_both_ways_through_safetensors_files(tmp_path):
    from safetensors.torch import load_file, save_file

    torch.manual_seed(0)
    theirs = _lenet(torch.nn).eval()
    save_file(theirs.state_dict(), str(tmp_path / "torch.safetensors"))
    ours = _lenet(nn).eval()
    ours.load_state_dict(ag.load(tmp_path / "torch.safetensors"))
    x = np.random.default_rng(0).standard_normal((2, 1, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(ours(ag.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)
    ag.manual_seed(1)
    fresh = _lenet(nn).eval()
    ag.save(fresh.state_dict(), tmp_path / "ours.safetensors")
    theirs.load_state_dict(load_file(str(tmp_path / "ours.safetensors")))
    np.testing.assert_allclose(fresh(ag.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)
    with pytest.raises(TypeError, match="flat \\{str: tensor\\} dict"):
        ag.save({"nested": {"a": ag.ones(1)}}, tmp_path / "bad.safetensors")


# ---------------------------------------------------------------------- data
def test_tensor_dataset_loader_batches_shuffle_and_drop_last():
    x = ag.arange(10).reshape(10, 1).float()
    y = ag.arange(10)
    ds = TensorDataset(x, y)
    batches = list(DataLoader(ds, batch_size=4))
    assert [len(b[1]) for b in batches] == [4, 4, 2] and len(DataLoader(ds, batch_size=4)) == 3
    assert [len(b[1]) for b in DataLoader(ds, batch_size=4, drop_last=True)] == [4, 4]
    a = np.concatenate([b[1].numpy() for b in DataLoader(ds, batch_size=3, shuffle=True, seed=0)])
    b = np.concatenate([b[1].numpy() for b in DataLoader(ds, batch_size=3, shuffle=True, seed=0)])
    assert sorted(a) == list(range(10)) and np.array_equal(a, b) and not np.array_equal(a, np.arange(10))
    # generic path (collate) agrees with the TensorDataset fast path
    sub = Subset(ds, list(range(10)))
    got = [(bx.numpy(), by.numpy()) for bx, by in DataLoader(sub, batch_size=4)]
    np.testing.assert_array_equal(got[0][0], x.numpy()[:4])
    with pytest.raises(ValueError, match="Size mismatch between tensors"):
        TensorDataset(x, ag.arange(3))
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        DataLoader(ds, batch_size=0)


def test_random_split_lengths_and_fractions():
    ds = TensorDataset(ag.arange(10))
    a, b = random_split(ds, [0.7, 0.3], seed=0)
    assert len(a) == 7 and len(b) == 3 and not set(a.indices) & set(b.indices)
    c, d, e = random_split(ds, [5, 3, 2], seed=1)
    assert sorted(c.indices + d.indices + e.indices) == list(range(10))
    with pytest.raises(ValueError, match="sum of input lengths \\(9\\) does not equal the length"):
        random_split(ds, [5, 4])


def test_shipped_datasets_and_toy_generators():
    x, y = datasets.load_digits(images=True).tensors
    assert x.shape == (1797, 1, 8, 8) and y.dtype == ag.int64 and float(x.max()) == 1.0
    assert datasets.load_iris().tensors[0].shape == (150, 4)
    assert datasets.load_breast_cancer().tensors[0].shape == (569, 30)
    xd, yd = datasets.load_diabetes().tensors
    assert xd.shape == (442, 10) and yd.dtype == ag.float32
    xo, yo = datasets.make_xor(100, noise=0.0).tensors
    np.testing.assert_array_equal(yo.numpy(), (xo.numpy()[:, 0] > 0.5) ^ (xo.numpy()[:, 1] > 0.5))
    xs, ys = datasets.make_spirals(300, classes=3).tensors
    assert xs.shape == (300, 2) and set(ys.numpy()) == {0, 1, 2}
    lr = datasets.make_linear_regression(500, 3, noise=0.0)
    xl, yl = lr.tensors
    np.testing.assert_allclose(yl.numpy(), xl.numpy() @ lr.coef + lr.intercept, rtol=1e-5, atol=1e-5)
    assert datasets.make_moons(51).tensors[0].shape == (51, 2)


def test_transforms():
    g = np.random.default_rng(0)
    img = ag.tensor(np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4))
    flipped = transforms.RandomHorizontalFlip(p=1.0)(img)
    np.testing.assert_array_equal(flipped.numpy(), img.numpy()[..., ::-1])
    np.testing.assert_array_equal(transforms.RandomHorizontalFlip(p=0.0)(img).numpy(), img.numpy())
    batch = ag.tensor(np.ones((5, 1, 4, 4), dtype=np.float32))
    crops = transforms.RandomCrop(4, padding=2, generator=g)(batch)
    assert crops.shape == (5, 1, 4, 4) and crops.numpy().sum() < batch.numpy().sum()  # zero padding came in
    norm = transforms.Normalize([1.0, 2.0], [2.0, 4.0])(ag.ones(2, 3, 3))
    np.testing.assert_allclose(norm.numpy()[0], 0.0)
    np.testing.assert_allclose(norm.numpy()[1], -0.25)
    noisy = transforms.Compose([transforms.GaussianNoise(0.1, generator=g)])(batch)
    assert 0.05 < float(np.std(noisy.numpy())) < 0.15
    with pytest.raises(ValueError, match="expected an image \\(C, H, W\\) or a batch"):
        transforms.RandomCrop(2)(ag.ones(3, 3))
