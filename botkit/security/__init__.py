"""Who may talk to botkit: HTTPS and Meta's mutual TLS, Meta's networks, the allow-list guard
in front of the webhook, and the settings checks for all three."""
