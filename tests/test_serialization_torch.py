"""``ag.save`` / ``ag.load`` used the way PyTorch programs use ``torch.save`` / ``torch.load``: file objects,
nested containers, training checkpoints, ``map_location``, ``weights_only`` with ``safe_globals``, and the
refusals (whole modules, pickle files, what cannot be stored exactly), each with its message."""

from __future__ import annotations

import argparse
import collections
import dataclasses
import enum
import inspect
import io
import json
import pathlib
import pickle

import autograd_core.nn as nn
import numpy as np
import pytest

import autograd_core as ag
from autograd_core import optim, serialization

torch = pytest.importorskip("torch")


# module-level classes: a checkpoint records them by module and name
class Config:
    def __init__(self, lr: float = 0.1) -> None:
        self.lr = lr
        self.layers = [16, 8]


@dataclasses.dataclass(frozen=True)
class Frozen:
    name: str
    sizes: tuple


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self) -> None:
        self.a, self.b = 1, ag.ones(2)


class Mode(enum.Enum):
    TRAIN = "train"
    EVAL = "eval"


Point = collections.namedtuple("Point", "x y")


class Name(str):
    pass


def activation(x):
    return x


def _tree():
    return collections.OrderedDict([
        ("w", ag.randn(3, 2)), ("grad", ag.ones(2, requires_grad=True)), ("i64", ag.arange(4)),
        ("nums", [1, 2.5, float("-inf"), 3 + 4j, True, None, "text", b"\x00\xff", bytearray(b"ab")]),
        ("nested", {"t": (1, (2, ag.zeros(1))), 7: {"deep": [ag.full((2, 2), 3.0)]}, (1, "k"): 2.5, None: 0,
                    1.5: "float key", False: "bool key"}),
        ("sets", ({1, 2}, frozenset({"a"}))), ("slice", slice(1, None, 2)), ("dtype", ag.float64),
        ("device", ag.device("cpu")), ("size", ag.Size([2, 3])), ("layout", ag.sparse_coo),
        ("sparse", ag.sparse_coo_tensor(np.array([[0, 1, 1], [1, 0, 1]]), [1.0, 2.0, 3.0], (2, 2))),
    ])


def _assert_same(a, b, where="root"):
    assert type(a) is type(b), f"{where}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, ag.Tensor):
        assert a.dtype == b.dtype and a.requires_grad == b.requires_grad, where
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy(), err_msg=where)
    elif isinstance(a, ag.SparseTensor):
        np.testing.assert_array_equal(a._indices().numpy(), b._indices().numpy())
        _assert_same(a._values(), b._values(), where + ".values")
        assert a.shape == b.shape and a.is_coalesced() == b.is_coalesced()
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            _assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b or (a != a and b != b), where


# ---------------------------------------------------------------------- round trips
@pytest.mark.parametrize("target", ["path", "str_path", "open_file", "bytesio"])
def test_nested_structures_round_trip_through_paths_and_file_objects(tmp_path, target):
    obj = _tree()
    p = tmp_path / "ckpt.pt"
    if target == "path":
        ag.save(obj, p)
        back = ag.load(p)
    elif target == "str_path":
        ag.save(obj, str(p))
        back = ag.load(str(p))
    elif target == "open_file":
        with open(p, "wb") as fh:
            ag.save(obj, fh)
        with open(p, "rb") as fh:
            back = ag.load(fh)
    else:
        buf = io.BytesIO()
        ag.save(obj, buf)
        buf.seek(0)
        back = ag.load(buf)
    _assert_same(obj, back)


def test_a_checkpoint_after_other_bytes_or_from_a_stream_loads():
    buf = io.BytesIO()
    ag.save({"a": ag.ones(3)}, buf)
    data = buf.getvalue()
    shifted = io.BytesIO(b"header" + data)
    shifted.read(6)  # positioned at the checkpoint, as after reading a header of one's own
    np.testing.assert_array_equal(ag.load(shifted)["a"].numpy(), np.ones(3))

    class Stream(io.RawIOBase):  # not seekable
        def __init__(self, data):
            self._data = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            return self._data.readinto(b)

    np.testing.assert_array_equal(ag.load(io.BufferedReader(Stream(data)))["a"].numpy(), np.ones(3))


