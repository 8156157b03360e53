"""Recorded sessions: the capture format, the recording proxy, HAR import and replay conformance."""
