"""Checkpoints without pickle, PyTorch weight exchange through files, datasets, loaders, transforms."""

from __future__ import annotations

import io
import json
import os
import pickle
import stat
import tracemalloc
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


def _bn_model(nn_):
    return nn_.Sequential(nn_.Linear(3, 4), nn_.BatchNorm1d(4))


@pytest.mark.parametrize("ext", ["safetensors", "npz"])
def test_batchnorm_checkpoint_round_trips_with_a_0d_num_batches_tracked(tmp_path, ext):
    """Before: the safetensors writer made num_batches_tracked shape [1] (np.ascontiguousarray of a 0-d
    array), so a BatchNorm checkpoint could not be loaded back into the model that wrote it."""
    m = _bn_model(nn)
    m(ag.randn(5, 3))
    m(ag.randn(5, 3))
    ag.save(m.state_dict(), tmp_path / f"bn.{ext}")
    back = ag.load(tmp_path / f"bn.{ext}")
    assert back["1.num_batches_tracked"].shape == () and back["1.num_batches_tracked"].dtype == ag.int64
    fresh = _bn_model(nn)
    fresh.load_state_dict(back)
    for k, v in m.state_dict().items():
        assert fresh.state_dict()[k].dtype == v.dtype
        np.testing.assert_array_equal(fresh.state_dict()[k].numpy(), v.numpy(), err_msg=k)
    assert int(fresh[1].num_batches_tracked.item()) == 2


def test_batchnorm_state_moves_both_ways_with_pytorch_through_safetensors(tmp_path):
    from safetensors.torch import load_file, save_file

    ours = _bn_model(nn)
    ours(ag.randn(6, 3))
    ag.save(ours.state_dict(), tmp_path / "ours.safetensors")
    raw = load_file(str(tmp_path / "ours.safetensors"))
    assert raw["1.num_batches_tracked"].shape == torch.Size([]) and raw["1.num_batches_tracked"].dtype == torch.int64
    theirs = _bn_model(torch.nn)
    theirs.load_state_dict(raw)  # strict
    theirs(torch.randn(6, 3))  # one more batch: num_batches_tracked 2, new running stats
    save_file(theirs.state_dict(), str(tmp_path / "torch.safetensors"))
    ours.load_state_dict(ag.load(tmp_path / "torch.safetensors"))
    assert ours[1].num_batches_tracked.shape == () and int(ours[1].num_batches_tracked.item()) == 2
    np.testing.assert_array_equal(ours[1].running_var.numpy(), theirs[1].running_var.numpy())


def test_a_0d_buffer_saved_with_shape_1_still_loads_like_pytorch():
    """Checkpoints written before the fix hold num_batches_tracked as [1]; PyTorch loads a [1] entry
    into a 0-d tensor, and so do we (anything else still raises the size-mismatch error)."""
    bn = nn.BatchNorm1d(2)
    sd = {k: v.numpy().copy() for k, v in bn.state_dict().items()}
    sd["num_batches_tracked"] = np.array([7])
    bn.load_state_dict(sd)
    assert bn.num_batches_tracked.shape == () and int(bn.num_batches_tracked.item()) == 7
    sd["num_batches_tracked"] = np.array([7, 8])
    with pytest.raises(RuntimeError, match=r"size mismatch for num_batches_tracked: copying a param with shape "
                                           r"\[2\] from checkpoint, the shape in current model is \[\]"):
        bn.load_state_dict(sd)


# ----------------------------------------------------------- writing: temporary file, rename, cleanup
@pytest.mark.parametrize("ext", ["npz", "safetensors"])
def test_save_never_writes_through_a_symlink_planted_at_the_temporary_name(tmp_path, ext):
    victim = tmp_path / "victim.txt"
    victim.write_text("do not touch")
    target = tmp_path / f"ckpt.{ext}"
    (tmp_path / f"ckpt.{ext}.tmp").symlink_to(victim)  # the old fixed temporary name
    ag.save(nn.Linear(2, 2).state_dict(), target)
    assert victim.read_text() == "do not touch"
    assert (tmp_path / f"ckpt.{ext}.tmp").is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"ckpt.{ext}", f"ckpt.{ext}.tmp", "victim.txt"])
    assert set(ag.load(target)) == {"weight", "bias"}
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask  # as a plain open() would create it