def test_safetensors_load_from_file_objects_too(tmp_path):
    from safetensors.torch import save as torch_to_bytes

    sd = {"weight": torch.randn(3, 2), "bias": torch.zeros(3)}
    back = ag.load(io.BytesIO(torch_to_bytes(sd)))  # recognised by content: a file object has no extension
    for k, v in sd.items():
        np.testing.assert_array_equal(back[k].numpy(), v.numpy())
    ag.save({"w": ag.ones(2)}, tmp_path / "m.safetensors")
    with open(tmp_path / "m.safetensors", "rb") as fh:
        np.testing.assert_array_equal(ag.load(fh)["w"].numpy(), np.ones(2))


def test_the_tutorial_checkpoint_resumes_training_exactly(tmp_path):
    """PyTorch's 'saving and loading a general checkpoint' recipe: resume = never stopped."""

    def model_and_opt(kind):
        ag.manual_seed(0)
        m = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1))
        o = optim.Adam(m.parameters(), lr=0.01) if kind == "adam" else optim.SGD(m.parameters(), lr=0.1,
                                                                                  momentum=0.9)
        return m, o

    rng = np.random.default_rng(0)
    data = [(ag.tensor(rng.standard_normal((8, 4)).astype(np.float32)),
             ag.tensor(rng.standard_normal((8, 1)).astype(np.float32))) for _ in range(6)]

    def step(m, o, x, y):
        o.zero_grad()
        loss = ((m(x) - y) ** 2).mean()
        loss.backward()
        o.step()
        return loss

    for kind in ("adam", "sgd"):
        m, o = model_and_opt(kind)
        for x, y in data:
            step(m, o, x, y)
        straight = [p.detach().numpy().copy() for p in m.parameters()]
        m, o = model_and_opt(kind)
        for x, y in data[:3]:
            loss = step(m, o, x, y)
        buf = io.BytesIO()
        ag.save({"epoch": 3, "model_state_dict": m.state_dict(), "optimizer_state_dict": o.state_dict(),
                 "loss": loss}, buf)
        buf.seek(0)
        m, o = model_and_opt(kind)
        ckpt = ag.load(buf)
        m.load_state_dict(ckpt["model_state_dict"])
        o.load_state_dict(ckpt["optimizer_state_dict"])
        assert ckpt["epoch"] == 3 and isinstance(ckpt["model_state_dict"], collections.OrderedDict)
        for x, y in data[3:]:
            step(m, o, x, y)
        for a, b in zip(straight, m.parameters()):
            np.testing.assert_allclose(b.detach().numpy(), a, rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------------- map_location
def test_map_location_accepts_pytorch_cpu_forms():
    buf = io.BytesIO()
    ag.save({"w": ag.ones(2)}, buf)
    seen = []
    for ml in (None, "cpu", "cpu:0", ag.device("cpu"), {"cuda:0": "cpu"}, {"cpu": "cpu"},
               lambda storage, loc: storage, lambda storage, loc: seen.append(loc)):
        buf.seek(0)
        np.testing.assert_array_equal(ag.load(buf, map_location=ml)["w"].numpy(), np.ones(2))
    assert seen == ["cpu"]
    buf.seek(0)
    doubled = ag.load(buf, map_location=lambda t, loc: t * 2)
    np.testing.assert_array_equal(doubled["w"].numpy(), [2.0, 2.0])


@pytest.mark.parametrize("ml,err,msg", [
    ("cuda", RuntimeError, r"^Attempting to deserialize object on a CUDA device but torch.cuda.is_available\(\)"),
    (ag.device("cuda", 1), RuntimeError, "on a CUDA device"),
    ({"cpu": "cuda:0"}, RuntimeError, "on a CUDA device"),
    ("mps", RuntimeError, r"on device 'mps', but autograd_core runs on the CPU only; use map_location='cpu'"),
    ("gpu", RuntimeError, "map_location 'gpu': Expected one of cpu, cuda"),
    (5.0, TypeError, "map_location should be a str, a device, a dict or a callable, got float"),
    (lambda t, loc: "not a tensor", TypeError, "map_location returned a str"),
])
def test_map_location_to_another_device_is_refused_clearly(ml, err, msg):
    buf = io.BytesIO()
    ag.save({"w": ag.ones(2)}, buf)
    buf.seek(0)
    with pytest.raises(err, match=msg):
        ag.load(buf, map_location=ml)
    if ml == "cuda":  # the same words as torch on a CPU-only machine
        tbuf = io.BytesIO()
        torch.save(torch.ones(2), tbuf)
        tbuf.seek(0)
        with pytest.raises(RuntimeError) as theirs:
            torch.load(tbuf, map_location="cuda")
        assert str(theirs.value).startswith("Attempting to deserialize object on a CUDA device")


# ---------------------------------------------------------------------- weights_only and safe globals
def _objects():
    return {"cfg": Config(0.5), "frozen": Frozen("f", (1, 2)), "slotted": Slotted(), "mode": Mode.EVAL,
            "point": Point(1, ag.ones(1)), "fn": activation, "cls": Config, "ns": argparse.Namespace(lr=0.1, seed=3)}


def _check_objects(back):
    assert isinstance(back["cfg"], Config) and back["cfg"].lr == 0.5 and back["cfg"].layers == [16, 8]
    assert back["frozen"] == Frozen("f", (1, 2)) and back["mode"] is Mode.EVAL
    assert back["slotted"].a == 1 and back["slotted"].b.shape == (2,)
    assert isinstance(back["point"], Point) and back["point"].x == 1
    assert back["fn"] is activation and back["cls"] is Config and back["ns"] == argparse.Namespace(lr=0.1, seed=3)


def test_weights_only_refuses_classes_that_are_not_allowlisted():
    buf = io.BytesIO()
    ag.save(_objects(), buf)
    buf.seek(0)
    here = __name__
    expected = sorted([f"{here}.Config", f"{here}.Frozen", f"{here}.Slotted", f"{here}.Mode", f"{here}.Point",
                       f"{here}.activation", "argparse.Namespace"])
    assert serialization.get_unsafe_globals_in_checkpoint(buf) == expected
    for kw in ({}, {"weights_only": True}):
        buf.seek(0)
        with pytest.raises(ag.CheckpointError, match=(
                rf"^Weights only load failed: .* records {here}\.Config \(at \['cfg'\]\), which was not an allowed "
                rf"global by default. Please use `autograd_core.serialization.add_safe_globals\(\[{here}\.Config\]\)`"
                r" or the `autograd_core.serialization.safe_globals")):
            ag.load(buf, **kw)
    # torch refuses such a file by default too
    tbuf = io.BytesIO()
    torch.save({"cfg": Config()}, tbuf)
    tbuf.seek(0)
    with pytest.raises(pickle.UnpicklingError, match=r"Unsupported global: GLOBAL .*Config was not an allowed global"):
        torch.load(tbuf)


def test_safe_globals_context_add_safe_globals_and_weights_only_false_load_them():
    buf = io.BytesIO()
    ag.save(_objects(), buf)
    allowed = [Config, Frozen, Slotted, Mode, Point, activation, argparse.Namespace]
    buf.seek(0)
    with serialization.safe_globals(allowed):
        assert set(serialization.get_safe_globals()) >= set(allowed)
        _check_objects(ag.load(buf))
    assert serialization.get_safe_globals() == []  # the block restored the empty list
    buf.seek(0)
    with pytest.raises(ag.CheckpointError, match="Weights only load failed"):
        ag.load(buf)
    buf.seek(0)
    _check_objects(ag.load(buf, weights_only=False))  # imports the named classes; nothing is unpickled
    try:
        serialization.add_safe_globals(allowed[:-1] + [(argparse.Namespace, "argparse.Namespace")])
        buf.seek(0)
        _check_objects(ag.load(buf))
        assert serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(buf.getvalue())) == []
    finally:
        serialization.clear_safe_globals()
    with pytest.raises(TypeError, match="add_safe_globals: expected classes or functions, got a int"):
        serialization.add_safe_globals([3])


