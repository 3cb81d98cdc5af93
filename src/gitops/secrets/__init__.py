"""Sealing secret values offline for Bitnami Sealed Secrets, byte-compatible with `kubeseal`."""
