"""The Cloud API side: the client plugins send with, the typed message builders
(:mod:`botkit.whatsapp.builders`), rate limits, media upload and download and the Graph API
error family. Plugins import the public names from ``botkit``."""
