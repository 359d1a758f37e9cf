"""What the three trainers (teacher, student, MelGAN) share: the distribution strategy and the all-reduce, the
run directory, argument checks, resumable and atomic backups, a NaN guard, a progress bar, TensorBoard, and
exporting our checkpoint format.

A run directory looks like this:

    RUN_DIR/
      train_config.json   the training settings and model/audio/text configs of this run; a rerun of the same
                          command with other settings refuses to resume (the mismatch is named)
      backup/             Keras BackupAndRestore state (weights + optimizer state + epoch), written atomically
      checkpoint/         the latest model in our checkpoint format (config.json + model.weights.h5)
      tensorboard/        TensorBoard scalars and images
      plots/              PNG plots a person looks at (attention, mel spectrograms)

Training is organised in "epochs" of a fixed number of steps over a repeated dataset, so that a backup is
written every `steps_per_epoch` steps whatever the corpus size, and a run killed with `kill -9` resumes from the
last backup, losing at most the work since then.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Callable

import keras
import tensorflow as tf

from ..config import ConfigMismatchError, check_same, load_json, save_json
from .cli import MIXED_PRECISION, STRATEGIES


# --------------------------------------------------------------------------------------------------------------
# Distribution
# --------------------------------------------------------------------------------------------------------------
def tf_config_workers() -> int:
    """Number of workers named in TF_CONFIG (0 when unset)."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return 0
    try:
        cluster = json.loads(raw).get("cluster", {})
    except json.JSONDecodeError as e:
        raise ValueError(f"TF_CONFIG is not valid JSON: {e}") from e
    return sum(len(cluster.get(k, [])) for k in ("chief", "worker"))


def get_strategy(name: str = "auto") -> tf.distribute.Strategy:
    """The one place that chooses the distribution strategy.

    auto: MultiWorkerMirroredStrategy when TF_CONFIG names a cluster of more than one worker, else
    MirroredStrategy when more than one GPU is visible, else the default strategy (one device).
    """
    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}; expected one of {', '.join(STRATEGIES)}")
    if name == "auto":
        if tf_config_workers() > 1:
            name = "multi_worker"
        elif len(tf.config.list_logical_devices("GPU")) > 1:
            name = "mirrored"
        else:
            name = "default"
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices=devices)
    return tf.distribute.get_strategy()


def all_reduce_sum(value):
    """Sum `value` (a tensor or a nest of tensors) over the replicas, from inside a replica context (identity on
    one replica)."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return value
    return ctx.all_reduce(tf.distribute.ReduceOp.SUM, value)


def keras_logs(values: dict) -> dict:
    """What a custom train_step/test_step returns to Keras: `values` as they are, except under a
    MultiWorkerMirroredStrategy across workers, where each scalar becomes shape [1] (Keras 3 reduces the logs
    there with axis=0, which fails on scalars; see docs/training.md)."""
    strategy = tf.distribute.get_strategy()
    # Private, but the very test Keras uses to decide on that reduction (keras/src/backend/tensorflow/trainer.py).
    multi_worker = isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and getattr(
        strategy.extended, "_in_multi_worker_mode", lambda: False)()
    if not multi_worker:
        return values
    return {k: tf.reshape(v, [1]) if getattr(v, "shape", None) is not None and v.shape.rank == 0 else v
            for k, v in values.items()}


def is_chief() -> bool:
    """True on the worker that writes shared outputs (TensorBoard, exported checkpoints, plots)."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return True
    task = json.loads(raw).get("task", {})
    cluster = json.loads(raw).get("cluster", {})
    if "chief" in cluster:
        return task.get("type") == "chief"
    return task.get("type") in (None, "worker") and int(task.get("index", 0)) == 0


def worker_index() -> int:
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return 0
    return int(json.loads(raw).get("task", {}).get("index", 0))


def data_shard(strategy: tf.distribute.Strategy) -> tuple[int, tuple[int, int] | None]:
    """(workers, shard): the number of workers and this worker's `shard=(workers, index)` for the data pipelines
    (None on a single worker)."""
    # FIXME never true: MultiWorkerMirroredStrategy's class is named CollectiveAllReduceStrategy (kept as it was).
    workers = max(1, tf_config_workers()) if type(strategy).__name__.startswith("MultiWorker") else 1
    return workers, ((workers, worker_index()) if workers > 1 else None)