def test_a_file_naming_a_missing_class_is_a_clear_error():
    meta = {"format": "autograd_core.checkpoint", "version": 2,
            "root": {"__object__": [__name__, "Gone"], "state": {"__dict__": []}}}
    buf = io.BytesIO()
    np.savez(buf, __autograd_core__=np.frombuffer(json.dumps(meta).encode(), np.uint8))
    with pytest.raises(ag.CheckpointError, match=rf"names {__name__}\.Gone, which cannot be imported"):
        ag.load(io.BytesIO(buf.getvalue()), weights_only=False)
    with pytest.raises(ag.CheckpointError, match=rf"records {__name__}\.Gone \(at the root\), which was not an"):
        ag.load(io.BytesIO(buf.getvalue()))


# ---------------------------------------------------------------------- refusals
def test_saving_a_whole_module_optimizer_or_scheduler_is_refused_with_the_state_dict_fix(tmp_path):
    model = nn.Sequential(nn.Linear(2, 2))
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = optim.lr_scheduler.StepLR(opt, 1)
    cases = [(model, r"cannot save a whole nn.Module \(Sequential, at the root\).* ag.save\(model.state_dict\(\), f\)"
                     r" and restore them .* model.load_state_dict\(ag.load\(f\)\)"),
             ({"model": model}, r"nn.Module \(Sequential, at \['model'\]\)"),
             (opt, r"cannot save an optimizer object \(SGD, at the root\); save optimizer.state_dict\(\)"),
             (sched, r"cannot save a scheduler object \(StepLR, at the root\); save scheduler.state_dict\(\)")]
    for obj, msg in cases:
        with pytest.raises(TypeError, match=msg):
            ag.save(obj, tmp_path / "m.pt")
        with pytest.raises(TypeError, match=msg):
            ag.save(obj, io.BytesIO())
    assert not (tmp_path / "m.pt").exists()


