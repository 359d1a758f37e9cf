"""tf.distribute on the CPU: MirroredStrategy over two logical CPU devices gives the one-device update (student:
loss, gradient norm, weights; MelGAN: two SGD steps, losses and updates); three student steps on two
MultiWorkerMirroredStrategy workers equal three steps on one device with the whole batch; and a two-worker run of
`speedyspeech-tf train-student` on localhost ends with the same weights on both workers.

Both run in subprocesses: logical devices and TF_CONFIG must be set before TensorFlow starts, and the pytest
process must stay a plain one-device process. The teacher's MirroredStrategy equivalence is in
tests/test_train_teacher.py (test_mirrored_strategy_matches_one_device).
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HELPERS = os.path.join(REPO, "tests", "dist_helpers")
# A tiny student (8 channels, one residual block in the encoder and the decoder) that trains on a real cache.
TINY_STUDENT = {"channels": 8, "encoder_dilations": [1], "decoder_dilations": [1], "batch_size": 2}


def _env(**extra) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (REPO, os.environ.get("PYTHONPATH")) if p),
               TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("TF_CONFIG", None)
    env.update(extra)
    return env


def _result(proc_stdout: str) -> dict:
    lines = [line for line in proc_stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, "the helper printed no RESULT line"
    return json.loads(lines[-1][len("RESULT "):])


@pytest.mark.slow
def test_mirrored_fit_step_equals_the_one_device_step_student():
    """One model.fit step of the student trainer, global batch 4: MirroredStrategy over two logical CPUs (2 items
    per replica) against the default strategy (4 items on one device), from the same weights. The batch is
    [a, b, a, b] so that per-replica BatchNorm statistics equal the whole batch's (see the helper's docstring)."""
    proc = subprocess.run([sys.executable, os.path.join(HELPERS, "mirrored_steps.py"), "student"], env=_env(),
                          capture_output=True, text=True, timeout=600, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = _result(proc.stdout)["student"]
    assert out["replicas"] == [1, 2]
    one, mirrored = out["metrics"]
    # The loss and the pre-clipping gradient norm come from all-reduced counts and gradients: a replica that
    # divided by its local count, or gradients averaged instead of summed, would change them by a factor ~2.
    assert mirrored["loss"] == pytest.approx(one["loss"], rel=1e-5)
    assert mirrored["grad_norm"] == pytest.approx(one["grad_norm"], rel=1e-5)
    assert out["moved"] > 1e-3  # the step changed the weights...
    assert out["max_diff"] < 1e-4  # ...identically on one and on two devices


@pytest.mark.slow
def test_mirrored_fit_steps_equal_the_one_device_steps_vocoder():
    """Two MelGAN steps (generator then discriminator) with SGD, whose update is lr * gradient: the mirrored
    update must equal the one-device update, so a gradient summed instead of averaged over the two replicas (an
    update twice as large) fails, which one Adam step (about lr * sign(g)) would not show."""
    proc = subprocess.run([sys.executable, os.path.join(HELPERS, "mirrored_steps.py"), "vocoder"], env=_env(),
                          capture_output=True, text=True, timeout=600, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = _result(proc.stdout)["vocoder"]
    assert out["replicas"] == [1, 2] and out["moved"] > 1e-6
    one, mirrored = out["metrics"]
    for k in ("g_loss", "d_loss"):  # the losses of the 2nd step already depend on the 1st update
        assert mirrored[k] == pytest.approx(one[k], rel=1e-4), k
    assert out["update_ratio"] == pytest.approx(1.0, abs=1e-3)
    assert out["update_rel_diff"] < 1e-3


# ================================================================================================ multi-worker

def _free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _h5_arrays(path) -> dict[str, np.ndarray]:
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return out


def run_workers(argv: list[str], num_workers: int, timeout: float, log_dir) -> list[tuple[int, str]]:
    """Start `speedyspeech-tf ARGV` once per worker with a localhost TF_CONFIG; wait (bounded) for all; kill every
    one still running on timeout or failure. Returns [(exit code, output)] by worker index."""
    cluster = {"worker": [f"127.0.0.1:{p}" for p in _free_ports(num_workers)]}
    procs, logs = [], []
    try:
        for i in range(num_workers):
            tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})
            log = open(os.path.join(log_dir, f"worker_{i}.log"), "w+")
            logs.append(log)
            procs.append(subprocess.Popen([sys.executable, "-m", "speedyspeech_tf.cli", *argv], cwd=REPO,
                                          env=_env(TF_CONFIG=tf_config), stdout=log, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + timeout
        while any(p.poll() is None for p in procs):
            if time.monotonic() > deadline:
                raise TimeoutError(f"multi-worker run did not finish within {timeout} s")
            if any(p.poll() not in (None, 0) for p in procs):  # one failed: the others would wait forever
                break
            time.sleep(0.5)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    results = []
    for p, log in zip(procs, logs):
        log.seek(0)
        results.append((p.returncode, log.read()))
        log.close()
    return results


@pytest.mark.slow
def test_two_workers_on_localhost_train_the_student_to_identical_weights(mini_cache, durations_file, tmp_path):
    config = tmp_path / "tiny.json"
    config.write_text(json.dumps(TINY_STUDENT))
    run = tmp_path / "run"  # one run directory shared by both workers (as on a shared filesystem)
    argv = ["train-student", str(mini_cache), str(durations_file), str(run), "--config", str(config),
            "--steps-per-epoch", "3", "--epochs", "1", "--seed", "0", "--no-progress"]
    results = run_workers(argv, 2, timeout=420, log_dir=tmp_path)
    for i, (code, output) in enumerate(results):
        assert code == 0, f"worker {i} exited with {code}:\n{output[-3000:]}"
        assert "batch 2 x 2 replica(s)" in output  # auto: MultiWorkerMirroredStrategy from TF_CONFIG

    # Only the chief (worker 0) writes the shared outputs; each worker keeps its own backup.
    chief, other = run / "backup" / "latest.weights.h5", run / "backup" / "worker_1" / "latest.weights.h5"
    assert chief.exists() and other.exists()
    assert (run / "checkpoint" / "model.weights.h5").exists()
    rows = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines() if line.strip()]
    assert [row["epoch"] for row in rows] == [1]  # one row per epoch: the chief's only
    a, b = _h5_arrays(chief), _h5_arrays(other)
    assert sorted(a) == sorted(b)
    # BatchNorm moving mean/variance (a BatchNormalization layer's vars 2 and 3) follow each worker's own
    # batches (per-replica statistics, see README); everything else is synchronised.
    moving = [k for k in a if "norm" in k and k.endswith(("/vars/2", "/vars/3"))]
    synced = [k for k in a if k not in moving]
    assert len(moving) >= 4 and len([k for k in synced if not k.startswith("optimizer")]) > 10
    for k in synced:  # every trainable weight and the whole optimizer state, after 3 steps
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    assert int(a["optimizer/vars/0"]) == 3  # the optimizer's step count
    for k in moving:
        assert np.isfinite(a[k]).all() and np.isfinite(b[k]).all()


@pytest.mark.slow
def test_two_workers_take_the_one_worker_steps_on_the_whole_batch(tmp_path):
    """Agreement between the two workers is not enough (both could be wrong the same way): three student steps
    on two workers (two items each) must log the losses and gradient norms, and end with the weights, of three
    steps on one device with all four items. Gradients averaged per worker instead of over the global batch, a
    loss divided by a worker's own frame count, or a missing all-reduce each break it."""
    helper = os.path.join(HELPERS, "multiworker_steps.py")
    one = subprocess.run([sys.executable, helper, str(tmp_path / "one.npz")], env=_env(), capture_output=True,
                         text=True, timeout=600, cwd=REPO)
    assert one.returncode == 0, one.stderr[-3000:]
    cluster = {"worker": [f"127.0.0.1:{p}" for p in _free_ports(2)]}
    procs = []
    for i in range(2):
        tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})
        procs.append(subprocess.Popen([sys.executable, helper, str(tmp_path / f"worker{i}.npz")], cwd=REPO,
                                      env=_env(TF_CONFIG=tf_config), stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True))
    try:
        outputs = [p.communicate(timeout=600)[0] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    for i, (p, out) in enumerate(zip(procs, outputs)):
        assert p.returncode == 0, f"worker {i}:\n{out[-3000:]}"
    ref = _result(one.stdout)
    assert ref["replicas"] == 1 and len(ref["steps"]) == 3
    w_one = np.load(tmp_path / "one.npz")
    for i, out in enumerate(outputs):
        res = _result(out)
        assert res["replicas"] == 2
        for step, (a, b) in enumerate(zip(res["steps"], ref["steps"])):
            assert a["loss"] == pytest.approx(b["loss"], rel=1e-5), (i, step)
            assert a["grad_norm"] == pytest.approx(b["grad_norm"], rel=1e-5), (i, step)
        w = np.load(tmp_path / f"worker{i}.npz")
        moved = max(float(np.abs(w_one[k]).max()) for k in w_one.files)
        assert moved > 0
        for k in w_one.files:
            np.testing.assert_allclose(w[k], w_one[k], atol=1e-5, err_msg=f"worker {i}, weight {k}")
