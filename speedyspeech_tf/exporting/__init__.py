"""TFLite export of the student and the vocoder (MelGAN or HiFi-GAN) (the library behind `speedyspeech-tf export`).

    graphs       the static-shape export graphs (student wrapper on the Keras model; MelGAN / HiFi-GAN vocoder rebuilt
                 from the folded weights in NHWC with polyphase upsampling) and the SavedModels they are written to
    tflite       SavedModel -> TFLite conversion (float32 / dynamic / float16 / int8), flatbuffer inspection and
                 the checks every file must pass, the available interpreters
    calibration  representative data (preprocessed cache or built-in sentences) and evaluation inputs
    accuracy     TFLite vs Keras error measures, windowed-vs-whole vocoding
    sizing       the LJ Speech statistics behind the default N and F
    pipeline     load models (checkpoint.load_model_source), export both, verify, measure, write files

Submodules import TensorFlow where they need it; `speedyspeech_tf.export` re-exports the main functions lazily.
"""