def test_pytorch_pickle_checkpoints_are_refused_even_with_weights_only_false(tmp_path):
    buf = io.BytesIO()
    torch.save(torch.nn.Linear(2, 2).state_dict(), buf)
    for kw in ({}, {"weights_only": False}):
        buf.seek(0)
        with pytest.raises(ag.CheckpointError, match=r"is not an autograd_core checkpoint: it is a PyTorch checkpoint "
                                                     r"\(torch.save\).*never loads.*also not with weights_only=False. "
                                                     r"Convert it once in PyTorch: from safetensors.torch import"):
            ag.load(buf, **kw)
    with pytest.raises(ag.CheckpointError, match="it is a Python pickle, which autograd_core never loads"):
        ag.load(io.BytesIO(pickle.dumps({"w": 1})), weights_only=False)


def _local_class_instance():
    class Local:
        pass

    return Local()


def test_what_cannot_be_stored_exactly_is_refused_with_the_reason():
    cyclic: list = []
    cyclic.append(cyclic)
    cases = [
        ({"f": lambda x: x}, r"cannot store \S*<lambda> \(at \['f'\]\): it is not importable by name"),
        ({"o": _local_class_instance()}, r"cannot store .*<locals>.Local .*not importable by name"),
        ({"d": collections.defaultdict(list)}, r"cannot store a defaultdict \(a dict subclass, at \['d'\]\) exactly "
                                               r"without pickle; convert it with dict\(...\) first"),
        ({"p": pathlib.Path("x")}, r"cannot store a PosixPath \(at \['p'\]\) without pickle"),
        ({"bad": object()}, r"cannot store a object \(at \['bad'\]\) without pickle"),
        ({"s": Name("x")}, r"cannot store a Name \(at \['s'\]\) without pickle"),  # a str subclass
        (cyclic, r"a reference cycle at \[0\]"),
        ({frozenset(): 1}, r"dict keys must be str, int, float, bool, None or tuples of them; "
                                                  r"got frozenset"),
        ({"a": np.array(["x"])}, r"arrays of dtype <U1 cannot be saved"),
    ]
    for obj, msg in cases:
        with pytest.raises(TypeError, match=msg):
            ag.save(obj, io.BytesIO())


def test_text_mode_files_are_refused(tmp_path):
    with open(tmp_path / "t.txt", "w") as fh:
        with pytest.raises(TypeError, match=r"open in text mode; open it in binary mode \('wb'\)"):
            ag.save({"a": 1}, fh)
    with open(tmp_path / "t.txt") as fh:
        with pytest.raises(TypeError, match=r"open in text mode; open it in binary mode \('rb'\)"):
            ag.load(fh)
    with pytest.raises(ag.CheckpointError, match="the file object is empty"):
        ag.load(io.BytesIO())


def test_signatures_follow_torch():
    def names(fn):
        return [(p.name, p.kind) for p in inspect.signature(fn).parameters.values()]

    assert names(ag.load) == names(torch.load)
    assert names(ag.save) == names(torch.save)
    assert ag.serialization.load is ag.load and serialization.safe_globals.__name__ == "safe_globals"
