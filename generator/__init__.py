"""Synthetic state submissions and ground truth for tests and demos (`msix generate`)."""
