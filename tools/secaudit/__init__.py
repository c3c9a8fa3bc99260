"""Proofs of the stack's security boundaries: expanded policies, the least-privilege audit, the
authorization matrix and the static gate."""
