"""The authors' reference checkpoints: import, numerical parity, verify/convert commands.

Needs ../shared/reference (skips, naming the path, when missing).
"""
from __future__ import annotations

import collections
import io
import os
import pickle
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from speedyspeech_tf import cli  # noqa: E402
from speedyspeech_tf.reference import load_pth  # noqa: E402
from speedyspeech_tf.reference.speedyspeech import (ReferenceImportError, import_student,  # noqa: E402
                                                    import_teacher, run_student_reference,
                                                    run_teacher_reference)
from speedyspeech_tf.reference.verify import REGISTRY, detect_kind, verify  # noqa: E402

TOL = 1e-4
STUDENT_OUTPUTS = {"encoder_out", "log_durations", "decoder_in_given_durations", "mel_given_durations",
                   "durations_inference", "mel_inference"}


# ---- a minimal torch.save (zip) writer, so that tests can make .pth files without PyTorch ----------------

class _Global:
    """Pickled as a GLOBAL reference to module.name (the real one need not be importable here)."""

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle requires reduce callables to be callable
        raise NotImplementedError


class _Storage:
    def __init__(self, key, array):
        self.key, self.array = key, array


class _Tensor:
    def __init__(self, storage, shape):
        self.storage, self.shape = storage, shape

    def __reduce__(self):
        strides = tuple(int(np.prod(self.shape[i + 1:])) for i in range(len(self.shape)))
        return (_Global("torch._utils", "_rebuild_tensor_v2"),
                (self.storage, 0, tuple(self.shape), strides, False, collections.OrderedDict()))


class _Pickler(pickle._Pickler):
    dispatch = pickle._Pickler.dispatch.copy()

    def _save_global_ref(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())

    dispatch[_Global] = _save_global_ref

    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            return ("storage", _Global("torch", "FloatStorage"), obj.key, "cpu", obj.array.size)
        return None


def write_pth(path, obj):
    """torch.save-compatible zip of nested dicts with float arrays (enough for load_pth and torch.load)."""
    storages = []

    def convert(x):
        if isinstance(x, dict):
            return collections.OrderedDict((k, convert(v)) for k, v in x.items())
        if isinstance(x, np.ndarray):
            s = _Storage(str(len(storages)), np.ascontiguousarray(x, np.float32))
            storages.append(s)
            return _Tensor(s, x.shape)
        return x

    buf = io.BytesIO()
    _Pickler(buf, protocol=2).dump(convert(obj))
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", buf.getvalue())
        for s in storages:
            zf.writestr(f"archive/data/{s.key}", s.array.astype("<f4").tobytes())
    return path


# ---- fixtures ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ref(reference_dir):
    return {name: reference_dir / name for name in
            ("student_seed0.pth", "student_seed0.npz", "teacher_seed0.pth", "teacher_seed0.npz")}


@pytest.fixture(scope="module")
def student_ckpt(ref):
    return load_pth(ref["student_seed0.pth"])


@pytest.fixture(scope="module")
def teacher_ckpt(ref):
    return load_pth(ref["teacher_seed0.pth"])


@pytest.fixture(scope="module")
def student(student_ckpt):
    return import_student(student_ckpt)


@pytest.fixture(scope="module")
def teacher(teacher_ckpt):
    return import_teacher(teacher_ckpt)


def _npz(path):
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def _run_cli(argv, capsys, monkeypatch):
    # only our sub-commands: the test does not depend on other modules of the tree being importable
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["speedyspeech_tf.reference.cli"])
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# ---- parity -----------------------------------------------------------------------------------------------

def test_student_parity_every_output(student, ref):
    model, cfg = student
    assert (cfg.channels, cfg.num_symbols, cfg.n_mels) == (128, 78, 80)
    assert sum(int(np.prod(v.shape)) for v in model.trainable_weights) == 4_306_001  # README's count
    data = _npz(ref["student_seed0.npz"])
    out = run_student_reference(model, data)
    assert STUDENT_OUTPUTS <= set(data) and set(out) == STUDENT_OUTPUTS
    for name in STUDENT_OUTPUTS:
        assert out[name].shape == data[name].shape, name
        err = np.abs(out[name] - data[name]).max()
        assert err <= TOL, f"{name}: max abs err {err}"


def test_teacher_parity_every_output(teacher, ref):
    model, cfg = teacher
    assert (cfg.channels, cfg.hidden_channels, cfg.attention_hidden_channels) == (40, 80, 80)
    assert sum(int(np.prod(v.shape)) for v in model.trainable_weights) == 708_920
    data = _npz(ref["teacher_seed0.npz"])
    out = run_teacher_reference(model, data)
    for name in ("output_0", "output_1"):
        assert out[name].shape == data[name].shape, name
        err = np.abs(out[name] - data[name]).max()
        assert err <= TOL, f"{name}: max abs err {err}"


