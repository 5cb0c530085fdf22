"""autograd_core.multiprocessing, Tensor.share_memory_ / Module.share_memory and tensor pickling (issue 21).

PyTorch (torch.multiprocessing) is the specification: shared tensors travel between processes by handle,
plain pickle sends values, spawn's failures raise ProcessRaisedException / ProcessExitedException.
"""

from __future__ import annotations

import copy
import gc
import os
import pickle
import subprocess
import sys
from multiprocessing.reduction import ForkingPickler
from pathlib import Path

import _mp_workers as w
import numpy as np
import pytest

import autograd_core as ag
import autograd_core.multiprocessing as mp
from autograd_core import nn
from autograd_core._shared_memory import PREFIX

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX shared memory")


def _blocks(*pids: int) -> set[str]:
    """Names in /dev/shm of blocks made by these processes."""
    heads = tuple(f"{PREFIX}{p}_" for p in pids)
    return {n for n in os.listdir("/dev/shm") if n.startswith(heads)}


def _fresh_linear() -> nn.Linear:
    m = nn.Linear(4, 1)
    with ag.no_grad():
        m.weight.zero_()
        m.bias.zero_()
    return m


# ---------------------------------------------------------------------- share_memory_ in one process
def test_share_memory_keeps_identity_values_version_and_autograd_state():
    t = ag.arange(6.0).reshape(2, 3).requires_grad_()
    t.grad = ag.ones(2, 3)
    before, version = t.detach().numpy().copy(), t._version
    assert not t.is_shared()
    assert t.share_memory_() is t
    assert t.is_shared() and t.requires_grad and t.is_leaf and t._version == version
    np.testing.assert_array_equal(t.detach().numpy(), before)
    assert not t.grad.is_shared()  # as in PyTorch: Tensor.share_memory_ leaves .grad alone
    ptr = t.data_ptr()
    assert t.share_memory_() is t and t.data_ptr() == ptr  # already shared: nothing moves
    (t * t).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), 1 + 2 * before)


def test_share_memory_of_a_tensor_used_by_a_recorded_graph_keeps_the_graph_working():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x ** 2).sum()
    x.share_memory_()
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0, 6.0])


@pytest.mark.parametrize("dtype", [ag.float32, ag.float64, ag.int64, ag.int32, ag.uint8, ag.bool])
def test_share_memory_of_every_dtype_and_of_0d_and_empty_tensors(dtype):
    t = ag.tensor([[1, 0, 1], [0, 1, 1]]).to(dtype)
    assert t.share_memory_().is_shared() and t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), np.array([[1, 0, 1], [0, 1, 1]]).astype(t.numpy().dtype))
    assert ag.tensor(3.5).share_memory_().item() == 3.5
    e = ag.zeros(0, 4).share_memory_()
    assert e.is_shared() and e.shape == (0, 4)


def test_sharing_a_base_moves_its_views_and_sharing_a_view_moves_its_base():
    t = ag.arange(12.0).reshape(3, 4)
    row, col, wide = t[1], t.t()[2], t[1].expand(2, 4)  # wide: a read-only broadcast view
    t.share_memory_()
    assert row.is_shared() and col.is_shared() and wide.is_shared()
    row.add_(100)  # still one memory: the write shows through the base and the other views
    assert t[1, 2].item() == 106 and col[1].item() == 106 and wide[1, 2].item() == 106
    assert row._version == t._version == col._version

    u = ag.arange(8.0)
    v = u[2:6]
    v.share_memory_()
    assert u.is_shared() and v.is_shared()
    u[3] = -1.0
    assert v[1].item() == -1.0 and v.storage_offset() == 2


def test_share_memory_keeps_the_strides_of_a_non_contiguous_tensor():
    arr = np.arange(20.0)[::2]
    t = ag.from_numpy(arr)
    t.share_memory_()
    assert t.is_shared() and t.stride() == (2,)
    np.testing.assert_array_equal(t.numpy(), np.arange(0.0, 20.0, 2.0))
    arr[0] = 99.0  # the tensor no longer aliases the caller's array (PyTorch moves it too)
    assert t[0].item() == 0.0