def test_a_save_that_fails_midway_leaves_the_old_checkpoint_and_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "ckpt.npz"
    old = nn.Linear(2, 2)
    ag.save(old.state_dict(), target)

    def half_written(fh, **arrays):
        fh.write(b"PK\x03\x04 half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", half_written)
    with pytest.raises(OSError, match="No space left on device"):
        ag.save(nn.Linear(2, 2).state_dict(), target)
    monkeypatch.undo()
    with pytest.raises(TypeError, match="save: cannot store a object"):
        ag.save({"w": ag.ones(2), "bad": object()}, target)
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.npz"]
    np.testing.assert_array_equal(ag.load(target)["weight"].numpy(), old.weight.detach().numpy())
    # the final rename fails (the target is a directory): the written temporary file is removed too
    (tmp_path / "dir.npz").mkdir()
    with pytest.raises(OSError):
        ag.save(old.state_dict(), tmp_path / "dir.npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.npz", "dir.npz"]
    assert not any((tmp_path / "dir.npz").iterdir())


# ----------------------------------------------------------- reading: every malformed file -> CheckpointError
def _npy(arr=None, *, header=None, data=None):
    """The bytes of one .npy member: an array, or a hand-made header dict and data bytes."""
    buf = io.BytesIO()
    if arr is not None:
        np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)
    else:
        np.lib.format.write_array_header_1_0(buf, header)
        buf.write(data)
    return buf.getvalue()


def _zip(members, compression=zipfile.ZIP_STORED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name + ".npy", data)
    return buf.getvalue()


def _meta(root, **over):
    meta = {"format": "autograd_core.checkpoint", "version": 1, "root": root, **over}
    return _npy(np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))


def _ckpt(root, **members):
    return _zip({"__autograd_core__": _meta(root), **members})


