"""Placeholder: replaced by the training-progress snapshot callback."""

import keras


class TrainingSnapshots(keras.callbacks.Callback):
    def __init__(self, x, labels, path):
        super().__init__()
