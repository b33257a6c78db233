"""JSON Schema checks: the shipped webhook schemas with their compiled gate, the check applied
to each stored event, and one way to word every schema problem with its path."""