_W = {"__dict__": [["w", {"__tensor__": "t0", "requires_grad": False}]]}
_F32_HEADER = {"descr": "<f4", "fortran_order": False, "shape": (12,)}
NPZ_CASES = [
    ("empty", b"", r"is empty \(0 bytes\), not a checkpoint"),
    ("npy", _npy(np.ones(3)), r"is a single \.npy array, not an autograd_core checkpoint; read it with numpy\.load"),
    ("text", b"hello, not a checkpoint", r"is not a readable autograd_core checkpoint \(BadZipFile"),
    ("pickle", pickle.dumps({"weight": 1}), r"is not a readable autograd_core checkpoint"),
    ("meta_not_json", _zip({"__autograd_core__": _npy(np.frombuffer(b"{not json", np.uint8))}),
     r"is corrupt: its metadata is not valid JSON \(JSONDecodeError"),
    ("meta_not_utf8", _zip({"__autograd_core__": _npy(np.frombuffer(b"\xff\xfe{}", np.uint8))}),
     r"its metadata is not valid JSON \(UnicodeDecodeError"),
    ("meta_deeply_nested", _zip({"__autograd_core__": _npy(np.frombuffer(b"[" * 200_000, np.uint8))}),
     r"its metadata is not valid JSON \(RecursionError"),
    ("meta_float_array", _zip({"__autograd_core__": _npy(np.ones(3, np.float32))}),
     r"its metadata is a float32 array of shape \[3\], not JSON bytes"),
    ("meta_json_list", _zip({"__autograd_core__": _npy(np.frombuffer(b"[1, 2]", np.uint8))}),
     r"its metadata is a JSON list, not an object"),
    ("meta_foreign_format", _zip({"__autograd_core__": _meta(None, format="other")}),
     r"has format 'other', expected 'autograd_core.checkpoint'"),
    ("meta_bad_version", _zip({"__autograd_core__": _meta(None, version="1")}),
     r"has an invalid format version '1'"),
    ("meta_newer_version", _zip({"__autograd_core__": _meta(None, version=99)}), r"written by a newer version"),
    ("meta_no_root", _zip({"__autograd_core__": _npy(np.frombuffer(
        b'{"format": "autograd_core.checkpoint", "version": 1}', np.uint8))}), r"has no 'root' entry"),
    ("bad_structure", _ckpt({"__weird__": 1}), r"the entry at the root is not a valid structure entry"),
    ("bad_dict_items", _ckpt({"__dict__": [["k"]]}), r"not a valid structure entry"),
    ("missing_member", _ckpt(_W), r"the tensor at \['w'\] refers to stored data 't0', which is missing"),
    ("member_used_twice", _ckpt({"__dict__": [["a", {"__tensor__": "t0"}], ["b", {"__tensor__": "t0"}]]},
                                t0=_npy(np.ones(2))), r"the tensor at \['b'\] refers to stored data 't0'"),
    ("wrong_dtype_string", _ckpt(_W, t0=_npy(header={**_F32_HEADER, "descr": "<f9"}, data=bytes(48))),
     r"the tensor at \['w'\] has a malformed array header"),
    ("object_dtype", _ckpt(_W, t0=_npy(header={**_F32_HEADER, "descr": "|O"}, data=bytes(96))),
     r"has dtype object, which is not a tensor dtype; files that need pickle"),
    ("string_dtype", _ckpt(_W, t0=_npy(np.array(["a", "b"]))), r"has dtype <U1, which is not a tensor dtype"),
    ("shape_too_big", _ckpt(_W, t0=_npy(header={**_F32_HEADER, "shape": (13,)}, data=bytes(48))),
     r"the tensor at \['w'\] declares shape \[13\] of float32 \(52 bytes\), but its data holds 48 bytes"),
    ("shape_too_small", _ckpt(_W, t0=_npy(header={**_F32_HEADER, "shape": (3, 3)}, data=bytes(48))),
     r"declares shape \[3, 3\] of float32 \(36 bytes\), but its data holds 48 bytes"),
    ("negative_shape", _ckpt(_W, t0=_npy(header={**_F32_HEADER, "shape": (-1, 12)}, data=bytes(48))),
     r"negative shape \[-1, 12\]"),
    ("header_length_huge", _ckpt(_W, t0=b"\x93NUMPY\x02\x00" + (2**32 - 1).to_bytes(4, "little") + bytes(40)),
     r"has a malformed array header \(EOF: reading array header, expected 4294967295 bytes got 40\)"),
    ("compressed", _zip({"__autograd_core__": _meta(_W), "t0": _npy(np.zeros(1000))}, zipfile.ZIP_DEFLATED),
     r"its metadata is compressed; ag.save writes uncompressed archives"),
    ("int_requires_grad", _ckpt({"__tensor__": "t0", "requires_grad": True}, t0=_npy(np.arange(3))),
     r"the tensor at the root requires grad but has dtype int64"),
]


def _load_malformed(tmp_path, ext: str, data: bytes, pattern: str) -> None:
    (tmp_path / f"c.{ext}").write_bytes(data)
    with pytest.raises(ag.CheckpointError, match=pattern):
        ag.load(tmp_path / f"c.{ext}")


@pytest.mark.parametrize("name,data,pattern", NPZ_CASES, ids=[c[0] for c in NPZ_CASES])
def test_every_malformed_npz_checkpoint_raises_checkpoint_error(tmp_path, name, data, pattern):
    _load_malformed(tmp_path, "npz", data, pattern)