def test_short_inputs_run_through_imported_models(student, teacher):
    s, _ = student
    mel, dur, mel_len = s.infer(tf.constant([[12, 40, 3]]), tf.constant([3]))
    assert mel.shape == (1, int(mel_len[0]), 80) and np.all(dur.numpy() >= 1)
    t, _ = teacher
    decoded, weights = t({"phonemes": tf.constant([[12, 40, 3]]), "phoneme_lengths": tf.constant([3]),
                          "mel": tf.random.uniform([1, 5, 80])})
    assert decoded.shape == (1, 5, 80) and weights.shape == (1, 5, 3)


# ---- import errors ----------------------------------------------------------------------------------------

def _with(sd_ckpt, **changes):
    sd = collections.OrderedDict(sd_ckpt["state_dict"])
    for key, value in changes.items():
        if value is None:
            del sd[key]
        else:
            sd[key] = value
    return {"state_dict": sd}


def test_wrong_shape_names_the_first_offending_key(student_ckpt, teacher_ckpt):
    sd = student_ckpt["state_dict"]
    bad_key = "decoder.res_blocks.3.blocks.1.0.weight"
    bad = _with(student_ckpt, **{bad_key: np.zeros((128, 128, 3), np.float32),
                                 "decoder.res_blocks.5.blocks.0.0.bias": np.zeros(7, np.float32)})
    with pytest.raises(ReferenceImportError, match=r"decoder\.res_blocks\.3\.blocks\.1\.0\.weight has shape "
                                                   r"\[128, 128, 3\], the model expects \[128, 128, 4\]"):
        import_student(bad)
    assert sd[bad_key].shape == (128, 128, 4)  # the fixture was not modified
    with pytest.raises(ReferenceImportError, match=r"attention\.fc_keys\.weight"):
        import_teacher(_with(teacher_ckpt, **{"attention.fc_keys.weight": np.zeros((80, 40, 3), np.float32)}))


def test_unused_and_missing_keys_are_errors(student_ckpt):
    extra = _with(student_ckpt, **{"decoder.extra_layer.weight": np.zeros(3, np.float32)})
    with pytest.raises(ReferenceImportError, match=r"'decoder\.extra_layer\.weight'.*not used"):
        import_student(extra)
    missing = _with(student_ckpt, **{"duration_predictor.layers.1.blocks.0.3.running_var": None})
    with pytest.raises(ReferenceImportError, match=r"lacks 'duration_predictor\.layers\.1\.blocks\.0\.3\.running_var'"):
        import_student(missing)


def test_other_block_count_needs_a_config(student_ckpt):
    sd = collections.OrderedDict((k, v) for k, v in student_ckpt["state_dict"].items()
                                 if not k.startswith("encoder.res_blocks.12."))
    with pytest.raises(ReferenceImportError, match="12 encoder residual blocks.*dilations"):
        import_student({"state_dict": sd})


def test_registry_detects_each_kind(student_ckpt, teacher_ckpt):
    assert detect_kind(student_ckpt).kind == "student"
    assert detect_kind(teacher_ckpt).kind == "teacher"
    assert detect_kind({"model_g": {}, "model_d": {}}).kind == "melgan"
    with pytest.raises(ReferenceImportError, match="not a reference checkpoint"):
        detect_kind({"state_dict": {"foo.weight": np.zeros(1)}})
    assert REGISTRY["melgan"].importer == "speedyspeech_tf.reference.melgan:import_melgan"
    with pytest.raises(ReferenceImportError, match="not a SpeedySpeech student"):
        import_student(teacher_ckpt)


# ---- commands ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["student", "teacher"])
def test_verify_reference_passes_on_matched_pair(kind, ref, capsys, monkeypatch):
    code, out, err = _run_cli(["verify-reference", ref[f"{kind}_seed0.pth"], ref[f"{kind}_seed0.npz"]],
                              capsys, monkeypatch)
    assert code == 0, err
    names = STUDENT_OUTPUTS if kind == "student" else {"output_0", "output_1"}
    for name in names:
        assert any(line.startswith(name + " ") and line.rstrip().endswith("yes") for line in out.splitlines())
    assert "parity OK" in out


def test_verify_reference_mismatched_pair_is_a_clear_error(ref, capsys, monkeypatch):
    code, out, err = _run_cli(["verify-reference", ref["student_seed0.pth"], ref["teacher_seed0.npz"]],
                              capsys, monkeypatch)
    assert code == 2
    assert "given_durations" in err and "another model" in err and len(err.strip().splitlines()) == 1
    code, _, err = _run_cli(["verify-reference", ref["teacher_seed0.pth"], ref["student_seed0.npz"]],
                            capsys, monkeypatch)
    assert code == 2 and "spectrograms" in err


