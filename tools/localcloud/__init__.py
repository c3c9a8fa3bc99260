"""The local cloud: the whole stack on one machine, with IAM enforced."""