def test_fortran_ordered_and_big_endian_arrays_round_trip(tmp_path):
    f = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    be = np.arange(4, dtype=">i4")
    ag.save({"f": f, "be": be, "t": ag.tensor(np.arange(6.0).reshape(3, 2)).T, "z": np.zeros((0, 2), np.float32)},
            tmp_path / "c.npz")
    back = ag.load(tmp_path / "c.npz")
    np.testing.assert_array_equal(back["f"], f)
    np.testing.assert_array_equal(back["t"].numpy(), np.arange(6.0).reshape(3, 2).T)
    assert back["be"].dtype == np.int32 and back["be"].dtype.isnative and list(back["be"]) == [0, 1, 2, 3]
    assert back["z"].shape == (0, 2) and back["z"].dtype == np.float32


def test_hand_made_valid_checkpoint_loads(tmp_path):
    """The helpers above build real checkpoints: the same layout with honest sizes loads."""
    data = np.arange(12, dtype=np.float32).tobytes()
    (tmp_path / "c.npz").write_bytes(_ckpt(_W, t0=_npy(header=_F32_HEADER, data=data)))
    np.testing.assert_array_equal(ag.load(tmp_path / "c.npz")["w"].numpy(), np.arange(12, dtype=np.float32))


def _good_files(tmp_path):
    m = _bn_model(nn)
    opt = optim.Adam(m.parameters())
    m(ag.randn(4, 3)).sum().backward()
    opt.step()
    ag.save({"model": m.state_dict(), "opt": opt.state_dict(), "epoch": 1}, tmp_path / "ok.npz")
    ag.save(m.state_dict(), tmp_path / "ok.safetensors")
    return {ext: (tmp_path / f"ok.{ext}").read_bytes() for ext in ("npz", "safetensors")}


