"""Training loops (custom train_steps for model.fit) and what they share (training.common)."""
