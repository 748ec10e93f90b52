"""The gateway configuration, rendered from the one routing table in `gateway/routes.yaml`."""
