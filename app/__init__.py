"""Atelier: a self-hosted studio for generation work sent to the Kie.ai API."""
