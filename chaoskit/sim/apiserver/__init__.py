"""A Kubernetes API server in front of the simulator, for real kubectl and the official client.

Layers inside: ``paths`` parses request paths, ``discovery`` and ``openapi`` describe the kinds,
``patch`` applies the four patch types, ``resources`` handles the verbs, ``subresources`` the
log/scale/eviction/proxy endpoints, ``watch`` the streams, ``audit`` the request log,
``tls`` the certificates and kubeconfigs, ``snapshot`` save and restore, and ``server``
wires them into an aiohttp application.
"""
