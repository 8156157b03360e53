"""Talking to a target: the client, transcripts, tokens, HTTP and the canonical protocol names."""
