"""Forwarding MirrorManager's events to an AMQP broker as Fedora's mirrormanager messages."""
