"""Recorded sessions: the capture format, the recording proxy, HAR import and the replay judge."""