def test_module_share_memory_shares_parameters_buffers_and_existing_grads():
    m = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    m[0].weight.grad = ag.ones(2, 3)
    assert m.share_memory() is m
    assert all(p.is_shared() for p in m.parameters()) and all(b.is_shared() for b in m.buffers())
    assert m[0].weight.grad.is_shared() and m[0].bias.grad is None
    assert type(m[0].weight) is nn.Parameter and m[0].weight.requires_grad


def test_blocks_are_unlinked_when_their_last_tensor_dies():
    before = _blocks(os.getpid())
    t = ag.ones(1000).share_memory_()
    view = t[10:20]
    made = _blocks(os.getpid()) - before
    assert len(made) == 1
    del t
    gc.collect()
    assert _blocks(os.getpid()) - before == made  # the view still holds the memory
    del view
    gc.collect()
    assert _blocks(os.getpid()) - before == set()


# ---------------------------------------------------------------------- pickling
def test_pickle_sends_values_never_the_graph_views_or_grad():
    base = ag.arange(6.0).reshape(2, 3)
    view = base[1]  # the base now holds weak references to its views
    b2, v2 = pickle.loads(pickle.dumps([base, view]))
    np.testing.assert_array_equal(b2.numpy(), base.numpy())
    np.testing.assert_array_equal(v2.numpy(), [3.0, 4.0, 5.0])
    assert v2._base is None and v2.is_leaf

    x = ag.ones(3, requires_grad=True)
    x.grad = ag.ones(3)
    x.name, x.note = "x", {"any": "attribute"}
    y = x * 2  # a non-leaf: arrives as a leaf requiring grad (PyTorch's pickle does the same)
    y2 = pickle.loads(pickle.dumps(y))
    assert y2.is_leaf and y2.requires_grad and y2.grad_fn is None
    np.testing.assert_array_equal(y2.detach().numpy(), [2.0, 2.0, 2.0])
    x2 = pickle.loads(pickle.dumps(x))
    assert x2.grad is None and x2.name == "x" and x2.note == {"any": "attribute"}


def test_pickle_keeps_parameters_parameters_and_modules_working():
    p = nn.Parameter(ag.tensor([1.0, 2.0]))
    frozen = nn.Parameter(ag.tensor([3.0]), requires_grad=False)
    p2, f2 = pickle.loads(pickle.dumps((p, frozen)))
    assert type(p2) is nn.Parameter and p2.requires_grad and type(f2) is nn.Parameter and not f2.requires_grad
    m = nn.Linear(3, 2)
    x = ag.randn(4, 3)
    m2 = pickle.loads(pickle.dumps(m))
    assert type(m2.weight) is nn.Parameter
    np.testing.assert_array_equal(m2(x).detach().numpy(), m(x).detach().numpy())


def test_deepcopy_and_copy_keep_their_semantics():
    p = nn.Parameter(ag.ones(2))
    p.grad = ag.full((2,), 3.0)
    d = copy.deepcopy(p)
    assert type(d) is nn.Parameter and d.grad is not None and d.grad.tolist() == [3.0, 3.0]
    d.detach().numpy()[0] = 5.0
    assert p[0].item() == 1.0
    with pytest.raises(RuntimeError, match="Only Tensors created explicitly by the user"):
        copy.deepcopy(p * 2)
    c = copy.copy(p)  # PyTorch: a leaf aliasing the same values, without .grad
    assert c.grad is None and c.data_ptr() == p.data_ptr() and type(c) is nn.Parameter


def test_plain_pickle_of_a_shared_tensor_copies_values_but_multiprocessing_sends_a_handle():
    t = ag.zeros(10_000).share_memory_()
    plain = pickle.loads(pickle.dumps(t))
    assert not plain.is_shared()
    plain[0] = 1.0
    assert t[0].item() == 0.0

    payload = ForkingPickler.dumps(t[100:200])
    assert len(payload) < 1000 < t.nbytes  # a handle, not 40 kB of values
    alias = pickle.loads(payload)
    assert alias.is_shared() and alias.shape == (100,)
    alias[0] = 7.0  # the same memory (this process reuses its mapping)
    assert t[100].item() == 7.0

    ints = ag.arange(5).share_memory_()
    p = nn.Parameter(ag.ones(3)).share_memory_()
    i2, p2 = pickle.loads(ForkingPickler.dumps((ints, p)))
    assert i2.dtype == ag.int64 and i2.tolist() == [0, 1, 2, 3, 4]
    assert type(p2) is nn.Parameter and p2.requires_grad and p2.is_shared()


