"""Reconcile service: fetch → load → evaluate → observe → gate → plan → apply → record."""