def resume_seed(seed: int | None, completed_epochs: int) -> int | None:
    """The data seed of a run resumed after `completed_epochs`: it continues the shuffling elsewhere rather than
    replaying the first epochs' order."""
    return None if seed is None else seed + 7919 * completed_epochs


def scale_for_replicas(per_replica_batch: int, base_lr: float, strategy: tf.distribute.Strategy,
                       scale_lr: bool = True) -> tuple[int, float]:
    """Global batch = per-replica batch × replicas; the learning rate scales linearly with the replicas
    (the usual rule for Adam at these batch sizes) unless scale_lr is False."""
    n = strategy.num_replicas_in_sync
    return per_replica_batch * n, base_lr * (n if scale_lr else 1)


def mixed_precision_mode(value) -> str | bool:
    """False (float32), "float16" (GPUs; loss scaling) or "bfloat16" (CPUs with bf16/AMX units and TPUs; no loss
    scaling: bfloat16 has float32's exponent range). True means "float16", as before bfloat16 existed."""
    if value is None or value is False or value == "float32":
        return False
    if value is True:
        return "float16"
    if value in MIXED_PRECISION:
        return value
    raise ValueError(f"mixed precision must be one of {', '.join(MIXED_PRECISION)} (or off), got {value!r}")


def needs_loss_scale(value) -> bool:
    return mixed_precision_mode(value) == "float16"


