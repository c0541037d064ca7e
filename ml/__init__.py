"""Facial-expression recognition for the museum emotion platform.

A small, pure PyTorch + OpenCV library (it never imports Django):

- :mod:`ml.data`       datasets for the ``.npz``, ``fer2013.csv`` and image-folder layouts
- :mod:`ml.models`     the compact CNN designed for 48x48 grayscale faces
- :mod:`ml.presets`    train / eval preprocessing, rebuilt from a checkpoint
- :mod:`ml.train`      ``python -m ml.train``: resumable training with a checkpoint each epoch
- :mod:`ml.evaluate`   ``python -m ml.evaluate``: accuracy, macro-F1, confusion matrix
- :mod:`ml.inference`  the shared, thread-safe model loader and face analysis used by the platform
"""

EMOTIONS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
"""The seven FER-2013 classes, in the standard order (class index = position)."""
