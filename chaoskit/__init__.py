"""chaoskit: a Kubernetes chaos and SRE troubleshooting trainer."""

__version__ = "0.1.0"
