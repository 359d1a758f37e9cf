"""Offline evaluation of speech: intelligibility (pocketsphinx WER/CER), predicted MOS (DNSMOS), distances to a
recording (MCD, log-mel L1, duration ratio, F0) and speed, for our runtime or any WAVs.

    from speedyspeech_tf.evaluation import metrics        # pure metric functions (metrics.py)
    from speedyspeech_tf.evaluation.scoring import evaluate_audio, evaluate_callable, evaluate_model_dir
    from speedyspeech_tf.evaluation.report import summarize, write_report

Command line: `speedyspeech-tf evaluate` (evaluation/cli.py). Dependencies: the `eval` extra
(pip install -e ".[eval]"); nothing here is imported by the runtime or by training.
"""
