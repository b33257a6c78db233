"""The Cloud API side: the client plugins send with, message body builders, rate limits, media
download and the Graph API error family. Plugins import the public names from ``botkit``."""