class _Marked(ag.Tensor):
    """A Tensor subclass defined after autograd_core._shared_memory was imported."""


def test_every_tensor_class_travels_by_handle_a_parameter_made_over_shared_memory_too():
    base = ag.zeros(4).share_memory_()
    p = nn.Parameter(base)  # shares base's memory (no copy): shared without share_memory_ of its own
    marked = _Marked([1.0, 2.0]).share_memory_()
    p2, m2 = pickle.loads(ForkingPickler.dumps((p, marked)))
    assert type(p2) is nn.Parameter and p2.is_shared() and type(m2) is _Marked and m2.is_shared()
    with ag.no_grad():
        p2[1] = 3.0
    m2[0] = -1.0
    assert base[1].item() == 3.0 and marked[0].item() == -1.0


def test_multiprocessing_refuses_a_non_leaf_that_requires_grad():
    y = ag.ones(3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"non-leaf tensor which requires_grad.*call detach\(\)"):
        ForkingPickler.dumps(y)
    assert pickle.loads(ForkingPickler.dumps(y.detach())).tolist() == [2.0, 2.0, 2.0]


def test_unpickling_a_handle_whose_block_is_gone_says_why():
    t = ag.ones(4).share_memory_()
    payload = ForkingPickler.dumps(t)
    del t
    gc.collect()
    with pytest.raises(RuntimeError, match="no longer exists.*keep the tensor alive in the sending process"):
        pickle.loads(payload)


