"""The Kubernetes wire format both sides speak: the simulator that answers requests and the
client side (chaoskit's own client, the audit proxy, grading) that makes and reads them.

``status`` (Status answers), ``requestinfo`` (one canonical reading of a request), ``authz``
(the trainee's RBAC and RBAC's wording), ``admit`` (what a trainee's write would make, judged),
``reviews`` (``kubectl auth can-i`` answered from the policy), ``audit`` (the audit record and
log), ``identity`` (who is speaking), ``tls`` (certificates, tokens and kubeconfig files) and
``times`` (timestamps). This package imports nothing else of chaoskit.
"""
