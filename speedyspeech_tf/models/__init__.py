"""The Keras models: teacher (alignments), student (mel spectrograms), vocoders (MelGAN, HiFi-GAN), their
shared layers, and the vocoders' receptive-field / window planning (`windows`, numpy only).

Nothing is imported here so that the TensorFlow-free runtime can use `models.windows`.
"""