@pytest.mark.parametrize("ext", ["npz", "safetensors"])
def test_truncated_checkpoints_raise_checkpoint_error_at_every_offset(tmp_path, ext):
    data = _good_files(tmp_path)[ext]
    cuts = sorted(set(range(0, 64)) | set(range(0, len(data), max(1, len(data) // 97))) | {len(data) - 1})
    for cut in cuts:
        (tmp_path / f"cut.{ext}").write_bytes(data[:cut])
        with pytest.raises(ag.CheckpointError):
            ag.load(tmp_path / f"cut.{ext}")


def test_a_1mb_npz_declaring_a_1gib_tensor_is_refused_before_allocating(tmp_path):
    header = {"descr": "<f4", "fortran_order": False, "shape": (1 << 28,)}  # 1 GiB declared, 1 MiB of data
    (tmp_path / "big.npz").write_bytes(_ckpt(_W, t0=_npy(header=header, data=bytes(1 << 20))))
    tracemalloc.start()  # numpy reports its allocations to tracemalloc
    try:
        with pytest.raises(ag.CheckpointError, match=r"the tensor at \['w'\] declares shape \[268435456\] of float32 "
                                                     r"\(1073741824 bytes\), but its data holds 1048576 bytes"):
            ag.load(tmp_path / "big.npz")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 << 20


def _st(header, data=b"", n=None):
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return (len(raw) if n is None else n).to_bytes(8, "little") + raw + data


def _t(dtype="F32", shape=(2,), offsets=(0, 8)):
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}


ST_CASES = [
    ("empty", b"", r"is empty \(0 bytes\)"),
    ("shorter_than_length_field", b"\x02\x00\x00", r"it has 3 bytes, fewer than the 8-byte header length field"),
    ("header_length_huge", _st(b"{}", n=1 << 60), r"its header length field says 1152921504606846976 bytes but only "
                                                   r"2 bytes follow"),
    ("header_not_json", _st(b"{nope"), r"its header is not valid JSON \(JSONDecodeError"),
    ("header_not_utf8", _st(b"\xff{}"), r"its header is not valid JSON \(UnicodeDecodeError"),
    ("header_json_list", _st([1, 2]), r"its header is a JSON list, not an object"),
    ("duplicate_key", _st(b'{"w": %s, "w": %s}' % (json.dumps(_t()).encode(), json.dumps(_t()).encode()),
                          bytes(8)), r"duplicate key 'w'"),
    ("missing_fields", _st({"w": {"dtype": "F32"}}), r"tensor 'w' needs 'dtype', 'shape' and 'data_offsets'"),
    ("wrong_dtype_string", _st({"w": _t("F9")}, bytes(8)), r"tensor 'w' has dtype 'F9'; supported: F64, F32"),
    ("bfloat16", _st({"w": _t("BF16", offsets=(0, 4))}, bytes(4)),
     r"tensor 'w' has dtype 'BF16' \(no numpy equivalent: convert it to float32 before saving\)"),
    ("negative_shape", _st({"w": _t(shape=(-2,))}, bytes(8)), r"tensor 'w' has an invalid shape \[-2\]"),
    ("offsets_out_of_range", _st({"w": _t(offsets=(0, 400))}, bytes(16)),
     r"tensor 'w' has data_offsets \[0, 400\] outside the 16 bytes of data"),
    ("offsets_reversed", _st({"w": _t(offsets=(8, 0))}, bytes(8)), r"tensor 'w' has data_offsets \[8, 0\]"),
    ("shape_product_mismatch", _st({"w": _t(shape=(3,))}, bytes(8)),
     r"tensor 'w' declares shape \[3\] of F32 \(12 bytes\) but its data_offsets \[0, 8\] hold 8 bytes"),
    ("overlapping", _st({"a": _t(), "b": _t(offsets=(4, 12))}, bytes(12)),
     r"tensor 'b' starts at byte 4 of the data but the previous tensor 'a' ends at byte 8 \(overlapping\)"),
    ("gap", _st({"a": _t(), "b": _t(offsets=(12, 20))}, bytes(20)),
     r"tensor 'b' starts at byte 12 .* ends at byte 8 \(leaving a gap\)"),
    ("trailing_bytes", _st({"w": _t()}, bytes(12)), r"its tensors cover 8 bytes of data but 12 bytes follow"),
    ("1gib_in_1mb", _st({"w": _t(shape=(1 << 28,), offsets=(0, 1 << 30))}, bytes(1 << 20)),
     r"tensor 'w' has data_offsets \[0, 1073741824\] outside the 1048576 bytes of data"),
]


@pytest.mark.parametrize("name,data,pattern", ST_CASES, ids=[c[0] for c in ST_CASES])
def test_every_malformed_safetensors_file_raises_checkpoint_error(tmp_path, name, data, pattern):
    _load_malformed(tmp_path, "safetensors", data, pattern)


def test_safetensors_reader_agrees_with_the_safetensors_package(tmp_path):
    from safetensors.numpy import load_file, save_file

    arrays = {"f16": np.arange(6, dtype=np.float16).reshape(2, 3), "i64": np.array(5), "empty": np.zeros((0, 4)),
              "b": np.array([True, False]), "u8": np.arange(3, dtype=np.uint8)}
    save_file(arrays, str(tmp_path / "x.safetensors"))
    ours, ref = ag.load(tmp_path / "x.safetensors"), load_file(str(tmp_path / "x.safetensors"))
    assert list(ours) == list(ref)
    for k, v in ref.items():
        assert ours[k].dtype == v.dtype and ours[k].shape == v.shape, k
        np.testing.assert_array_equal(ours[k].numpy(), v)


def test_load_state_dict_refuses_a_non_numeric_entry_and_changes_nothing():
    m = nn.Linear(2, 2)
    before = m.weight.detach().numpy().copy()
    sd = {"weight": np.zeros((2, 2)), "bias": np.array(["a", "b"])}
    with pytest.raises(RuntimeError, match=r'While copying the parameter named "bias", expected a numeric tensor '
                                           r"from checkpoint but received dtype <U1"):
        m.load_state_dict(sd)
    np.testing.assert_array_equal(m.weight.detach().numpy(), before)


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