def test_verify_reference_perturbed_weights_fail_with_exit_1(student_ckpt, ref, tmp_path, capsys, monkeypatch):
    sd = collections.OrderedDict(student_ckpt["state_dict"])
    key = "decoder.post_net2.1.bias"
    sd[key] = sd[key] + np.float32(1e-3)  # only the mel outputs move
    pth = write_pth(tmp_path / "perturbed.pth", {"epoch": 0, "step": 0, "state_dict": sd})
    code, out, err = _run_cli(["verify-reference", pth, ref["student_seed0.npz"]], capsys, monkeypatch)
    assert code == 1
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert rows["encoder_out"].endswith("yes") and rows["mel_inference"].endswith("NO")
    assert "parity FAILED" in err
    # a looser tolerance accepts it
    code, _, _ = _run_cli(["verify-reference", pth, ref["student_seed0.npz"], "--tol", "2e-3"], capsys, monkeypatch)
    assert code == 0


def test_convert_reference_wrong_shape_names_key(student_ckpt, tmp_path, capsys, monkeypatch):
    sd = collections.OrderedDict(student_ckpt["state_dict"])
    sd["encoder.post_net2.2.weight"] = np.zeros((128, 64, 1), np.float32)
    pth = write_pth(tmp_path / "bad.pth", {"state_dict": sd})
    code, _, err = _run_cli(["convert-reference", pth, tmp_path / "out"], capsys, monkeypatch)
    assert code == 2 and "encoder.post_net2.2.weight" in err and "[128, 64, 1]" in err
    assert not (tmp_path / "out" / "config.json").exists()


@pytest.mark.parametrize("kind", ["student", "teacher"])
def test_convert_reference_round_trip(kind, ref, student, teacher, tmp_path, capsys, monkeypatch):
    from speedyspeech_tf.checkpoint import load_checkpoint

    out_dir = tmp_path / kind
    code, out, err = _run_cli(["convert-reference", ref[f"{kind}_seed0.pth"], out_dir], capsys, monkeypatch)
    assert code == 0, err
    model, meta = load_checkpoint(out_dir, kind=kind)
    assert meta["source"] == os.path.abspath(ref[f"{kind}_seed0.pth"])
    data = _npz(ref[f"{kind}_seed0.npz"])
    runner = run_student_reference if kind == "student" else run_teacher_reference
    imported = (student if kind == "student" else teacher)[0]
    ours, theirs = runner(model, data), runner(imported, data)
    for name in ours:
        np.testing.assert_array_equal(ours[name], theirs[name])
    rows = verify(out_dir, ref[f"{kind}_seed0.npz"])  # verify also takes our checkpoint directories
    assert rows and all(ok for *_, ok in rows)
    # converting over an existing checkpoint needs --overwrite
    code, _, err = _run_cli(["convert-reference", ref[f"{kind}_seed0.pth"], out_dir], capsys, monkeypatch)
    assert code == 2 and "--overwrite" in err


def test_bad_paths_give_exit_2(ref, tmp_path, capsys, monkeypatch):
    code, _, err = _run_cli(["verify-reference", tmp_path / "nope.pth", ref["student_seed0.npz"]],
                            capsys, monkeypatch)
    assert code == 2 and "nope.pth" in err
    not_zip = tmp_path / "x.pth"
    not_zip.write_bytes(b"not a checkpoint")
    code, _, err = _run_cli(["convert-reference", not_zip, tmp_path / "o"], capsys, monkeypatch)
    assert code == 2 and "x.pth" in err
    code, _, err = _run_cli(["verify-reference", ref["student_seed0.pth"], tmp_path / "missing.npz"],
                            capsys, monkeypatch)
    assert code == 2 and "missing.npz" in err


def test_pth_writer_round_trips_through_load_pth(tmp_path):
    obj = {"epoch": 3, "state_dict": {"a.weight": np.arange(6, dtype=np.float32).reshape(2, 3)}}
    back = load_pth(write_pth(tmp_path / "w.pth", obj))
    assert back["epoch"] == 3
    np.testing.assert_array_equal(back["state_dict"]["a.weight"], obj["state_dict"]["a.weight"])


def test_registry_entry_whose_module_is_missing_gives_clear_error(monkeypatch):
    from speedyspeech_tf.reference import verify as verify_mod

    entry = verify_mod.ReferenceKind("melgan", verify_mod._is_melgan, "speedyspeech_tf.reference.no_such:import_x",
                                     "speedyspeech_tf.reference.no_such:run_x", ("mel",))
    monkeypatch.setitem(verify_mod.REGISTRY, "melgan", entry)
    with pytest.raises(ReferenceImportError, match="speedyspeech_tf.reference.no_such is not available"):
        verify_mod.import_reference({"model_g": {}})
