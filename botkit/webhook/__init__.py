"""The webhook: Meta's verification GET and event POSTs at the ASGI level, the signature check,
admission (backpressure) and splitting a body into one stored record per item."""
