"""The control loops of kube-controller-manager and kube-scheduler, one module each."""
