"""Outbound providers. Kie.ai is the only one today."""
