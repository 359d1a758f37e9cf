"""speedyspeech-tf: SpeedySpeech (Vainer & Dušek, 2020) in TensorFlow/Keras, for mobile and edge.

Submodules are imported lazily so that the TensorFlow-free runtime (`speedyspeech_tf.runtime`) and the
text front end can be used without TensorFlow installed.
"""
__version__ = "0.1.0"
