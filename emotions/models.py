# Emotion readings and clips arrive with the camera and clip features.