def cpu_has_bf16() -> bool:
    """True when this CPU has bfloat16 units (AVX512-BF16 or AMX-BF16), where mixed_bfloat16 trains faster."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = next((line for line in f if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def set_mixed_precision(value) -> None:
    """The global Keras policy for `value` (see mixed_precision_mode): mixed_float16, mixed_bfloat16 or float32.
    Variables (and so checkpoints) stay float32 under both mixed policies. Models keep their output layers in
    float32 (dtype="float32" on those layers); under float16, custom train_steps scale the loss with
    `optimizer.scale_loss` (Keras 3 LossScaleOptimizer)."""
    mode = mixed_precision_mode(value)
    keras.mixed_precision.set_global_policy(f"mixed_{mode}" if mode else "float32")


# --------------------------------------------------------------------------------------------------------------
# Arguments, errors, running a command
# --------------------------------------------------------------------------------------------------------------
def check_run_arguments(counts: dict[str, Any], minutes: float | None = None, required: tuple[str, ...] = ()) -> None:
    """ValueError naming the option unless every value of `counts` ({"--epochs": 3, ...}) is a positive integer
    (None allowed unless the option is in `required`) and `minutes` is None or > 0."""
    for name, value in counts.items():
        if value is None and name not in required:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if minutes is not None and not minutes > 0:
        raise ValueError(f"--minutes must be > 0, got {minutes}")


class TrainingDivergedError(RuntimeError):
    """A loss became NaN or infinite; the last good backup is kept."""


def run_command(train: Callable[..., dict], *args, **kwargs) -> int:
    """Run a trainer for the command line: a corrupt or missing cache file and a diverged loss become one-line
    errors (exit 2); the exit code is 1 when no epoch is done."""
    from ..cli import CLIError

    try:
        with data_errors():
            result = train(*args, **kwargs)
    except TrainingDivergedError as e:
        raise CLIError(str(e)) from None
    return 0 if result["completed_epochs"] > 0 else 1


@contextlib.contextmanager
def data_errors():
    """Report a corrupt or missing cache file met by the input pipeline as a ValueError naming the file.

    tf.data reads the cache inside the graph, so such a file surfaces as a TensorFlow InvalidArgumentError /
    NotFoundError / DataLossError with a long graph traceback; the file's path is in its message (data.pipelines'
    "corrupt cache file (...)" assertion, or the failed read). Errors that name no file are re-raised as they are.
    """
    try:
        yield
    except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError, tf.errors.DataLossError,
            tf.errors.OutOfRangeError) as e:
        message = _data_error_message(e.message or str(e))
        if message is None:
            raise
        raise ValueError(message) from None


def _data_error_message(text: str) -> str | None:
    import re

    corrupt = re.search(r"(corrupt cache file[^\]]*)\]\s*\[b?['\"]?([^'\"\]]+)['\"]?\]", text)
    if corrupt:
        return f"{corrupt.group(1).rstrip(':').strip()}: {corrupt.group(2)}"
    missing = re.search(r"([^\s;'\"]+\.(?:npy|wav|npz|json))[;:]?\s*(No such file or directory)", text)
    if missing:
        return f"missing cache file: {missing.group(1)} ({missing.group(2).lower()}); re-run preprocess"
    path = re.search(r"([^\s;'\"\[\]]+\.(?:npy|wav))", text)
    if path:
        first = text.strip().splitlines()[0]
        return f"bad cache file {path.group(1)}: {first[:300]}"
    return None


# --------------------------------------------------------------------------------------------------------------
# Callbacks
# --------------------------------------------------------------------------------------------------------------
class AtomicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """Keras's BackupAndRestore (model weights + optimizer state + epoch), with atomic writes.

    Keras writes `latest.weights.h5` and `training_metadata.json` in place, so a crash during the write leaves a
    half-written file that the next run cannot load. Here both are written to temporary names and renamed
    (os.replace is atomic on POSIX), weights first, so the metadata never points at a missing backup.
    Every worker of a multi-worker run must back up (the state is restored on all of them); non-chief workers
    get their own folder from `RunDir.backup` (BACKUP/worker_N), so that workers sharing a filesystem never
    write the same file.
    """

    def __init__(self, backup_dir: str, save_freq="epoch"):
        super().__init__(backup_dir, save_freq=save_freq, delete_checkpoint=False)
        self._step_offset_epoch = 0

    def _save_model(self):  # private Keras hook: the one place Keras writes a backup (tests/test_fault_tolerance.py)
        os.makedirs(self.backup_dir, exist_ok=True)
        fd, tmp_weights = tempfile.mkstemp(prefix=".tmp-", suffix=".weights.h5", dir=self.backup_dir)
        os.close(fd)
        os.unlink(tmp_weights)  # Keras refuses to overwrite without asking; let it create the file.
        try:
            self.model.save_weights(filepath=tmp_weights, overwrite=True)
            os.replace(tmp_weights, self._weights_path)
        finally:
            if os.path.exists(tmp_weights):
                os.unlink(tmp_weights)
        save_json({"epoch": self._current_epoch, "batch": self._last_batch_seen}, self._training_metadata_path)


class NanGuard(keras.callbacks.Callback):
    """Stop at the first NaN/inf loss, naming the step, before any later callback can save the bad weights.

    Raising from on_train_batch_end stops model.fit at once: callbacks after this one (backups, checkpoint
    export) do not run for that batch, so the last good backup stays the latest. Put it first in the list.
    """

    def __init__(self, keys: tuple[str, ...] | None = None, steps_per_epoch: int | None = None):
        super().__init__()
        self.keys = keys
        self.steps_per_epoch = steps_per_epoch
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        for key, value in logs.items():
            if self.keys is not None and key not in self.keys:
                continue
            try:
                v = float(value)
            except (TypeError, ValueError):
                continue
            if not math.isfinite(v):
                step = self._epoch * (self.steps_per_epoch or 0) + batch + 1
                where = f"step {step} (epoch {self._epoch + 1}, batch {batch + 1})"
                raise TrainingDivergedError(
                    f"{key} became {v} at {where}; training stopped, the last good backup is kept")


class ExportCheckpoint(keras.callbacks.Callback):
    """At the end of every epoch (and of training) write the model in our checkpoint format (chief only)."""

    def __init__(self, directory: str, save_fn: Callable[[str], None]):
        super().__init__()
        self.directory = directory
        self.save_fn = save_fn

    def on_epoch_end(self, epoch, logs=None):
        if is_chief():
            self.save_fn(self.directory)


class SideWork:
    """Runs work that must never stop training (plots, TensorBoard images, audio samples): an exception there is
    logged once per kind of work, with its reason, and training goes on. `failures` counts them."""

    def __init__(self, name: str):
        self.name = name
        self.failures = 0

    def run(self, fn: Callable, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - anything, by design: side work never ends a run
            self.failures += 1
            if self.failures == 1:
                reason = str(e).strip().splitlines()[0] if str(e).strip() else ""
                print(f"warning: {self.name} failed ({type(e).__name__}: {reason[:300]}); training goes on "
                      "(logged once)", file=sys.stderr, flush=True)
            return None


class EpochPlots(keras.callbacks.Callback):
    """Call `plot_fn(epoch, directory)` at the end of each epoch (chief only); used for PNG plots. A failure
    there is logged once and never stops training (SideWork)."""

    def __init__(self, directory: str, plot_fn: Callable[[int, str], None], every: int = 1):
        super().__init__()
        self.directory = directory
        self.plot_fn = plot_fn
        self.every = max(1, every)
        self.side_work = SideWork("epoch plot")

    def on_epoch_end(self, epoch, logs=None):
        if is_chief() and (epoch + 1) % self.every == 0:
            os.makedirs(self.directory, exist_ok=True)
            self.side_work.run(self.plot_fn, epoch + 1, self.directory)


class TimeBudget(keras.callbacks.Callback):
    """Stop training within `minutes` of its start (the trainers' --minutes).

    At an epoch's end: stop when the next epoch would not end in time (it is expected to take as long as the
    last one). Inside an epoch: stop after the batch that used up the budget, so that a single long epoch (a
    MelGAN step on a CPU takes tens of seconds) cannot overrun it. Keras 3 still runs the epoch's end after such a
    break (fit's loop: `if self.stop_training: break` over the batches, then on_epoch_end), so the backup, the
    checkpoint and the history row of the shortened epoch are written as usual. At least one batch runs.
    Multi-worker runs check at epoch ends only: the workers' clocks would disagree about the batch to stop
    after, and a worker that stops alone leaves the others waiting in a collective.
    """

    def __init__(self, minutes: float, clock=None):
        super().__init__()
        self.seconds = float(minutes) * 60.0
        self.clock = clock or (lambda: time.monotonic())  # injectable: tests drive it without wall-clock races
        self.start = None
        self.epoch_start = None
        self.stopped_after_epoch: int | None = None  # 1-based epoch after which training stopped
        self.within_epochs = tf_config_workers() <= 1
        self._used_up = False

    @property
    def stopped(self) -> bool:
        return self.stopped_after_epoch is not None

    def on_train_begin(self, logs=None):
        self.start = self.clock()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = self.clock()

    def on_train_batch_end(self, batch, logs=None):
        if self.within_epochs and self.clock() - self.start > self.seconds:
            self._used_up = True
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        now = self.clock()
        if self.stopped_after_epoch is None and (self._used_up or
                                                 now - self.start + (now - self.epoch_start) > self.seconds):
            self.stopped_after_epoch = epoch + 1
            self.model.stop_training = True


class TqdmProgress(keras.callbacks.Callback):
    """A tqdm bar per epoch showing the running values of `keys`; at the epoch's end, those of `end_keys` that the
    epoch's logs hold (e.g. the validation losses)."""

    def __init__(self, epochs: int, steps: int, keys: tuple[str, ...], end_keys: tuple[str, ...] = (),
                 digits: int = 4, disable: bool = False):
        super().__init__()
        self.epochs, self.steps, self.keys, self.end_keys = epochs, steps, keys, end_keys
        self.digits, self.disable = digits, disable
        self.bar = None

    def _postfix(self, logs, keys) -> dict:
        return {k: f"{float(logs[k]):.{self.digits}f}" for k in keys if k in (logs or {})}

    def on_epoch_begin(self, epoch, logs=None):
        from tqdm import tqdm

        self.bar = tqdm(total=self.steps, desc=f"epoch {epoch + 1}/{self.epochs}", unit="step",
                        disable=self.disable, dynamic_ncols=True, leave=True)

    def on_train_batch_end(self, batch, logs=None):
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(self._postfix(logs, self.keys), refresh=False)

    def on_epoch_end(self, epoch, logs=None):
        if self.bar is not None:
            postfix = self._postfix(logs, self.end_keys)
            if postfix:
                self.bar.set_postfix(postfix, refresh=False)
        self.on_train_end()

    def on_train_end(self, logs=None):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class History(keras.callbacks.Callback):
    """Appends each epoch's logs to RUN_DIR/history.jsonl (survives resumes, unlike keras History).

    It runs before the backup of the same epoch (standard_callbacks): a run killed between the two repeats that
    epoch when it resumes and appends its row again; read_history keeps the last row of each epoch, so the
    history never misses an epoch that a backup counts as done."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path

    def on_epoch_end(self, epoch, logs=None):
        if not is_chief():
            return
        row = {"epoch": epoch + 1, "time": round(time.time(), 1)}  # wall clock: learning curves against hours
        row.update({k: float(v) for k, v in (logs or {}).items() if _is_number(v)})
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")


def _is_number(v) -> bool:
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


def read_history(run_dir: str) -> list[dict]:
    path = os.path.join(run_dir, "history.jsonl")
    if not os.path.exists(path):
        return []
    rows: dict[int, dict] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:  # a line cut short by a crash
                continue
            rows[int(row.get("epoch", 0))] = row  # a repeated epoch (resumed after a crash): the last run counts
    return [rows[k] for k in sorted(rows)]


# --------------------------------------------------------------------------------------------------------------
# Run directory
# --------------------------------------------------------------------------------------------------------------
@dataclass
class RunDir:
    root: str

    @property
    def config_path(self) -> str:
        return os.path.join(self.root, "train_config.json")

    @property
    def backup(self) -> str:
        """The backup folder of this process: RUN_DIR/backup on the chief (or a single process),
        RUN_DIR/backup/worker_N on the other workers of a multi-worker run."""
        if not is_chief():
            return os.path.join(self.root, "backup", f"worker_{worker_index()}")
        return os.path.join(self.root, "backup")

    @property
    def checkpoint(self) -> str:
        return os.path.join(self.root, "checkpoint")

    @property
    def tensorboard(self) -> str:
        return os.path.join(self.root, "tensorboard")

    @property
    def plots(self) -> str:
        return os.path.join(self.root, "plots")

    @property
    def history(self) -> str:
        return os.path.join(self.root, "history.jsonl")

    def prepare(self, settings: dict) -> bool:
        """Create the run directory and store `settings`; return True when resuming an earlier run.

        A run directory made with other settings is refused (ConfigMismatchError naming the difference), so
        that a resumed run never silently mixes configurations. Keys under "resume_ignore" (e.g. the number of
        epochs to train, the time budget) may change between runs.
        """
        os.makedirs(self.root, exist_ok=True)
        if os.path.exists(self.config_path):
            old = load_json(self.config_path)
            ignore = set(settings.get("resume_ignore", [])) | {"resume_ignore"}
            a = {k: v for k, v in old.items() if k not in ignore}
            b = {k: v for k, v in settings.items() if k not in ignore}
            check_same(a, b, f"run directory {self.root}")
            save_json(settings, self.config_path)
            return os.path.exists(os.path.join(self.backup, "training_metadata.json"))
        save_json(settings, self.config_path)
        return False

    def completed_epochs(self) -> int:
        path = os.path.join(self.backup, "training_metadata.json")
        if not os.path.exists(path):
            return 0
        return int(load_json(path).get("epoch", 0))


def standard_callbacks(run: RunDir, steps_per_epoch: int, save_fn: Callable[[str], None] | None = None,
                       plot_fn: Callable[[int, str], None] | None = None, backup_every_steps: int | None = None,
                       tensorboard: bool = True, extra: list | None = None) -> list:
    """NaN guard first (so nothing saves a diverged model), then the history row, backups, export, plots,
    TensorBoard."""
    cbs: list = [NanGuard(steps_per_epoch=steps_per_epoch)]
    cbs.append(History(run.history))
    cbs.append(AtomicBackupAndRestore(run.backup, save_freq=backup_every_steps or "epoch"))
    if save_fn is not None:
        cbs.append(ExportCheckpoint(run.checkpoint, save_fn))
    if plot_fn is not None:
        cbs.append(EpochPlots(run.plots, plot_fn))
    if tensorboard and is_chief():
        cbs.append(keras.callbacks.TensorBoard(run.tensorboard, update_freq="epoch", write_graph=False))
    cbs.extend(extra or [])
    return cbs



__all__ = [
    "STRATEGIES", "get_strategy", "all_reduce_sum", "keras_logs", "data_errors", "is_chief", "worker_index",
    "data_shard", "resume_seed", "scale_for_replicas", "set_mixed_precision", "mixed_precision_mode",
    "needs_loss_scale", "cpu_has_bf16", "MIXED_PRECISION", "check_run_arguments", "run_command",
    "RunDir", "standard_callbacks", "AtomicBackupAndRestore", "NanGuard", "TimeBudget", "ExportCheckpoint",
    "EpochPlots", "SideWork", "TqdmProgress", "History", "read_history", "TrainingDivergedError",
    "ConfigMismatchError",
]
