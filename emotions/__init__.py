"""Emotion capture: the camera page, its WebSocket consumer and clip analysis (to come)."""