# ---------------------------------------------------------------------- other processes
def test_writes_in_a_forked_child_are_seen_by_the_parent():
    ctx = mp.get_context("fork")
    t = ag.zeros(2).share_memory_()
    pids = ag.zeros(2, dtype=ag.int64).share_memory_()
    procs = [ctx.Process(target=w.write_entry, args=(i, t, pids)) for i in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(20)
    assert [p.exitcode for p in procs] == [0, 0]
    assert t.tolist() == [10.0, 20.0] and sorted(pids.tolist()) == sorted(p.pid for p in procs)


def test_queue_carries_shared_tensors_both_ways():
    ctx = mp.get_context("fork")
    inbox, outbox, done = ctx.Queue(), ctx.Queue(), ctx.Event()
    t = ag.zeros(3).share_memory_()
    child = ctx.Process(target=w.queue_child, args=(inbox, outbox, done))
    child.start()
    inbox.put(t)
    theirs = outbox.get(timeout=20)  # a block the child made
    assert theirs.is_shared() and theirs.tolist() == [7.0, 7.0, 7.0]
    assert t.tolist() == [1.0, 1.0, 1.0]  # the child's add_ landed here
    theirs.fill_(5.0)
    done.set()
    child.join(20)
    assert child.exitcode == 0  # the child saw the 5s
    assert _blocks(child.pid) == set()  # and unlinked its block at exit


def test_spawned_program_shares_memory_and_leaves_no_block_or_warning():
    script = Path(w.__file__)
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": os.pathsep.join([str(script.parent), *sys.path])})
    assert r.returncode == 0, r.stderr
    ids, values = r.stdout.split("\n")[:2]
    pids = [int(s) for s in ids.split()]
    assert len(set(pids)) == 3 and values.split() == ["10.0", "20.0"]  # both spawned children wrote
    assert r.stderr == ""  # no resource_tracker "leaked shared_memory" warning, from any of the processes
    assert _blocks(*pids) == set()  # every block unlinked, those alive at exit included


def test_hogwild_every_process_update_lands_and_training_beats_one_process():
    nprocs, n_steps, lr = 3, 20, 0.05
    x, y = w.regression_data()
    alone = _fresh_linear()  # what one process achieves with only its own steps
    w.train_shard(0, nprocs, alone, x, y, n_steps, lr)
    single = w.full_loss(alone, x, y)

    model = _fresh_linear().share_memory()
    start_loss = w.full_loss(model, x, y)
    probe = nn.Parameter(ag.zeros(nprocs)).share_memory_()
    steps = ag.zeros(nprocs, dtype=ag.int64).share_memory_()
    x.share_memory_()
    y.share_memory_()
    barrier = mp.get_context("spawn").Barrier(nprocs)
    mp.spawn(w.hogwild, args=(nprocs, model, probe, steps, x, y, n_steps, lr, barrier), nprocs=nprocs)

    assert probe.tolist() == [0.5 * (r + 2) for r in range(nprocs)]  # each process's known update, exactly
    assert steps.tolist() == [n_steps] * nprocs
    final = w.full_loss(model, x, y)
    assert final < single / 10 < start_loss, (start_loss, single, final)


# ---------------------------------------------------------------------- spawn / start_processes
def test_spawn_raises_the_child_exception_with_its_traceback():
    with pytest.warns(FutureWarning, match="only supports start_method=spawn"):
        with pytest.raises(mp.ProcessRaisedException) as info:
            mp.spawn(w.fail, args=("raise",), nprocs=2, start_method="fork")
    e = info.value
    assert isinstance(e, mp.ProcessException) and e.error_index == 1 and e.error_pid > 0
    assert "-- Process 1 terminated with the following error:" in str(e)
    assert "Traceback (most recent call last)" in str(e) and "ValueError: worker 1 failed on purpose" in str(e)
    e2 = pickle.loads(pickle.dumps(e))
    assert type(e2) is mp.ProcessRaisedException and (e2.msg, e2.error_index, e2.error_pid) == (
        e.msg, 1, e.error_pid)


@pytest.mark.parametrize("how, code, signal_name, text", [
    ("exit", 3, None, "process 0 terminated with exit code 3"),
    ("signal", -9, "SIGKILL", "process 0 terminated with signal SIGKILL"),
])
def test_start_processes_reports_a_child_that_exited_or_was_killed(how, code, signal_name, text):
    with pytest.raises(mp.ProcessExitedException) as info:
        mp.start_processes(w.fail, args=(how,), nprocs=2, start_method="fork")
    e = info.value
    assert str(e) == text and e.exit_code == code and e.signal_name == signal_name and e.error_index == 0
    assert isinstance(e, mp.ProcessException) and e.error_pid > 0
    assert pickle.loads(pickle.dumps(e)).signal_name == signal_name


def test_start_processes_without_join_returns_a_context():
    ctx = mp.start_processes(w.noop, nprocs=2, join=False, start_method="fork")
    assert isinstance(ctx, mp.ProcessContext) and len(ctx.pids()) == 2
    while not ctx.join(timeout=20):
        pass
    assert ctx.join() is True and [p.exitcode for p in ctx.processes] == [0, 0]
    assert not any(os.path.exists(f) for f in ctx.error_files)


def test_argument_errors_name_the_function_and_the_fix():
    with pytest.raises(ValueError, match="start_processes: nprocs must be a positive int"):
        mp.start_processes(w.noop, nprocs=0)
    with pytest.raises(TypeError, match="start_processes: fn must be callable"):
        mp.start_processes(3, start_method="fork")
    with pytest.raises(ValueError, match="only 'file_system'"):
        mp.set_sharing_strategy("file_descriptor")
    mp.set_sharing_strategy("file_system")
    assert mp.get_sharing_strategy() == "file_system" and mp.get_all_sharing_strategies() == {"file_system"}


def test_the_stdlib_names_are_re_exported():
    import multiprocessing

    for name in ("Process", "Queue", "Pool", "Event", "Lock", "Barrier", "get_context", "set_start_method",
                 "get_start_method", "get_all_start_methods", "cpu_count", "current_process"):
        assert getattr(mp, name) is getattr(multiprocessing, name), name
        assert name in mp.__all__
    assert mp.cpu_count() == multiprocessing.cpu_count()


# ---------------------------------------------------------------------- DataLoader workers
class _Rows(ag.data.Dataset):
    """Samples are views of one tensor (these failed to pickle before issue 21)."""

    def __init__(self) -> None:
        self.x = ag.arange(12.0).reshape(6, 2)

    def __len__(self) -> int:
        return 6

    def __getitem__(self, i: int) -> ag.Tensor:
        return self.x[i]


def test_dataloader_workers_send_views_and_read_a_shared_dataset():
    rows = [r.tolist() for r in ag.data.DataLoader(_Rows(), batch_size=None, num_workers=2)]
    assert rows == np.arange(12.0).reshape(6, 2).tolist()
    ds = ag.data.TensorDataset(ag.arange(8.0).share_memory_())
    batches = list(ag.data.DataLoader(ds, batch_size=4, num_workers=2))
    assert [b[0].tolist() for b in batches] == [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0]]
