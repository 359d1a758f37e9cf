"""Training loops (custom train_steps for model.fit: teacher, student, vocoder), what they share (training.common)
and their commands (training.cli, TensorFlow-free)."""
