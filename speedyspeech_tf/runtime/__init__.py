"""The TensorFlow-free CPU runtime: text -> WAV with an exported model directory (`speedyspeech-tf export`).

Imports only numpy, the standard library, a TFLite interpreter (ai-edge-litert, else tflite-runtime, else
TensorFlow's tf.lite as a last resort) and the text front end (speedyspeech_tf.text), so it runs on a Raspberry
Pi with `pip install tflite-runtime==2.14.0 'numpy<2'` plus the front end's packages (see export/README.md).

    from speedyspeech_tf.runtime import Synthesizer
    synth = Synthesizer("model_dir", threads=1, runtime="auto")
    audio, sample_rate = synth.synthesize("Hello world.")       # float32 in [-1, 1]
    for chunk in synth.stream("A longer text. In sentences."):  # window by window, as soon as ready
        chunk.words                                              # the words this chunk completes
    synth.timestamps()                                           # word and phoneme start/end times
    print(synth.last_stats.as_dict())                            # rtf, first_audio_seconds, ...

Command line: `speedyspeech-synth --model-dir DIR --text "..." --out out.wav` (speedyspeech_tf.runtime.cli).
"""
from .interpreters import (RUNTIME_CHOICES, RUNTIMES, InterpreterUnavailable, available_runtimes,
                           import_interpreter, load_interpreter)
from .model import ExportedModels
from .synthesizer import PAD_FRAMES, Chunk, SynthesisStats, Synthesizer, split_in_two, split_spans
from .timing import AudioChunk, Timeline, WordTiming
from .wav import AtomicWavWriter, float_to_pcm16, read_wav, write_wav

__all__ = ["Synthesizer", "SynthesisStats", "ExportedModels", "split_in_two", "split_spans", "Chunk", "PAD_FRAMES",
           "AudioChunk", "Timeline", "WordTiming", "RUNTIMES",
           "RUNTIME_CHOICES", "InterpreterUnavailable", "available_runtimes", "import_interpreter",
           "load_interpreter", "AtomicWavWriter", "write_wav", "read_wav", "float_to_pcm16"]
